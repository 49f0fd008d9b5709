package demo

import (
	"strings"
	"testing"
)

func TestParseFault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Fault
		wantErr string
	}{
		{name: "exact", in: "readiness", want: FaultReadiness},
		{name: "mixed_case_and_spaces", in: "  Bad-Info ", want: FaultBadInfo},
		{name: "none", in: "none", want: FaultNone},
		{name: "errors", in: "ERRORS", want: FaultErrors},
		{name: "latency", in: "latency", want: FaultLatency},
		{name: "unknown_lists_valid_names", in: "explode",
			wantErr: `unknown fault "explode"; valid: none, readiness, dependency, version, smoke, crash, hang, bad-info, slow, errors, latency`},
		{name: "empty", in: "", wantErr: `unknown fault ""; valid: none,`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFault(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("ParseFault(%q) error = %v, want prefix %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseFault(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestFaultsRoundTrip(t *testing.T) {
	t.Parallel()
	seen := map[Fault]bool{}
	for _, f := range Faults() {
		if seen[f] {
			t.Errorf("fault %q listed twice", f)
		}
		seen[f] = true
		got, err := ParseFault(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFault(%q) = %q, %v", f, got, err)
		}
	}
	if Faults()[0] != FaultNone {
		t.Errorf("Faults()[0] = %q, want none", Faults()[0])
	}
}
