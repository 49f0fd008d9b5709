package report

import (
	"fmt"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
)

// maxMarkdownBytes keeps the summary under GitHub's comment limit (65,536 characters) with
// room to spare; counting bytes over-counts characters, which errs on the safe side.
const maxMarkdownBytes = 60000

// budget caps the parts of the summary that grow with the run. Markdown tries each budget
// in turn until the text fits, so a huge run loses timeline rows first, then checks.
type budget struct {
	timeline int // timeline rows; 0 leaves a note instead of the table
	checks   int
	charts   int // metric charts
	parts    int // dependencies listed per check
	findings int
	history  int // previous deployments listed
	details  bool
}

var budgets = []budget{
	{timeline: 50, checks: 100, charts: 4, parts: 20, findings: 50, history: 10, details: true},
	{timeline: 20, checks: 50, charts: 2, parts: 10, findings: 20, history: 5, details: true},
	{timeline: 0, checks: 20, charts: 1, parts: 5, findings: 10, history: 3, details: true},
	{timeline: 0, checks: 10, charts: 0, parts: 0, findings: 5, history: 0, details: false},
}

// Markdown renders the job summary, also the body of the sticky pull-request comment: a
// heading with the verdict, why, the checks, the findings, the timeline and the run's
// details. Everything that comes from outside goes through EscapeMarkdown, and the text
// stays under 60,000 bytes whatever the run, shortening the timeline and the checks first.
func Markdown(r model.Report) string {
	var md string
	for _, b := range budgets {
		if md = renderMarkdown(r, b); len(md) <= maxMarkdownBytes {
			return md
		}
	}
	// The last budget bounds every part, so this is a safety net, not a path taken.
	const note = "\n\n_Summary cut to fit; the JSON report has everything._\n"
	cut := strings.LastIndexByte(md[:maxMarkdownBytes-len(note)], '\n')
	return md[:max(cut, 0)] + note
}

func renderMarkdown(r model.Report, bud budget) string {
	var b strings.Builder
	writeHeading(&b, r)
	writeExplanation(&b, r)
	writeLinks(&b, r)
	writeChecks(&b, r, bud)
	writeMetrics(&b, r, bud)
	writeComparison(&b, r)
	writeFindings(&b, r, bud)
	writeTimeline(&b, r, bud)
	writeHistory(&b, r, bud)
	writeWarnings(&b, r)
	if bud.details {
		writeDetails(&b, r)
	}
	return b.String()
}

func verdictEmoji(v model.Verdict) string {
	switch v {
	case model.VerdictHealthy:
		return "✅"
	case model.VerdictDegraded:
		return "⚠️"
	case model.VerdictFailed:
		return "❌"
	case model.VerdictInconclusive:
		return "❔"
	case model.VerdictCancelled:
		return "⏹️"
	}
	return "❔"
}

// writeHeading writes the verdict heading and one line of facts about the run.
func writeHeading(b *strings.Builder, r model.Report) {
	verdict := escapeCapped(string(r.Verdict), 30)
	if verdict == "" {
		verdict = "unknown"
	}
	if r.InProgress {
		// A provisional verdict reads as what it is: the state so far.
		b.WriteString("### ⏳ deploywatch — monitoring")
		if env := escapeCapped(r.Environment, 60); env != "" {
			b.WriteString(" (" + env + ")")
		}
		if r.Verdict == "" {
			b.WriteString(" · 🚀 started")
		} else {
			b.WriteString(" · " + verdictEmoji(r.Verdict) + " " + verdict + " so far")
		}
	} else {
		b.WriteString("### " + verdictEmoji(r.Verdict) + " deploywatch — " + verdict)
		if env := escapeCapped(r.Environment, 60); env != "" {
			b.WriteString(" (" + env + ")")
		}
	}
	b.WriteString("\n\n")
	var facts []string
	if d := escapeCapped(r.Description, 200); d != "" {
		facts = append(facts, d)
	}
	if r.ExpectedVersion != "" {
		facts = append(facts, "expected version "+versionMarkdown(r.ExpectedVersion))
	}
	if d := r.Duration(); d > 0 {
		facts = append(facts, "monitored "+FormatDuration(d))
	}
	if r.FailOn != model.SeverityNone {
		facts = append(facts, "fail on "+r.FailOn.String())
	}
	if r.DryRun {
		facts = append(facts, "🧪 **dry run**")
	}
	if len(facts) > 0 {
		b.WriteString(strings.Join(facts, " · ") + "\n\n")
	}
	if r.DryRun && (r.Verdict == model.VerdictFailed || r.Verdict == model.VerdictInconclusive) {
		b.WriteString("**Dry run:** this verdict did not fail the step.\n\n")
	}
}

// versionMarkdown shows a commit SHA short and as code (it is hex, so safe in a code span)
// and any other version escaped.
func versionMarkdown(v string) string {
	if isHex(v) {
		return "`" + shortVersion(v) + "`"
	}
	return escapeCapped(v, 40)
}

// writeExplanation writes the blockquote saying why: the reason and, for the finding that
// decided the verdict, what was seen against what was expected and when.
func writeExplanation(b *strings.Builder, r model.Report) {
	why := explanation(r)
	if r.Verdict == model.VerdictCancelled && r.Reason != "" {
		why = r.Reason + "; " + why
	}
	b.WriteString("> " + EscapeMarkdown(why) + "\n")
	if f, ok := keyFinding(r); ok {
		facts := append([]string{"**" + escapeCapped(f.Check, 60) + "**"}, findingFacts(f, r.StartedAt)...)
		b.WriteString(">\n> " + strings.Join(facts, " · ") + "\n")
	}
	b.WriteString("\n")
	if rb := r.Rollback; rb != nil {
		b.WriteString("**" + rollbackHeadline(rb) + "**")
		if rb.Message != "" {
			b.WriteString(" — " + EscapeMarkdown(rb.Message))
		}
		b.WriteString("\n\n")
	}
}

// rollbackHeadline says in a few words what became of a rollback.
func rollbackHeadline(rb *model.Rollback) string {
	target := EscapeMarkdown(rb.Target)
	switch {
	case rb.DryRun:
		return fmt.Sprintf("↩️ Dry run: %s would be rolled back from revision %d to %d", target, rb.FromRevision, rb.ToRevision)
	case rb.Performed && rb.Recovered:
		return fmt.Sprintf("↩️ Rolled back %s from revision %d to %d; the previous version is healthy again", target, rb.FromRevision, rb.ToRevision)
	case rb.Performed:
		return fmt.Sprintf("↩️ Rolled back %s from revision %d to %d, but it has not recovered", target, rb.FromRevision, rb.ToRevision)
	}
	return fmt.Sprintf("↩️ Rollback of %s failed", target)
}
