package demo

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestScenariosAreConsistent(t *testing.T) {
	t.Parallel()
	all := Scenarios()
	if all[0].Name != "readiness" {
		t.Errorf("first scenario = %q, want the default readiness", all[0].Name)
	}
	names := map[string]bool{}
	for _, s := range all {
		t.Run(s.Name, func(t *testing.T) {
			if names[s.Name] {
				t.Errorf("scenario listed twice")
			}
			names[s.Name] = true
			if _, err := ParseFault(string(s.Fault)); err != nil {
				t.Errorf("fault: %v", err)
			}
			if !slices.Contains(model.Verdicts(), model.Verdict(s.Expect)) || s.Expect == string(model.VerdictCancelled) {
				t.Errorf("Expect = %q, not a verdict a run can reach", s.Expect)
			}
			if s.Title == "" || strings.Contains(s.Title, "\n") {
				t.Errorf("Title = %q, want one non-empty line", s.Title)
			}
			// The banner promises the onset; it must match the schedule.
			if s.Onset > 0 && !strings.Contains(s.Title, fmt.Sprintf("%ds after the deploy", int(s.Onset/time.Second))) {
				t.Errorf("Title %q does not state the onset %v", s.Title, s.Onset)
			}
		})
	}
}

func TestScenarioExpectations(t *testing.T) {
	t.Parallel()
	want := map[string]struct {
		fault   Fault
		expect  string
		onset   bool
		metrics bool // only the metric checks can see the fault
	}{
		"readiness":   {FaultReadiness, "failed", true, false},
		"healthy":     {FaultNone, "healthy", false, false},
		"dependency":  {FaultDependency, "degraded", true, false},
		"version":     {FaultVersion, "failed", false, false},
		"smoke":       {FaultSmoke, "failed", true, false},
		"crash":       {FaultCrash, "failed", true, false},
		"hang":        {FaultHang, "failed", true, false},
		"bad-info":    {FaultBadInfo, "inconclusive", true, false},
		"error-spike": {FaultErrors, "failed", true, true},
		"latency":     {FaultLatency, "degraded", true, true},
	}
	got := Scenarios()
	if len(got) != len(want) {
		t.Errorf("Scenarios() has %d entries, want %d (slow is left out)", len(got), len(want))
	}
	for _, s := range got {
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected scenario %q", s.Name)
			continue
		}
		if s.Fault != w.fault || s.Expect != w.expect || (s.Onset > 0) != w.onset || s.Metrics != w.metrics {
			t.Errorf("%s = {fault %q, expect %q, onset %v, metrics %v}, want {%q, %q, onset>0 %v, metrics %v}",
				s.Name, s.Fault, s.Expect, s.Onset, s.Metrics, w.fault, w.expect, w.onset, w.metrics)
		}
	}
}

func TestDefaultScenario(t *testing.T) {
	t.Parallel()
	d := DefaultScenario()
	if d.Name != "readiness" || d.Fault != FaultReadiness {
		t.Fatalf("DefaultScenario() = %+v, want readiness", d)
	}
}

func TestLookupScenario(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "exact", in: "crash", want: "crash"},
		{name: "case_insensitive", in: "Bad-Info", want: "bad-info"},
		{name: "error_spike", in: "error-spike", want: "error-spike"},
		{name: "slow_is_not_a_scenario", in: "slow",
			wantErr: `unknown scenario "slow"; valid: readiness, healthy, dependency, version, smoke, crash, hang, bad-info, error-spike, latency`},
		{name: "unknown", in: "meteor", wantErr: `unknown scenario "meteor"; valid: readiness, healthy,`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LookupScenario(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("LookupScenario(%q) error = %v, want prefix %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Name != tc.want {
				t.Fatalf("LookupScenario(%q) = %q, %v; want %q", tc.in, got.Name, err, tc.want)
			}
		})
	}
}
