package report

import (
	"unicode/utf8"

	"github.com/deploywatch/deploywatch/internal/model"
)

// maxSummaryRunes caps the one-line summary; it is an output value and a log line.
const maxSummaryRunes = 200

// SummaryLine is the run in one line of at most 200 characters: the verdict, why, and for a
// failure how fast it was caught, e.g. "failed: readiness: readiness returned 503 —
// detected after 41s". It is the `summary` output and the last log line.
func SummaryLine(r model.Report) string {
	head := string(r.Verdict)
	if head == "" {
		head = "unknown"
	}
	var tail string
	switch r.Verdict {
	case model.VerdictCancelled:
		if d := r.Duration(); d > 0 {
			head += " after " + FormatDuration(d)
		}
	case model.VerdictFailed:
		if r.DetectedAfter != nil {
			tail = " — detected after " + FormatDuration(*r.DetectedAfter)
		}
	}
	if r.DryRun {
		tail += " (dry run)"
	}
	body := clean(explanation(r))
	room := maxSummaryRunes - utf8.RuneCountInString(head) - len(": ") - utf8.RuneCountInString(tail)
	return head + ": " + truncate(body, room) + tail
}

// explanation says why the run got its verdict, in plain (unescaped) text. The analysis's
// reason is used for failed, degraded and inconclusive runs; healthy and cancelled runs are
// described from their counts, which say more than the generic reasons given for them.
func explanation(r model.Report) string {
	switch r.Verdict {
	case model.VerdictHealthy:
		return healthyText(r)
	case model.VerdictCancelled:
		return soFarText(r.Findings)
	}
	if r.Reason != "" {
		return r.Reason
	}
	switch r.Verdict {
	case model.VerdictFailed:
		if f, ok := firstFinding(r.Findings, func(f model.Finding) bool { return f.Fatal }); ok {
			return gist(f)
		}
		return "a check failed"
	case model.VerdictInconclusive:
		if f, ok := firstFinding(r.Findings, isProbeError); ok {
			return gist(f)
		}
		return "not enough evidence to decide"
	case model.VerdictDegraded:
		warnings := filter(r.Findings, func(f model.Finding) bool { return f.Type == model.FindingBreach && !f.Fatal })
		if len(warnings) == 0 {
			return "degraded"
		}
		return plural(len(warnings), "warning", "warnings") + " (" + gist(warnings[0]) + ")"
	}
	return "no reason given"
}

func healthyText(r model.Report) string {
	s := plural(len(r.Checks), "check", "checks") + " passed"
	if d := r.Duration(); d > 0 {
		s += " for " + FormatDuration(d)
	}
	if env := clean(r.Environment); env != "" {
		s += " in " + truncate(env, 40)
	}
	if n := len(r.Findings); n > 0 {
		s += " (" + plural(n, "finding", "findings") + " cleared)"
	}
	return s
}

func soFarText(findings []model.Finding) string {
	if len(findings) == 0 {
		return "no finding so far"
	}
	return plural(len(findings), "finding", "findings") + " so far (" + gist(findings[0]) + ")"
}

// gist is a finding in a few words: "readiness: returned 503 (expected 2xx)".
func gist(f model.Finding) string {
	msg := clean(f.Message)
	if msg == "" {
		msg = clean(f.Value)
		if e := clean(f.Expected); e != "" {
			msg += " (expected " + e + ")"
		}
	}
	if msg == "" {
		msg = string(f.Type)
	}
	return clean(f.Check) + ": " + msg
}

func isProbeError(f model.Finding) bool { return f.Type == model.FindingProbeError }

func firstFinding(fs []model.Finding, keep func(model.Finding) bool) (model.Finding, bool) {
	for _, f := range fs {
		if keep(f) {
			return f, true
		}
	}
	return model.Finding{}, false
}

func filter(fs []model.Finding, keep func(model.Finding) bool) []model.Finding {
	var out []model.Finding
	for _, f := range fs {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// keyFinding is the finding that explains a verdict: the first fatal one, else for a run
// that is not healthy the first active one.
func keyFinding(r model.Report) (model.Finding, bool) {
	if f, ok := firstFinding(r.Findings, func(f model.Finding) bool { return f.Fatal }); ok {
		return f, true
	}
	if r.Verdict == model.VerdictHealthy {
		return model.Finding{}, false
	}
	return firstFinding(r.Findings, func(f model.Finding) bool { return f.Active })
}
