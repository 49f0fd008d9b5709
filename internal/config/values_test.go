package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"10s", 10 * time.Second, ""},
		{" 1m30s ", 90 * time.Second, ""},
		{"0", 0, ""},
		{"250ms", 250 * time.Millisecond, ""},
		{"10", 0, "needs a unit"},
		{"ten", 0, "is not a duration"},
		{"-5s", 0, "must not be negative"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if got != tt.want || !containsErr(err, tt.wantErr) {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []time.Duration
		// wantErrs are the item errors, every one.
		wantErrs []string
	}{
		{in: "10s, 30s\n1m 5m", want: []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute}},
		{in: "10s,x", want: []time.Duration{10 * time.Second}, wantErrs: []string{`item "x" is not a duration: write e.g. 10s, 1m or 500ms`}},
		{in: "x,-1m,5m,3", want: []time.Duration{5 * time.Minute}, wantErrs: []string{
			`item "x" is not a duration: write e.g. 10s, 1m or 500ms`, `item "-1m" must not be negative`, `item "3" needs a unit: write e.g. 10s, 1m or 500ms`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDurations(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("durations (-want +got):\n%s", diff)
			}
			var errs []string
			if err != nil {
				for _, e := range unjoin(err) {
					errs = append(errs, e.Error())
				}
			}
			if diff := cmp.Diff(tt.wantErrs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePercent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"1%", 0.01, ""},
		{"0.5%", 0.005, ""},
		{"0.01", 0.01, ""},
		{"1", 1, ""},
		{"100%", 1, ""},
		{"5", 0, "is ambiguous: write 5% for a percentage"},
		{"150%", 0, "between 0% and 100%"},
		{"-1%", 0, "between 0% and 100%"},
		{"lots", 0, "is not a percentage"},
		{"NaN", 0, "is not a percentage"},
	}
	for _, tt := range tests {
		got, err := ParsePercent(tt.in)
		if got != tt.want || !containsErr(err, tt.wantErr) {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v, %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseLatencyThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Threshold
		wantErr bool
	}{
		{"2x", Threshold{Factor: 2}, false},
		{"1.5x", Threshold{Factor: 1.5}, false},
		{"500ms", Threshold{Absolute: 500 * time.Millisecond}, false},
		{"1x", Threshold{}, true},
		{"0s", Threshold{}, true},
		{"fast", Threshold{}, true},
	}
	for _, tt := range tests {
		got, err := ParseLatencyThreshold(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseLatencyThreshold(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"true": true, "True": true, "TRUE": true, "false": false, "FALSE": false} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"yes", "1", "on", ""} {
		if _, err := ParseBool(in); err == nil {
			t.Errorf("ParseBool(%q) accepted", in)
		}
	}
}

func TestParseSmokeTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    string
		want    SmokeTest
		wantErr string
	}{
		{`GET https://api.example.com/api/v1/status .status == "ok"`, SmokeTest{"GET", "https://api.example.com/api/v1/status", `.status == "ok"`}, ""},
		{`post http://127.0.0.1:8080/auth/health`, SmokeTest{"POST", "http://127.0.0.1:8080/auth/health", ""}, ""},
		{`https://api.example.com/x   .items | length > 0`, SmokeTest{"GET", "https://api.example.com/x", ".items | length > 0"}, ""},
		{`GTE https://x/y`, SmokeTest{}, `method "GTE" is not allowed; allowed: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS`},
		{`GET`, SmokeTest{}, "has no URL"},
		{`GET ftp://x/y`, SmokeTest{}, `URL "ftp://x/y" must be an http:// or https:// URL`},
		{`GET https://x/y .status ==`, SmokeTest{}, `jq expression ".status ==" does not compile`},
	}
	for _, tt := range tests {
		got, err := ParseSmokeTest(tt.line)
		if got != tt.want || !containsErr(err, tt.wantErr) {
			t.Errorf("ParseSmokeTest(%q) = %+v, %v; want %+v, %q", tt.line, got, err, tt.want, tt.wantErr)
		}
	}
}

// containsErr reports whether err matches want: nil for "", else an error containing want.
func containsErr(err error, want string) bool {
	if want == "" {
		return err == nil
	}
	return err != nil && strings.Contains(err.Error(), want)
}

func TestInputCheckValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Input
		v    string
		ok   bool
	}{
		{"duration", Input{Type: TypeDuration}, "10s", true},
		{"bad_duration", Input{Type: TypeDuration}, "soon", false},
		{"durations", Input{Type: TypeDurations}, "10s,30s", true},
		{"percent", Input{Type: TypePercent}, "1%", true},
		{"bad_bool", Input{Type: TypeBool}, "yes", false},
		{"count", Input{Type: TypeCount}, "2", true},
		{"bad_url", Input{Type: TypeURL}, "ftp://x", false},
		{"threshold", Input{Type: TypeThreshold}, "2x", true},
		{"baseline", Input{Type: TypeBaseline}, "30m,1d", true},
		{"bad_selector", Input{Type: TypeSelector}, "job=", false},
		{"enum", Input{Type: TypeEnum, Options: []string{"a", "b"}}, " b ", true},
		{"bad_enum", Input{Type: TypeEnum, Options: []string{"a", "b"}}, "c", false},
		{"string_has_no_parser", Input{Type: TypeString}, "anything", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.in.CheckValue(tt.v); (err == nil) != tt.ok {
				t.Errorf("CheckValue(%q) = %v, want ok %v", tt.v, err, tt.ok)
			}
		})
	}
}
