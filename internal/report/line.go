package report

import (
	"fmt"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
)

// nameWidth is the least width check names are padded to, so values line up in a log;
// the widest name of the run widens it, up to maxNameWidth.
const (
	nameWidth    = 12
	maxNameWidth = 32
)

// widthFor is the column width that aligns every check name of the run.
func widthFor(s model.Status) int {
	w := nameWidth
	for _, c := range s.Checks {
		w = max(w, len([]rune(c.Spec.Name)))
	}
	return min(w, maxNameWidth)
}

// Line renders one live event as one log line for a terminal or CI log: no newline, no ANSI
// codes (the platform adds colour from the level). ok is false when the event deserves no
// line of its own: a phase change (the platform opens a log group instead), an event
// without its payload, or an unknown kind.
func Line(ev model.Event) (level Level, text string, ok bool) {
	switch ev.Kind {
	case model.EventStarted:
		return LevelInfo, startedLine(ev.Status), true
	case model.EventMeasured:
		if ev.Measurement == nil {
			return 0, "", false
		}
		level, text = measuredLine(*ev.Measurement, widthFor(ev.Status))
		return level, text, true
	case model.EventFinding:
		if ev.Finding == nil {
			return 0, "", false
		}
		level, text = findingLine(*ev.Finding, ev.Status)
		return level, text, true
	case model.EventCleared:
		if ev.Finding == nil {
			return 0, "", false
		}
		return LevelSuccess, clearedLine(*ev.Finding), true
	case model.EventCheckpoint:
		return LevelInfo, checkpointLine(ev), true
	case model.EventFinished:
		level, text = finishedLine(ev.Status)
		return level, text, true
	}
	return 0, "", false
}

func startedLine(s model.Status) string {
	names := make([]string, 0, len(s.Checks))
	for _, c := range s.Checks[:min(len(s.Checks), 6)] {
		names = append(names, line(c.Spec.Name, 40))
	}
	if n := len(s.Checks) - len(names); n > 0 {
		names = append(names, fmt.Sprintf("+%d more", n))
	}
	text := "monitoring " + plural(len(s.Checks), "check", "checks")
	if len(names) > 0 {
		text += ": " + strings.Join(names, ", ")
	}
	return text
}

// measuredLine is "✓ readiness    200 in 12ms" for a pass, "✗ …" for a breach and "! …" for
// a probe error.
func measuredLine(m model.Measurement, width int) (Level, string) {
	name := fmt.Sprintf("%-*s", width, line(m.Check, maxNameWidth))
	outcome := m.Outcome
	if outcome == "" {
		// Not judged yet: classify from the observation alone.
		switch {
		case m.ProbeError != "":
			outcome = model.OutcomeError
		case m.Breach:
			outcome = model.OutcomeWarn
		default:
			outcome = model.OutcomePass
		}
	}
	switch outcome {
	case model.OutcomePending:
		return LevelInfo, "… " + name + " pending: " + line(m.Message, 160)
	case model.OutcomePass:
		return LevelSuccess, "✓ " + name + " " + observed(m, "ok") + " in " + FormatDuration(m.Latency)
	case model.OutcomeError:
		msg := m.ProbeError
		if msg == "" {
			msg = m.Message
		}
		return LevelWarning, "! " + name + " probe error: " + line(msg, 160)
	}
	level := LevelWarning
	if outcome == model.OutcomeFail {
		level = LevelError
	}
	text := "✗ " + name + " " + observed(m, "breach")
	if e := shortSHA(line(m.Expected, 60)); e != "" {
		text += " (expected " + e + ")"
	}
	text += " in " + FormatDuration(m.Latency)
	var failing []string
	for _, p := range m.Parts {
		if !p.OK {
			item := line(p.Name, 40)
			if d := line(p.Detail, 60); d != "" {
				item += " (" + d + ")"
			}
			failing = append(failing, item)
		}
	}
	if len(failing) > 0 {
		text += " — failing: " + truncate(strings.Join(failing, ", "), 200)
	}
	return level, text
}

// observed is the value a measurement saw, else its message, else fallback. A full commit
// SHA is shortened: 12 characters identify it in a log.
func observed(m model.Measurement, fallback string) string {
	if v := line(m.Value, 60); v != "" {
		return shortSHA(v)
	}
	if msg := line(m.Message, 120); msg != "" {
		return msg
	}
	return fallback
}

// findingLine is "FAIL critical readiness: <message> (2 consecutive checks, onset +31s)".
func findingLine(f model.Finding, s model.Status) (Level, string) {
	level := LevelWarning
	if f.Fatal {
		level = LevelError
	}
	var facts []string
	if f.Type != model.FindingProbeError {
		// A probe-error finding's message already counts the errors in a row.
		facts = append(facts, plural(f.Count, "consecutive check", "consecutive checks"))
	}
	if o := offset(s.StartedAt, f.Onset); o != "" {
		facts = append(facts, "onset "+o)
	}
	if f.Phase == model.PhaseWarmup && !f.Fatal {
		facts = append(facts, "during warm-up")
	}
	msg := line(f.Message, 160)
	if msg == "" {
		msg = line(f.Value, 60)
		if e := line(f.Expected, 60); e != "" {
			msg += " (expected " + e + ")"
		}
	}
	var prefix string
	switch {
	case f.Type == model.FindingProbeError:
		prefix = "INCONCLUSIVE"
	case f.Fatal:
		prefix = "FAIL " + f.Severity.String()
	default:
		prefix = "WARN " + f.Severity.String()
	}
	text := prefix + " " + line(f.Check, 60) + ": " + msg
	if len(facts) > 0 {
		text += " (" + strings.Join(facts, ", ") + ")"
	}
	return level, text
}

// clearedLine is "CLEARED readiness: passing again after 3 checks".
func clearedLine(f model.Finding) string {
	if f.Type == model.FindingProbeError {
		return "CLEARED " + line(f.Check, 60) + ": probe working again after " + plural(f.Count, "error", "errors")
	}
	return "CLEARED " + line(f.Check, 60) + ": passing again after " + plural(f.Count, "check", "checks")
}

// checkpointLine is "── checkpoint 30s · 4 checks · 0 findings · healthy so far".
func checkpointLine(ev model.Event) string {
	verdict := "no verdict"
	if ev.Status.Verdict != "" {
		verdict = line(string(ev.Status.Verdict), 20)
	}
	return fmt.Sprintf("── checkpoint %s · %s · %s · %s so far", FormatDuration(ev.Checkpoint),
		plural(len(ev.Status.Checks), "check", "checks"), plural(len(ev.Status.Findings), "finding", "findings"), verdict)
}

// finishedLine is "── verdict failed: readiness: returned 503 — detected after 41s": the
// summary line, derived from the final status.
func finishedLine(s model.Status) (Level, string) {
	level := LevelInfo
	switch s.Verdict {
	case model.VerdictHealthy:
		level = LevelSuccess
	case model.VerdictDegraded:
		level = LevelWarning
	case model.VerdictFailed, model.VerdictInconclusive:
		level = LevelError
	}
	r := model.Report{Result: model.Result{
		StartedAt: s.StartedAt, FinishedAt: s.StartedAt.Add(s.Elapsed),
		Verdict: s.Verdict, Reason: s.Reason, Checks: s.Checks, Findings: s.Findings,
	}}
	if f, ok := firstFinding(s.Findings, func(f model.Finding) bool { return f.Fatal }); ok && !s.StartedAt.IsZero() {
		after := f.ConfirmedAt.Sub(s.StartedAt)
		r.DetectedAfter = &after
	}
	return level, "── verdict " + SummaryLine(r)
}

// shortSHA shortens a full commit SHA to the 12 characters that identify it in a log.
func shortSHA(v string) string {
	if len(v) == 40 && isHex(v) {
		return v[:12]
	}
	return v
}
