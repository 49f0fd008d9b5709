package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// verdictCase is the run as one test case, so a merge request's test summary says at a
// glance whether the deploy held.
func verdictCase(r model.Report) junitCase {
	summary := xmlLine(SummaryLine(r), junitMessageRunes)
	tc := junitCase{Name: "verdict", Time: junitSeconds(r.Duration())}
	out := []string{summary}
	if rb := r.Rollback; rb != nil {
		out = append(out, "rollback: "+xmlLine(rb.Message, junitMessageRunes))
	}
	switch r.Verdict {
	case model.VerdictFailed:
		tc.Failure = &junitOutcome{Message: summary, Type: "failed", Body: gists(r.Findings, isFatal, r.Reason)}
	case model.VerdictInconclusive:
		tc.Error = &junitOutcome{Message: summary, Type: "inconclusive", Body: gists(r.Findings, isProbeError, r.Reason)}
	case model.VerdictCancelled:
		tc.Skipped = &junitOutcome{Message: summary, Body: summary}
	case model.VerdictDegraded:
		if g := gists(r.Findings, isWarning, ""); g != "" {
			out = append(out, g)
		}
	}
	tc.SystemOut = junitText(strings.Join(out, "\n"))
	tc.SystemErr = junitText(listed(r.Warnings, func(w string) string { return "warning: " + xmlLine(w, junitMessageRunes) }))
	return tc
}

func isFatal(f model.Finding) bool   { return f.Fatal }
func isWarning(f model.Finding) bool { return !f.Fatal && f.Type == model.FindingBreach }

// gists lists the kept findings one per line, or the fallback when none is kept.
func gists(fs []model.Finding, keep func(model.Finding) bool, fallback string) string {
	s := listed(filter(fs, keep), func(f model.Finding) string { return xmlLine(f.Check, 60) + ": " + findingMessage(f) })
	if s == "" {
		return xmlLine(fallback, junitMessageRunes)
	}
	return s
}

// checkCase is one check as a test case.
func checkCase(r model.Report, c model.CheckStatus) junitCase {
	tc := junitCase{Name: xmlLine(c.Spec.Name, junitNameRunes), Time: junitSeconds(checkLatency(c))}
	if tc.Name == "" {
		tc.Name = "unnamed check"
	}
	mine := filter(r.Findings, func(f model.Finding) bool { return f.Check == c.Spec.Name })
	block := func(fs []model.Finding) string {
		return listed(fs, func(f model.Finding) string { return findingBlock(f, r.StartedAt) })
	}
	// A probe error fails the run only when it is still going or made it inconclusive; one
	// the probe recovered from is only worth a mention.
	erring := func(f model.Finding) bool {
		return isProbeError(f) && (f.Active || r.Verdict == model.VerdictInconclusive)
	}
	var rest []model.Finding // findings not already in a failure or error body
	switch fatal, probe := filter(mine, isFatal), filter(mine, erring); {
	case len(fatal) > 0:
		tc.Failure = &junitOutcome{Message: findingMessage(fatal[0]), Type: fatal[0].Severity.String(), Body: block(fatal)}
		rest = filter(mine, func(f model.Finding) bool { return !f.Fatal })
	case len(probe) > 0:
		tc.Error = &junitOutcome{Message: findingMessage(probe[0]), Type: string(model.FindingProbeError), Body: block(probe)}
		rest = filter(mine, func(f model.Finding) bool { return !erring(f) })
	case c.Runs == 0:
		tc.Skipped = &junitOutcome{Message: "the check never ran", Body: "the check never ran"}
		rest = mine
	default:
		rest = mine
	}
	out := []string{checkStats(c, r.StartedAt)}
	if b := block(rest); b != "" {
		out = append(out, b)
	}
	tc.SystemOut = junitText(strings.Join(out, "\n"))
	return tc
}

// checkLatency is the check's p95 probe latency, else its last probe's.
func checkLatency(c model.CheckStatus) time.Duration {
	if c.Latency.Count > 0 {
		return c.Latency.P95
	}
	if c.Last != nil {
		return c.Last.Latency
	}
	return 0
}

// checkStats says what the check probed, how often and how it went, in a few lines.
func checkStats(c model.CheckStatus, start time.Time) string {
	lines := []string{fmt.Sprintf("%s check, target %s", xmlLine(string(c.Spec.Kind), 40), xmlLine(c.Spec.Target, junitMessageRunes))}
	if c.Runs > 0 {
		lines = append(lines, fmt.Sprintf("%s: %d passed, %d breached, %s, %d pending", plural(c.Runs, "run", "runs"),
			c.Passes, c.Breaches, plural(c.Errors, "probe error", "probe errors"), c.Pending))
	}
	if l := c.Latency; l.Count > 0 {
		lines = append(lines, fmt.Sprintf("latency p50 %s, p95 %s, max %s", FormatDuration(l.P50), FormatDuration(l.P95), FormatDuration(l.Max)))
	}
	if m := c.Last; m != nil {
		text := xmlLine(m.Message, junitMessageRunes)
		if m.ProbeError != "" {
			text = "probe error: " + xmlLine(m.ProbeError, junitMessageRunes)
		}
		if v := xmlLine(m.Value, 100); v != "" {
			text += " (value " + v + ")"
		}
		when := ""
		if o := offset(start, m.At); o != "" {
			when = " at " + o
		}
		lines = append(lines, fmt.Sprintf("last %s%s: %s", xmlLine(string(m.Outcome), 20), when, text))
	}
	return strings.Join(lines, "\n")
}

// findingMessage is a finding's message with what it measured: "readiness returned 503
// (value 503, expected 2xx, baseline 200)".
func findingMessage(f model.Finding) string {
	msg := xmlLine(f.Message, junitMessageRunes)
	if msg == "" {
		msg = xmlLine(string(f.Type), 40)
	}
	var facts []string
	for _, kv := range [][2]string{{"value", f.Value}, {"expected", f.Expected}, {"baseline", f.Baseline}} {
		if v := xmlLine(kv[1], 100); v != "" {
			facts = append(facts, kv[0]+" "+v)
		}
	}
	if len(facts) > 0 {
		msg += " (" + strings.Join(facts, ", ") + ")"
	}
	return msg
}

// findingBlock is a finding in full: a headline, then one indented fact per line.
func findingBlock(f model.Finding, start time.Time) string {
	head := xmlLine(string(f.Type), 40)
	if f.Type != model.FindingProbeError {
		head = f.Severity.String() + " " + head
	}
	lines := []string{head + ": " + findingMessage(f)}
	fact := func(label, v string) {
		if v != "" {
			lines = append(lines, "  "+label+": "+v)
		}
	}
	fact("signal", xmlLine(string(f.Signal), 60))
	fact("phase", xmlLine(string(f.Phase), 40))
	fact("onset", offset(start, f.Onset))
	fact("confirmed", offset(start, f.ConfirmedAt))
	fact("cleared", offset(start, f.ClearedAt))
	if f.Type == model.FindingProbeError {
		fact("streak", plural(f.Count, "probe error in a row", "probe errors in a row"))
	} else {
		fact("streak", plural(f.Count, "consecutive check", "consecutive checks"))
	}
	fact("fatal", fmt.Sprint(f.Fatal))
	fact("active", fmt.Sprint(f.Active))
	for i, p := range f.Parts {
		if i == junitPartsListed {
			fact("dependencies", fmt.Sprintf("… %d more", len(f.Parts)-i))
			break
		}
		state := "ok"
		if !p.OK {
			state = "failing"
		}
		if d := xmlLine(p.Detail, 200); d != "" {
			state += ", " + d
		}
		fact("dependency "+xmlLine(p.Name, 60), state)
	}
	return strings.Join(lines, "\n")
}

// listed renders up to junitListed items, one per line, and says how many were left out.
func listed[T any](items []T, render func(T) string) string {
	var lines []string
	for i, it := range items {
		if i == junitListed {
			lines = append(lines, fmt.Sprintf("… %d more (the JSON report has them all)", len(items)-i))
			break
		}
		lines = append(lines, render(it))
	}
	return strings.Join(lines, "\n")
}

// junitSeconds is d in seconds with millisecond precision, as JUnit's time attribute.
func junitSeconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", seconds(max(d, 0)))
}

// xmlLine is untrusted text as one line of at most max runes that XML 1.0 can carry:
// clean drops the control characters, this drops the noncharacters U+FFFE and U+FFFF
// that clean lets through.
func xmlLine(s string, max int) string {
	return strings.Map(func(r rune) rune {
		if r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, line(s, max))
}
