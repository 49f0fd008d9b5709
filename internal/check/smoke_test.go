package check

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/redact"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestParseStatusSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		wantText string
		match    []int
		noMatch  []int
		wantErr  string
	}{
		{in: "", wantText: "2xx", match: []int{200, 204, 299}, noMatch: []int{199, 301, 404, 500}},
		{in: "200", wantText: "200", match: []int{200}, noMatch: []int{201, 204}},
		{in: "2XX", wantText: "2xx", match: []int{201}, noMatch: []int{302}},
		{in: "201, 202", wantText: "201,202", match: []int{201, 202}, noMatch: []int{200, 203}},
		{in: "200,4xx", wantText: "200,4xx", match: []int{200, 404, 451}, noMatch: []int{201, 500}},
		{in: "abc", wantErr: `"abc" is not a status code`},
		{in: "20", wantErr: `"20" is not a status code`},
		{in: "700", wantErr: `"700" is not a status code`},
		{in: "6xx", wantErr: `"6xx" is not a status code`},
		{in: "200,", wantErr: `"" is not a status code`},
	}
	for _, tt := range tests {
		name := strings.NewReplacer(",", "_", " ", "").Replace(tt.in)
		if name == "" {
			name = "empty"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			set, err := parseStatusSet(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set.String() != tt.wantText {
				t.Errorf("String() = %q, want %q", set.String(), tt.wantText)
			}
			for _, c := range tt.match {
				if !set.match(c) {
					t.Errorf("%d does not match %q", c, tt.in)
				}
			}
			for _, c := range tt.noMatch {
				if set.match(c) {
					t.Errorf("%d matches %q", c, tt.in)
				}
			}
		})
	}
}

func TestNewSmokeRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		test    SmokeTest
		wantErr string
	}{
		{"expression_does_not_compile", SmokeTest{URL: "http://127.0.0.1/x", Expr: `.status ==`}, `smoke test expression ".status =="`},
		{"unknown_function", SmokeTest{URL: "http://127.0.0.1/x", Expr: `nosuchfn(1)`}, `smoke test expression "nosuchfn(1)"`},
		{"bad_expected_status", SmokeTest{URL: "http://127.0.0.1/x", ExpectStatus: "ok"}, `expected status "ok"`},
		{"bad_url", SmokeTest{URL: "http://127.0.0.1:x/x?api_key=" + secretAPIKey}, "invalid URL http://127.0.0.1:x/x?REDACTED"},
		{"relative_url", SmokeTest{URL: "/api/status"}, "invalid URL /api/status: scheme must be http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSmoke(testSpec(model.KindSmoke, model.SignalSmoke), tt.test, HTTPConfig{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secretAPIKey) {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
}

// TestSmoke: the status must be accepted, and an expression must pass like jq -e (at
// least one output, the last neither false nor null).
func TestSmoke(t *testing.T) {
	t.Parallel()
	statusOK := `{"status":"ok","items":[],"count":3,"nested":{"ready":true}}`
	tests := []struct {
		name    string
		test    SmokeTest
		handler http.HandlerFunc
		want    func(shown string) model.Measurement
	}{
		{
			name:    "status_only_2xx",
			test:    SmokeTest{Method: "get"},
			handler: respond(200, "text/plain", "fine"),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx", Message: "GET " + shown + " returned 200 OK"}
			},
		},
		{
			name:    "status_list_accepts",
			test:    SmokeTest{Method: "PUT", ExpectStatus: "201,202"},
			handler: respond(202, "", ""),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "202", Expected: "201,202", Message: "PUT " + shown + " returned 202 Accepted"}
			},
		},
		{
			name:    "status_list_rejects_other_2xx",
			test:    SmokeTest{Method: "PUT", ExpectStatus: "201,202"},
			handler: respond(200, "", ""),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "200", Expected: "201,202",
					Message: "PUT " + shown + " returned 200 OK (expected 201,202)"}
			},
		},
		{
			name:    "server_error_quotes_body",
			test:    SmokeTest{Method: "POST", Body: `{"name":"x"}`},
			handler: respond(500, "application/json", "{\"error\":\"db\ndown\"}\n"),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "500", Expected: "2xx",
					Message: `POST ` + shown + ` returned 500 Internal Server Error (expected 2xx): {"error":"db down"}`}
			},
		},
		{
			name:    "expected_404",
			test:    SmokeTest{ExpectStatus: "404", Expr: `.error == "not found"`},
			handler: respond(404, "application/json", `{"error":"not found"}`),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "true", Expected: `truthy: .error == "not found"`,
					Message: `GET ` + shown + ` returned 404 Not Found; .error == "not found" is true`}
			},
		},
		{
			name:    "expression_true",
			test:    SmokeTest{Expr: `.status == "ok"`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "true", Expected: `truthy: .status == "ok"`,
					Message: `GET ` + shown + ` returned 200 OK; .status == "ok" is true`}
			},
		},
		{
			name:    "expression_truthy_value",
			test:    SmokeTest{Expr: `.nested`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: `{"ready":true}`, Expected: `truthy: .nested`,
					Message: `GET ` + shown + ` returned 200 OK; .nested is {"ready":true}`}
			},
		},
		{
			name:    "expression_false",
			test:    SmokeTest{Expr: `.count > 5`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "false", Expected: "truthy: .count > 5",
					Message: "GET " + shown + ": expression .count > 5 returned false"}
			},
		},
		{
			name:    "expression_null",
			test:    SmokeTest{Expr: `.missing`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "null", Expected: "truthy: .missing",
					Message: "GET " + shown + ": expression .missing returned null"}
			},
		},
		{
			name:    "expression_no_output",
			test:    SmokeTest{Expr: `.items[]`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Expected: "truthy: .items[]",
					Message: "GET " + shown + ": expression .items[] produced no output"}
			},
		},
		{
			name:    "last_output_decides_false",
			test:    SmokeTest{Expr: `true, false`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "false", Expected: "truthy: true, false",
					Message: "GET " + shown + ": expression true, false returned false"}
			},
		},
		{
			name:    "last_output_decides_true",
			test:    SmokeTest{Expr: `false, true`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "true", Expected: "truthy: false, true",
					Message: "GET " + shown + " returned 200 OK; false, true is true"}
			},
		},
		{
			name:    "runtime_error",
			test:    SmokeTest{Expr: `.status.code`},
			handler: respond(200, "application/json", statusOK),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Expected: "truthy: .status.code",
					Message: `GET ` + shown + `: expression .status.code failed: expected an object but got: string ("ok")`}
			},
		},
		{
			name:    "not_json",
			test:    SmokeTest{Expr: `.status == "ok"`},
			handler: respond(200, "text/html", "<h1>It works</h1>"),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Expected: `truthy: .status == "ok"`,
					Message: "GET " + shown + ": response is not JSON: invalid character '<' looking for beginning of value"}
			},
		},
		{
			name:    "oversize_with_expression",
			test:    SmokeTest{Expr: `.status == "ok"`},
			handler: respond(200, "application/json", `{"status":"ok","pad":"`+strings.Repeat("p", 1<<20)+`"}`),
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Expected: `truthy: .status == "ok"`,
					Message: "GET " + shown + ": response exceeds 1 MiB"}
			},
		},
		{
			name:    "oversize_without_expression",
			test:    SmokeTest{},
			handler: respond(200, "application/json", strings.Repeat("p", 2<<20)),
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx", Message: "GET " + shown + " returned 200 OK"}
			},
		},
		{
			name:    "long_output_is_capped",
			test:    SmokeTest{Expr: `.text`},
			handler: respond(200, "application/json", `{"text":"`+strings.Repeat("a", 300)+`"}`),
			want: func(shown string) model.Measurement {
				v := `"` + strings.Repeat("a", 198) + "…"
				return model.Measurement{Value: v, Expected: "truthy: .text",
					Message: "GET " + shown + " returned 200 OK; .text is " + v}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := server(t, tt.handler)
			st := tt.test
			st.URL = withCreds(t, ts.URL, "/api/v1/status")
			c, err := NewSmoke(testSpec(model.KindSmoke, model.SignalSmoke), st, secretConfig())
			if err != nil {
				t.Fatal(err)
			}
			got := probe(t, t.Context(), c)
			want := tt.want(redact.URL(st.URL))
			want.Check = "smoke check"
			assertMeasurement(t, got, want)
		})
	}
}

// TestSmokePostsBody: the method, body and a JSON content type reach the service.
func TestSmokePostsBody(t *testing.T) {
	t.Parallel()
	type seen struct{ Method, Body, ContentType string }
	tests := []struct {
		name string
		test SmokeTest
		want seen
	}{
		{"json_body_gets_json_content_type", SmokeTest{Method: "post", Body: `{"name":"canary"}`, ExpectStatus: "201", Expr: ".id == 7"},
			seen{"POST", `{"name":"canary"}`, "application/json"}},
		{"explicit_content_type_is_kept", SmokeTest{Method: "POST", Body: "name=canary", ExpectStatus: "201",
			Headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Expr: ".id == 7"},
			seen{"POST", "name=canary", "application/x-www-form-urlencoded"}},
		{"text_body_gets_no_content_type", SmokeTest{Method: "PATCH", Body: "hello", ExpectStatus: "201", Expr: ".id == 7"},
			seen{"PATCH", "hello", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var got seen
			ts := server(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = seen{r.Method, string(b), r.Header.Get("Content-Type")}
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"id":7}`)
			})
			st := tt.test
			st.URL = ts.URL + "/api/v1/items"
			c, err := NewSmoke(testSpec(model.KindSmoke, model.SignalSmoke), st, secretConfig())
			if err != nil {
				t.Fatal(err)
			}
			m := probe(t, t.Context(), c)
			assertMeasurement(t, m, model.Measurement{Check: "smoke check", Value: "true", Expected: "truthy: .id == 7",
				Message: tt.want.Method + " " + st.URL + " returned 201 Created; .id == 7 is true"})
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request at the service (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSmokeExpressionTimeBounded: an expression that never ends is stopped at the
// request timeout and reported as a probe error (the user's assertion, not the service,
// is at fault).
func TestSmokeExpressionTimeBounded(t *testing.T) {
	t.Parallel()
	ts := server(t, respond(200, "application/json", `{"n":1}`))
	h := secretConfig()
	h.Timeout = 100 * time.Millisecond
	c, err := NewSmoke(testSpec(model.KindSmoke, model.SignalSmoke),
		SmokeTest{URL: ts.URL, Expr: `reduce range(1e15) as $i (0; . + 1) > 0`}, h)
	if err != nil {
		t.Fatal(err)
	}
	got := probe(t, t.Context(), c)
	want := "GET " + ts.URL + ": expression reduce range(1e15) as $i (0; . + 1) > 0 did not finish within 100ms"
	assertMeasurement(t, got, model.Measurement{Check: "smoke check", Expected: "truthy: reduce range(1e15) as $i (0; . + 1) > 0",
		ProbeError: want, Message: want})
}
