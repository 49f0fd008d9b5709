package check

import (
	"encoding/json"
	"math"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

const (
	shaA    = "abc1234def5678abc1234def5678abc1234def56"
	shaB    = "def5678abc1234def5678abc1234def5678abc12"
	sha256A = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

func TestVersionMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		observed, expected string
		want               bool
	}{
		{"identical_full_sha", shaA, shaA, true},
		{"short_observed_long_expected", shaA[:7], shaA, true},
		{"long_observed_short_expected", shaA, shaA[:7], true},
		{"twelve_char_prefix", shaA[:12], shaA, true},
		{"two_short_forms_are_compared_whole", shaA[:8], shaA[:10], false},
		{"same_short_form", shaA[:8], shaA[:8], true},
		{"digits_are_not_a_short_sha_of_a_number", "1234567", "12345678", false},
		{"digits_prefix_of_a_full_sha", "1234567", "1234567" + strings.Repeat("0", 33), true},
		{"short_of_a_sha256", sha256A[:7], sha256A, true},
		{"prefix_of_41_hex_digits", shaA[:7], shaA + "0", false},
		{"build_numbers_equal", "20240101", "20240101", true},
		{"six_char_prefix_is_too_short", shaA[:6], shaA, false},
		{"six_char_prefix_expected", shaA, shaA[:6], false},
		{"different_shas", shaA, shaB, false},
		{"different_short_shas", shaA[:7], shaB[:7], false},
		{"short_sha_not_a_prefix", "bc1234d", shaA, false},
		{"sha_case_differs", strings.ToUpper(shaA), shaA, true},
		{"short_sha_case_differs", strings.ToUpper(shaA[:7]), shaA, true},
		{"surrounding_spaces", "  " + shaA[:7] + "\n", " " + shaA + " ", true},
		{"semver_equal", "1.2.3", "1.2.3", true},
		{"semver_v_observed", "v1.2.3", "1.2.3", true},
		{"semver_v_expected", "1.2.3", "v1.2.3", true},
		{"semver_capital_v", "V1.2.3", "1.2.3", true},
		{"semver_differs", "v1.2.3", "1.2.4", false},
		{"semver_is_not_a_prefix_match", "1.2", "1.2.3", false},
		{"text_case_differs", "Release-2024", "release-2024", true},
		{"v_only_before_digit", "vnext", "next", false},
		{"empty_observed", "", shaA, false},
		{"empty_expected", shaA, "", false},
		{"both_empty", "", "", false},
		{"spaces_only", "   ", "   ", false},
		{"unknown_version", "unknown", shaA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := VersionMatches(tt.observed, tt.expected); got != tt.want {
				t.Errorf("VersionMatches(%q, %q) = %v, want %v", tt.observed, tt.expected, got, tt.want)
			}
		})
	}
}

func TestNewVersionRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, field, expected string
		wantErr                    string
	}{
		{"field_does_not_compile", "http://127.0.0.1/info", ".commit[", shaA, `version field ".commit["`},
		{"field_empty", "http://127.0.0.1/info", " ", shaA, "version field is empty"},
		{"expected_empty", "http://127.0.0.1/info", ".commit", "  ", "expected version is empty"},
		{"url_invalid", "http://deployer:" + secretPassword + "@127.0.0.1:x/info", ".commit", shaA,
			"invalid URL http://REDACTED@127.0.0.1:x/info"},
		{"url_without_scheme", "127.0.0.1/info", ".commit", shaA, "invalid URL 127.0.0.1/info: scheme must be http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewVersion(testSpec(model.KindVersion, model.SignalVersion), tt.url, tt.field, tt.expected, HTTPConfig{})
			if err == nil {
				t.Fatalf("NewVersion returned %v, want an error", c)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secretPassword) {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// TestVersion: only a version actually read can mismatch; an unreadable info endpoint is
// a probe error (the run ends inconclusive, not failed).
func TestVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		field    string
		expected string
		maxBody  int64
		want     func(shown string) model.Measurement
	}{
		{
			name:    "full_sha_matches",
			handler: respond(200, "application/json", `{"version":"1.4.0","commit":"`+shaA+`","deployed_at":"2026-11-21T10:00:00"}`),
			field:   ".commit", expected: shaA,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: shaA, Expected: shaA,
					Message: "serving abc1234def56 as expected (.commit at " + shown + ")"}
			},
		},
		{
			name:    "mismatch",
			handler: respond(200, "application/json", `{"commit":"`+shaA+`"}`),
			field:   ".commit", expected: shaB,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: shaA, Expected: shaB,
					Message: "serving abc1234def56, expected def5678abc12 (.commit at " + shown + ")"}
			},
		},
		{
			name:    "short_served_long_expected",
			handler: respond(200, "application/json", `{"commit":"`+shaA[:7]+`"}`),
			field:   ".commit", expected: shaA,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: shaA[:7], Expected: shaA,
					Message: "serving abc1234 as expected (.commit at " + shown + ")"}
			},
		},
		{
			name:    "long_served_short_expected",
			handler: respond(200, "application/json", `{"commit":"`+shaA+`"}`),
			field:   ".commit", expected: shaA[:7],
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: shaA, Expected: shaA[:7],
					Message: "serving abc1234def56 as expected (.commit at " + shown + ")"}
			},
		},
		{
			name:    "short_mismatch_keeps_short_text",
			handler: respond(200, "application/json", `{"commit":"abc1234"}`),
			field:   ".commit", expected: "def5678",
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "abc1234", Expected: "def5678",
					Message: "serving abc1234, expected def5678 (.commit at " + shown + ")"}
			},
		},
		{
			name:    "nested_field_with_v_prefix",
			handler: respond(200, "application/json", `{"app":{"version":"v2.3.1"}}`),
			field:   ".app.version", expected: "2.3.1",
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "v2.3.1", Expected: "2.3.1",
					Message: "serving v2.3.1 as expected (.app.version at " + shown + ")"}
			},
		},
		{
			name:    "number_field",
			handler: respond(200, "application/json", `{"build":20240101}`),
			field:   ".build", expected: "20240101",
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "20240101", Expected: "20240101",
					Message: "serving 20240101 as expected (.build at " + shown + ")"}
			},
		},
		{
			name:    "number_with_exponent_is_written_out",
			handler: respond(200, "application/json", `{"build":1.5e3}`),
			field:   ".build", expected: "1499",
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "1500", Expected: "1499",
					Message: "serving 1500, expected 1499 (.build at " + shown + ")"}
			},
		},
		{
			name:    "not_json",
			handler: respond(200, "text/html", "<html>maintenance</html>"),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "info response is not JSON: invalid character '<' looking for beginning of value")
			},
		},
		{
			name:    "two_json_values",
			handler: respond(200, "application/json", `{"commit":"abc1234"} {"commit":"def5678"}`),
			field:   ".commit", expected: "abc1234",
			want: func(string) model.Measurement {
				return probeErrorM("abc1234", "info response is not JSON: unexpected data after the JSON value")
			},
		},
		{
			name:    "truncated_json",
			handler: respond(200, "application/json", `{"commit":"abc`),
			field:   ".commit", expected: "abc1234",
			want: func(string) model.Measurement {
				return probeErrorM("abc1234", "info response is not JSON: unexpected end of JSON input")
			},
		},
		{
			name:    "empty_body",
			handler: respond(200, "application/json", ""),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "info response is not JSON: empty body")
			},
		},
		{
			name:    "missing_field",
			handler: respond(200, "application/json", `{"version":"1.4.0","deployed_at":"2026-11-21"}`),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "field .commit not found in info response (keys: deployed_at, version)")
			},
		},
		{
			name:    "null_field",
			handler: respond(200, "application/json", `{"commit":null}`),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "field .commit not found in info response (keys: commit)")
			},
		},
		{
			name:    "response_is_an_array",
			handler: respond(200, "application/json", `[1,2]`),
			field:   ".[0].commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "field .[0].commit in info response: expected an object but got: number (1)")
			},
		},
		{
			name:    "object_field",
			handler: respond(200, "application/json", `{"commit":{"sha":"abc"}}`),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "field .commit in info response is an object, not a string or number")
			},
		},
		{
			name:    "empty_string_field",
			handler: respond(200, "application/json", `{"commit":"  "}`),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "field .commit is empty in info response")
			},
		},
		{
			name:    "5xx_is_the_service_failing",
			handler: respond(503, "text/html", `<html>upstream down</html>`),
			field:   ".commit", expected: shaA,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalHealth,
					Value: "503 Service Unavailable", Expected: shaA,
					Message: "info endpoint GET " + shown + " returned 503 Service Unavailable (expected 2xx); the service is failing, its version cannot be read"}
			},
		},
		{
			name:    "500_with_a_version_is_still_failing",
			handler: respond(500, "application/json", `{"commit":"`+shaA+`"}`),
			field:   ".commit", expected: shaA,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalHealth,
					Value: "500 Internal Server Error", Expected: shaA,
					Message: "info endpoint GET " + shown + " returned 500 Internal Server Error (expected 2xx); the service is failing, its version cannot be read"}
			},
		},
		{
			name:    "4xx_is_a_probe_error",
			handler: respond(404, "text/plain", `not found`),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "info endpoint returned 404 Not Found; cannot read the version")
			},
		},
		{
			name:    "oversize",
			handler: respond(200, "application/json", `{"commit":"`+shaA+`","padding":"`+strings.Repeat("p", 1<<20)+`"}`),
			field:   ".commit", expected: shaA,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "info response exceeds 1 MiB")
			},
		},
		{
			name:    "oversize_custom_limit",
			handler: respond(200, "application/json", `{"commit":"`+shaA+`"}`),
			field:   ".commit", expected: shaA, maxBody: 16,
			want: func(string) model.Measurement {
				return probeErrorM(shaA, "info response exceeds 16 bytes")
			},
		},
		{
			name:    "exactly_max_body_is_read",
			handler: respond(200, "application/json", `{"commit":"abc1234"}`),
			field:   ".commit", expected: "abc1234", maxBody: int64(len(`{"commit":"abc1234"}`)),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "abc1234", Expected: "abc1234",
					Message: "serving abc1234 as expected (.commit at " + shown + ")"}
			},
		},
		{
			name: "redirect_loop_is_unreadable",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/health/info", http.StatusFound)
			},
			field: ".commit", expected: shaA,
			want: func(shown string) model.Measurement {
				return probeErrorM(shaA, "info endpoint redirect loop: stopped after 10 redirects at "+
					strings.Split(shown, "?")[0]+"; cannot read the version")
			},
		},
		{
			name:    "service_reset_is_unreachable",
			handler: hijack(t, true),
			field:   ".commit", expected: shaA,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Severity: model.SeverityEmergency, Signal: model.SignalHealth,
					Value: "unreachable", Expected: shaA,
					Message: "service unreachable: GET " + shown + ": connection reset"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := server(t, tt.handler)
			rawURL := withCreds(t, ts.URL, "/health/info")
			h := secretConfig()
			h.MaxBody = tt.maxBody
			c, err := NewVersion(testSpec(model.KindVersion, model.SignalVersion), rawURL, tt.field, tt.expected, h)
			if err != nil {
				t.Fatal(err)
			}
			got := probe(t, t.Context(), c)
			want := tt.want(redact.URL(rawURL))
			want.Check = "version check"
			assertMeasurement(t, got, want)
		})
	}
}

func probeErrorM(expected, text string) model.Measurement {
	return model.Measurement{Expected: expected, ProbeError: text, Message: text}
}

// TestRunNeverPanics: whatever goes wrong inside a check becomes a probe error.
func TestRunNeverPanics(t *testing.T) {
	t.Parallel()
	ts := server(t, respond(200, "application/json", `{"commit":"abc1234"}`))
	c, err := NewVersion(testSpec(model.KindVersion, model.SignalVersion), ts.URL, ".commit", "abc1234", secretConfig())
	if err != nil {
		t.Fatal(err)
	}
	c.(*versionCheck).code = nil // sabotage: running the jq program now panics
	got := probe(t, t.Context(), c)
	if got.Breach || !strings.HasPrefix(got.ProbeError, "internal error probing GET "+ts.URL+": ") {
		t.Errorf("want a probe error naming the request, got %+v", got)
	}
}

func TestNumberText(t *testing.T) {
	t.Parallel()
	big40, _ := new(big.Int).SetString("1234567890123456789012345678901234567890", 10)
	tests := []struct {
		name   string
		in     any
		want   string
		wantOK bool
	}{
		{"json_integer", json.Number("20240101"), "20240101", true},
		{"json_trailing_zero_kept", json.Number("1.10"), "1.10", true},
		{"json_exponent", json.Number("1.5e3"), "1500", true},
		{"json_small_exponent", json.Number("25E-2"), "0.25", true},
		{"json_huge_integer_exact", json.Number("123456789012345678901234567890"), "123456789012345678901234567890", true},
		{"int", 42, "42", true},
		{"float", 1e21, "1000000000000000000000", true},
		{"big_int", big40, "1234567890123456789012345678901234567890", true},
		{"nan", math.NaN(), "", false},
		{"string_is_not_a_number", "1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := numberText(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("numberText(%v) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDescribeKeys(t *testing.T) {
	t.Parallel()
	many := map[string]any{}
	for _, k := range "abcdefghijkl" {
		many[string(k)] = 1
	}
	tests := []struct {
		name string
		doc  any
		want string
	}{
		{"sorted_keys", map[string]any{"version": 1, "deployed_at": 2}, "keys: deployed_at, version"},
		{"many_keys_capped", many, "keys: a, b, c, d, e, f, g, h, i, j, …"},
		{"empty_object", map[string]any{}, "the response is an empty object"},
		{"array", []any{1}, "the response is an array"},
		{"string", "v1", "the response is a string"},
		{"number", json.Number("1"), "the response is a number"},
		{"boolean", true, "the response is a boolean"},
		{"null", nil, "the response is null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := describeKeys(tt.doc); got != tt.want {
				t.Errorf("describeKeys(%v) = %q, want %q", tt.doc, got, tt.want)
			}
		})
	}
}
