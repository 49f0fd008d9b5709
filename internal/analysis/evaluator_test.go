package analysis

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// step is one measurement of check "ready" in a scripted scenario.
type step struct {
	phase model.Phase
	// kind: "p" pass, "w" warning breach, "c" critical breach, "e" emergency breach, "x" probe error.
	kind string
}

func measurement(i int, kind string) model.Measurement {
	m := model.Measurement{Check: "ready", At: t0.Add(time.Duration(i) * 10 * time.Second), Latency: time.Duration(i+1) * time.Millisecond}
	switch kind {
	case "w":
		m.Breach, m.Severity, m.Message = true, model.SeverityWarning, "slow dependency"
	case "c":
		m.Breach, m.Message, m.Value, m.Expected = true, "returned 503", "503", "2xx"
	case "e":
		m.Breach, m.Severity, m.Signal, m.Message = true, model.SeverityEmergency, model.SignalHealth, "unreachable"
	case "x":
		m.ProbeError = "not JSON"
	}
	return m
}

func spec() model.CheckSpec {
	return model.CheckSpec{Name: "ready", Kind: model.KindReadiness, Signal: model.SignalHealth,
		Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
}

type change struct {
	At     int // index of the measurement that caused it
	Kind   model.EventKind
	Sev    model.Severity
	Fatal  bool
	Active bool
}

func run(t *testing.T, failOn model.Severity, steps []step) (*Evaluator, []change, []model.Outcome) {
	t.Helper()
	return runSpec(t, spec(), failOn, steps)
}

func runSpec(t *testing.T, s model.CheckSpec, failOn model.Severity, steps []step) (*Evaluator, []change, []model.Outcome) {
	t.Helper()
	e := New([]model.CheckSpec{s}, Rules{FailOn: failOn})
	var changes []change
	var outcomes []model.Outcome
	for i, s := range steps {
		phase := s.phase
		if phase == "" {
			phase = model.PhaseMonitor
		}
		m, cs, err := e.Observe(measurement(i, s.kind), phase)
		if err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, m.Outcome)
		for _, c := range cs {
			changes = append(changes, change{i, c.Kind, c.Finding.Severity, c.Finding.Fatal, c.Finding.Active})
		}
	}
	return e, changes, outcomes
}

func steps(kinds string, phase model.Phase) []step {
	var out []step
	for _, k := range kinds {
		out = append(out, step{phase, string(k)})
	}
	return out
}

func TestObserve(t *testing.T) {
	t.Parallel()
	const crit, warn, emer = model.SeverityCritical, model.SeverityWarning, model.SeverityEmergency
	tests := []struct {
		name   string
		failOn model.Severity
		// persistence and emergency overwrite the spec's when set.
		persistence, emergency int
		steps                  []step
		want                   []change
		verdict                model.Verdict
		outcomes               string // p=pass w=warn f=fail e=error
	}{
		{name: "all_pass", failOn: crit, steps: steps("ppp", ""), verdict: model.VerdictHealthy, outcomes: "ppp"},
		{name: "single_breach_does_not_count", failOn: crit, steps: steps("pcp", ""), verdict: model.VerdictHealthy, outcomes: "pfp"},
		{name: "two_consecutive_breaches_fail", failOn: crit, steps: steps("pcc", ""),
			want: []change{{2, model.EventFinding, crit, true, true}}, verdict: model.VerdictFailed, outcomes: "pff"},
		{name: "breach_interrupted_by_pass", failOn: crit, steps: steps("cpcp", ""), verdict: model.VerdictHealthy, outcomes: "fpfp"},
		{name: "emergency_counts_at_once", failOn: crit, steps: steps("pe", ""),
			want: []change{{1, model.EventFinding, emer, true, true}}, verdict: model.VerdictFailed, outcomes: "pf"},
		{name: "emergency_zero_means_one", failOn: crit, emergency: 0, steps: steps("e", ""),
			want: []change{{0, model.EventFinding, emer, true, true}}, verdict: model.VerdictFailed, outcomes: "f"},
		{name: "one_emergency_forgiven_with_emergency_persistence_2", failOn: crit, emergency: 2, steps: steps("pepp", ""),
			verdict: model.VerdictHealthy, outcomes: "pfpp"},
		{name: "two_emergencies_confirm_with_emergency_persistence_2", failOn: crit, emergency: 2, steps: steps("pee", ""),
			want: []change{{2, model.EventFinding, emer, true, true}}, verdict: model.VerdictFailed, outcomes: "pff"},
		{name: "emergency_after_critical_confirms_critical_then_emergency", failOn: crit, emergency: 2, steps: steps("cee", ""),
			want:    []change{{1, model.EventFinding, crit, true, true}, {2, model.EventFinding, emer, true, true}},
			verdict: model.VerdictFailed, outcomes: "fff"},
		{name: "emergency_persistence_capped_by_persistence", failOn: crit, persistence: 2, emergency: 5, steps: steps("pee", ""),
			want: []change{{2, model.EventFinding, emer, true, true}}, verdict: model.VerdictFailed, outcomes: "pff"},
		{name: "emergency_persistence_3", failOn: crit, persistence: 3, emergency: 3, steps: steps("eepeee", ""),
			want: []change{{5, model.EventFinding, emer, true, true}}, verdict: model.VerdictFailed, outcomes: "ffpfff"},
		{name: "warmup_emergency_waits_for_its_persistence", failOn: crit, emergency: 2,
			steps: append(steps("ep", model.PhaseWarmup), steps("p", model.PhaseMonitor)...), verdict: model.VerdictHealthy, outcomes: "fpp"},
		{name: "warning_below_fail_on_degrades", failOn: crit, steps: steps("wwwp", ""),
			want:    []change{{1, model.EventFinding, warn, false, true}, {3, model.EventCleared, warn, false, false}},
			verdict: model.VerdictDegraded, outcomes: "wwwp"},
		{name: "warning_fails_when_fail_on_warning", failOn: warn, steps: steps("ww", ""),
			want: []change{{1, model.EventFinding, warn, true, true}}, verdict: model.VerdictFailed, outcomes: "ff"},
		{name: "critical_below_fail_on_emergency_degrades", failOn: emer, steps: steps("cc", ""),
			want: []change{{1, model.EventFinding, crit, false, true}}, verdict: model.VerdictDegraded, outcomes: "ww"},
		{name: "warning_escalates_to_critical_after_its_own_persistence", failOn: crit, steps: steps("wwcc", ""),
			want:    []change{{1, model.EventFinding, warn, false, true}, {3, model.EventFinding, crit, true, true}},
			verdict: model.VerdictFailed, outcomes: "wwff"},
		{name: "mixed_warning_critical_confirms_warning_only", failOn: crit, steps: steps("cwcw", ""),
			want: []change{{1, model.EventFinding, warn, false, true}}, verdict: model.VerdictDegraded, outcomes: "fwfw"},
		{name: "probe_errors_within_budget_are_tolerated", failOn: crit, steps: steps("xxxp", ""), verdict: model.VerdictHealthy, outcomes: "eeep"},
		{name: "probe_errors_over_budget_inconclusive", failOn: crit, steps: steps("pxxxx", ""),
			want: []change{{4, model.EventFinding, model.SeverityNone, false, true}}, verdict: model.VerdictInconclusive, outcomes: "peeee"},
		{name: "probe_recovers_clears_inconclusive", failOn: crit, steps: steps("xxxxp", ""),
			want:    []change{{3, model.EventFinding, model.SeverityNone, false, true}, {4, model.EventCleared, model.SeverityNone, false, false}},
			verdict: model.VerdictHealthy, outcomes: "eeeep"},
		{name: "probe_error_does_not_break_a_breach_streak", failOn: crit, steps: steps("cxc", ""),
			want: []change{{2, model.EventFinding, crit, true, true}}, verdict: model.VerdictFailed, outcomes: "fef"},
		{name: "all_probes_failed_is_no_evidence", failOn: crit, steps: steps("xx", ""), verdict: model.VerdictInconclusive, outcomes: "ee"},
		{name: "warmup_critical_not_fatal_and_cleared_ignored", failOn: crit,
			steps:   append(steps("ccp", model.PhaseWarmup), steps("pp", model.PhaseMonitor)...),
			want:    []change{{1, model.EventFinding, crit, false, true}, {2, model.EventCleared, crit, false, false}},
			verdict: model.VerdictHealthy, outcomes: "ffppp"},
		{name: "warmup_breach_that_persists_becomes_fatal", failOn: crit,
			steps:   append(steps("cc", model.PhaseWarmup), steps("c", model.PhaseVerify)...),
			want:    []change{{1, model.EventFinding, crit, false, true}, {2, model.EventFinding, crit, true, true}},
			verdict: model.VerdictFailed, outcomes: "fff"},
		{name: "warmup_emergency_is_fatal", failOn: crit, steps: steps("e", model.PhaseWarmup),
			want: []change{{0, model.EventFinding, emer, true, true}}, verdict: model.VerdictFailed, outcomes: "f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := spec()
			if tt.persistence > 0 {
				s.Persistence = tt.persistence
			}
			s.EmergencyPersistence = tt.emergency
			e, changes, outcomes := runSpec(t, s, tt.failOn, tt.steps)
			if diff := cmp.Diff(tt.want, changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			var got string
			for _, o := range outcomes {
				got += string(o[0])
			}
			if got != tt.outcomes {
				t.Errorf("outcomes = %q, want %q", got, tt.outcomes)
			}
			d := Decide(e.Findings(), e.Checks(), false)
			if d.Verdict != tt.verdict {
				t.Errorf("verdict = %s (%s), want %s", d.Verdict, d.Reason, tt.verdict)
			}
		})
	}
}

func TestFindingExplainsItself(t *testing.T) {
	t.Parallel()
	e, _, _ := run(t, model.SeverityCritical, steps("pccc", ""))
	got := e.Findings()
	want := []model.Finding{{
		Check: "ready", Kind: model.KindReadiness, Signal: model.SignalHealth, Type: model.FindingBreach,
		Severity: model.SeverityCritical, Fatal: true, Active: true, Message: "returned 503", Value: "503", Expected: "2xx",
		Phase: model.PhaseMonitor, Onset: t0.Add(10 * time.Second), ConfirmedAt: t0.Add(20 * time.Second),
		LastSeen: t0.Add(30 * time.Second), Count: 3,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	fatal, ok := e.Fatal()
	if !ok || fatal.Check != "ready" {
		t.Errorf("Fatal() = %v, %v", fatal, ok)
	}
}

func TestChecksAggregates(t *testing.T) {
	t.Parallel()
	e, _, _ := run(t, model.SeverityCritical, steps("pcxpp", ""))
	got := e.Checks()[0]
	if got.Runs != 5 || got.Passes != 3 || got.Breaches != 1 || got.Errors != 1 {
		t.Errorf("aggregates = runs %d passes %d breaches %d errors %d", got.Runs, got.Passes, got.Breaches, got.Errors)
	}
	// Latencies 1..5 ms, but the probe error (3 ms) counts too since it took time.
	if got.Latency.Count != 5 || got.Latency.P50 != 3*time.Millisecond || got.Latency.P95 != 5*time.Millisecond || got.Latency.Max != 5*time.Millisecond {
		t.Errorf("latency = %+v", got.Latency)
	}
	if got.Last == nil || got.Last.Outcome != model.OutcomePass {
		t.Errorf("last = %+v", got.Last)
	}
}

func TestObserveUnknownCheck(t *testing.T) {
	t.Parallel()
	e := New([]model.CheckSpec{spec()}, Rules{FailOn: model.SeverityCritical})
	if _, _, err := e.Observe(model.Measurement{Check: "nope"}, model.PhaseMonitor); err == nil {
		t.Fatal("want an error for an unknown check")
	}
}

func TestFindingsBounded(t *testing.T) {
	t.Parallel()
	s := spec()
	s.Persistence = 1
	e := New([]model.CheckSpec{s}, Rules{FailOn: model.SeverityEmergency})
	for i := range 3 * maxFindings {
		kind := "c"
		if i%2 == 1 {
			kind = "p"
		}
		if _, _, err := e.Observe(measurement(i, kind), model.PhaseMonitor); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.Findings()); n != maxFindings {
		t.Errorf("kept %d findings, want %d", n, maxFindings)
	}
	// The last raised finding must still be the active-tracked one.
	if _, cs, _ := e.Observe(measurement(3*maxFindings, "p"), model.PhaseMonitor); len(cs) != 0 {
		t.Errorf("unexpected changes after a pass on a cleared check: %v", cs)
	}
	if _, cs, _ := e.Observe(measurement(3*maxFindings+1, "c"), model.PhaseMonitor); len(cs) != 1 {
		t.Errorf("want one new finding, got %v", cs)
	}
}

func TestPendingOutcome(t *testing.T) {
	t.Parallel()
	e := New([]model.CheckSpec{spec()}, Rules{FailOn: model.SeverityCritical})
	obs := func(i int, m model.Measurement) (model.Measurement, []Change) {
		m.Check, m.At = "ready", t0.Add(time.Duration(i)*time.Second)
		got, cs, err := e.Observe(m, model.PhaseMonitor)
		if err != nil {
			t.Fatal(err)
		}
		return got, cs
	}
	for i := range 4 {
		obs(i, model.Measurement{ProbeError: "no data"})
	}
	m, cs := obs(4, model.Measurement{Insufficient: true, Message: "insufficient traffic: 12 requests"})
	if m.Outcome != model.OutcomePending || len(cs) != 1 || cs[0].Kind != model.EventCleared {
		t.Errorf("pending after probe errors: outcome %s, changes %v", m.Outcome, cs)
	}
	obs(5, model.Measurement{Breach: true})
	obs(6, model.Measurement{Insufficient: true})
	if _, cs := obs(7, model.Measurement{Breach: true}); len(cs) != 1 || !cs[0].Finding.Fatal {
		t.Errorf("a pending measurement must not break a breach streak: %v", cs)
	}
	c := e.Checks()[0]
	if c.Pending != 2 || c.Errors != 4 || c.Breaches != 2 {
		t.Errorf("counts: %+v", c)
	}
	d := Decide(nil, []model.CheckStatus{{Spec: model.CheckSpec{Name: "error rate"}, Runs: 3, Pending: 3,
		Last: &model.Measurement{Outcome: model.OutcomePending, Message: "insufficient traffic: 12 requests, need ~300"}}}, false)
	if d.Verdict != model.VerdictInconclusive || d.Reason != "error rate: not enough evidence: insufficient traffic: 12 requests, need ~300" {
		t.Errorf("Decide = %+v", d)
	}
}

func TestSeriesBounded(t *testing.T) {
	t.Parallel()
	e := New([]model.CheckSpec{spec()}, Rules{FailOn: model.SeverityCritical})
	const n = 1000
	for i := range n {
		m := model.Measurement{Check: "ready", At: t0.Add(time.Duration(i) * time.Second),
			Metric: &model.MetricValue{Value: float64(i), HasValue: true}}
		if _, _, err := e.Observe(m, model.PhaseMonitor); err != nil {
			t.Fatal(err)
		}
	}
	pts := e.Checks()[0].Series
	if len(pts) > maxSeries || len(pts) < maxSeries/2 {
		t.Fatalf("%d points kept, want between %d and %d", len(pts), maxSeries/2, maxSeries)
	}
	if pts[0].Value != 0 || pts[len(pts)-1].Value < n-8 {
		t.Errorf("series spans %v..%v, want the whole run", pts[0].Value, pts[len(pts)-1].Value)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].Value-pts[i-1].Value != pts[1].Value-pts[0].Value {
			t.Fatalf("uneven spacing at %d: %v", i, pts[i-1:i+1])
		}
	}
}

func TestCarryKeepsTheJudgement(t *testing.T) {
	t.Parallel()
	e := New([]model.CheckSpec{spec()}, Rules{FailOn: model.SeverityCritical})
	obs := func(i int, m model.Measurement) (model.Measurement, []Change) {
		m.Check, m.At = "ready", t0.Add(time.Duration(i)*time.Second)
		got, cs, err := e.Observe(m, model.PhaseMonitor)
		if err != nil {
			t.Fatal(err)
		}
		return got, cs
	}
	if m, _ := obs(0, model.Measurement{Carry: true}); m.Outcome != model.OutcomePending {
		t.Errorf("a carry before any judgement is pending, got %s", m.Outcome)
	}
	obs(1, model.Measurement{Breach: true})
	// Carried breaches are not new evidence: they must not confirm the streak.
	for i := 2; i < 5; i++ {
		if m, cs := obs(i, model.Measurement{Carry: true, Message: "block filling"}); m.Outcome != model.OutcomeFail || len(cs) != 0 {
			t.Fatalf("carry %d: outcome %s, changes %v", i, m.Outcome, cs)
		}
	}
	if _, cs := obs(5, model.Measurement{Breach: true}); len(cs) != 1 || !cs[0].Finding.Fatal {
		t.Errorf("the second judged breach confirms the finding: %v", cs)
	}
	c := e.Checks()[0]
	if c.Runs != 2 || c.Breaches != 2 || c.Last.Message != "" {
		t.Errorf("carries count no runs: %+v", c)
	}
}
