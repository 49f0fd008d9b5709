package analysis

import (
	"fmt"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Rules are the run-wide settings of the analysis.
type Rules struct {
	// FailOn is the lowest severity that fails the run.
	FailOn model.Severity
}

// Change is a finding raised, updated (escalated or turned fatal) or cleared by a
// measurement; each one is worth publishing.
type Change struct {
	Kind    model.EventKind // model.EventFinding or model.EventCleared
	Finding model.Finding
}

// maxFindings bounds memory on a flapping check over a long run; the oldest cleared,
// non-fatal findings go first.
const maxFindings = 500

// Evaluator follows the streaks of every check and keeps the findings of a run.
type Evaluator struct {
	rules    Rules
	checks   []*checkState
	byName   map[string]*checkState
	findings []model.Finding
}

// New returns an evaluator for the given checks.
func New(specs []model.CheckSpec, rules Rules) *Evaluator {
	e := &Evaluator{rules: rules, byName: make(map[string]*checkState, len(specs))}
	for _, s := range specs {
		st := newCheckState(s)
		e.checks = append(e.checks, st)
		e.byName[s.Name] = st
	}
	return e
}

// Outcome classifies one measurement under the rules.
func (e *Evaluator) Outcome(m model.Measurement, spec model.CheckSpec) model.Outcome {
	switch {
	case m.ProbeError != "":
		return model.OutcomeError
	case !m.Breach && m.Insufficient:
		return model.OutcomePending
	case !m.Breach:
		return model.OutcomePass
	case m.EffectiveSeverity(spec) >= e.rules.FailOn:
		return model.OutcomeFail
	default:
		return model.OutcomeWarn
	}
}

// Observe feeds one measurement taken in phase. It returns the measurement with its Outcome
// set and the findings it changed. A measurement of an unknown check is an error.
func (e *Evaluator) Observe(m model.Measurement, phase model.Phase) (model.Measurement, []Change, error) {
	st, ok := e.byName[m.Check]
	if !ok {
		return m, nil, fmt.Errorf("measurement of unknown check %q", m.Check)
	}
	if m.Carry {
		// No new evidence: the check keeps its last judgement, and streaks stand still.
		m.Outcome = st.judged
		if m.Outcome == "" {
			m.Outcome = model.OutcomePending
		}
		st.carry(m)
		return m, nil, nil
	}
	m.Outcome = e.Outcome(m, st.spec)
	st.judged = m.Outcome
	st.record(m)
	var changes []Change
	switch m.Outcome {
	case model.OutcomeError:
		changes = e.observeProbeError(st, m, phase)
	case model.OutcomePass:
		changes = e.observePass(st, m)
	case model.OutcomePending:
		changes = e.observePending(st, m)
	default:
		changes = e.observeBreach(st, m, phase)
	}
	return m, changes, nil
}

func (e *Evaluator) observePass(st *checkState, m model.Measurement) []Change {
	st.resetBreach()
	st.errStreak, st.errOnset = 0, time.Time{}
	var changes []Change
	for _, idx := range []*int{&st.activeBreach, &st.activeError} {
		if *idx < 0 {
			continue
		}
		f := &e.findings[*idx]
		f.Active, f.ClearedAt = false, m.At
		changes = append(changes, Change{Kind: model.EventCleared, Finding: *f})
		*idx = -1
	}
	return changes
}

// observePending handles a measurement that could not decide yet: the probe worked, so a
// run of probe errors is over, but it says nothing for or against a breach.
func (e *Evaluator) observePending(st *checkState, m model.Measurement) []Change {
	st.errStreak, st.errOnset = 0, time.Time{}
	if st.activeError < 0 {
		return nil
	}
	f := &e.findings[st.activeError]
	f.Active, f.ClearedAt = false, m.At
	st.activeError = -1
	return []Change{{Kind: model.EventCleared, Finding: *f}}
}

func (e *Evaluator) observeProbeError(st *checkState, m model.Measurement, phase model.Phase) []Change {
	if st.errStreak == 0 {
		st.errOnset = m.At
	}
	st.errStreak++
	if st.activeError >= 0 {
		f := &e.findings[st.activeError]
		f.Count, f.LastSeen, f.Message = st.errStreak, m.At, probeMessage(st, m)
		return nil
	}
	if st.errStreak <= st.spec.MaxProbeErrors {
		return nil
	}
	f := model.Finding{
		Check: st.spec.Name, Kind: st.spec.Kind, Type: model.FindingProbeError,
		Active: true, Message: probeMessage(st, m), Phase: phase,
		Onset: st.errOnset, ConfirmedAt: m.At, LastSeen: m.At, Count: st.errStreak,
	}
	st.activeError = e.add(f)
	return []Change{{Kind: model.EventFinding, Finding: f}}
}

func probeMessage(st *checkState, m model.Measurement) string {
	return fmt.Sprintf("%d probe errors in a row (budget %d): %s", st.errStreak, st.spec.MaxProbeErrors, m.ProbeError)
}

func (e *Evaluator) observeBreach(st *checkState, m model.Measurement, phase model.Phase) []Change {
	// A breach is an answer from the service, so any run of probe errors is over.
	st.errStreak, st.errOnset = 0, time.Time{}
	var changes []Change
	if st.activeError >= 0 {
		f := &e.findings[st.activeError]
		f.Active, f.ClearedAt = false, m.At
		changes = append(changes, Change{Kind: model.EventCleared, Finding: *f})
		st.activeError = -1
	}
	sev := m.EffectiveSeverity(st.spec)
	st.extendBreach(sev, m.At)
	level, onset, count := st.confirmed()
	if level == model.SeverityNone {
		return changes
	}
	if st.activeBreach < 0 {
		f := model.Finding{
			Check: st.spec.Name, Kind: st.spec.Kind, Type: model.FindingBreach,
			Signal: m.EffectiveSignal(st.spec), Severity: level, Active: true, Phase: phase,
			Onset: onset, ConfirmedAt: m.At, Count: count,
		}
		fill(&f, m)
		f.Fatal = e.fatal(f.Severity, phase)
		st.activeBreach = e.add(f)
		return append(changes, Change{Kind: model.EventFinding, Finding: f})
	}
	f := &e.findings[st.activeBreach]
	fill(f, m)
	f.Count = max(f.Count+1, count)
	escalated := level > f.Severity
	if escalated {
		f.Severity, f.Signal = level, m.EffectiveSignal(st.spec)
	}
	if f.Phase == model.PhaseWarmup && phase != model.PhaseWarmup {
		// The breach outlived the grace period: from now on it counts like any other.
		f.Phase = phase
	}
	becameFatal := !f.Fatal && e.fatal(f.Severity, phase)
	if becameFatal {
		// It counts from now: a warm-up finding turns fatal when the grace period ends.
		f.Fatal, f.ConfirmedAt = true, m.At
	}
	if escalated || becameFatal {
		changes = append(changes, Change{Kind: model.EventFinding, Finding: *f})
	}
	return changes
}

// fill copies the latest observation into a finding.
func fill(f *model.Finding, m model.Measurement) {
	f.Message, f.Value, f.Expected, f.Baseline = m.Message, m.Value, m.Expected, m.Baseline
	f.Parts, f.LastSeen = m.Parts, m.At
}

func (e *Evaluator) fatal(sev model.Severity, phase model.Phase) bool {
	if sev < e.rules.FailOn {
		return false
	}
	return phase != model.PhaseWarmup || sev >= model.SeverityEmergency
}

// add appends a finding, evicting the oldest cleared non-fatal one when full, and returns
// its index.
func (e *Evaluator) add(f model.Finding) int {
	if len(e.findings) >= maxFindings {
		for i, old := range e.findings {
			if !old.Active && !old.Fatal {
				e.findings = append(e.findings[:i], e.findings[i+1:]...)
				e.reindex(i)
				break
			}
		}
	}
	e.findings = append(e.findings, f)
	return len(e.findings) - 1
}

// reindex shifts the active-finding indexes after the finding at removed was dropped.
func (e *Evaluator) reindex(removed int) {
	for _, st := range e.checks {
		for _, idx := range []*int{&st.activeBreach, &st.activeError} {
			if *idx > removed {
				*idx--
			}
		}
	}
}

// Fatal returns the first fatal finding, if any.
func (e *Evaluator) Fatal() (model.Finding, bool) {
	for _, f := range e.findings {
		if f.Fatal {
			return f, true
		}
	}
	return model.Finding{}, false
}

// Findings returns a copy of every finding so far, in the order they were raised.
func (e *Evaluator) Findings() []model.Finding {
	return append([]model.Finding(nil), e.findings...)
}

// Checks returns the aggregate status of every check, in configuration order.
func (e *Evaluator) Checks() []model.CheckStatus {
	out := make([]model.CheckStatus, 0, len(e.checks))
	for _, st := range e.checks {
		out = append(out, st.snapshot())
	}
	return out
}
