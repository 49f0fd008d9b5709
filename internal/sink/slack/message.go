package slack

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// buildMessage renders ev: a header naming the deploy and what happened, a section saying
// why, the run's facts as fields, and links to the run, the comment and the deployment.
// Every outside string is escaped; fit keeps the result within Slack's limits.
func buildMessage(ev sink.Event) message {
	r := ev.Report
	var f model.Finding
	if ev.Finding != nil {
		f = *ev.Finding
	}
	var icon, color, state, summary, body string
	switch ev.Kind {
	case sink.KindStarted:
		icon, color, state = "🚀", colorInfo, "started"
		summary, body = "started: "+startedLine(r), startedText(r)
	case sink.KindProgress:
		icon, color, state = "⏱️", colorInfo, "checkpoint +"+report.FormatDuration(ev.Checkpoint)
		summary = state + ": " + report.SummaryLine(r)
		body = fmt.Sprintf("*Checkpoint +%s* · %s", report.FormatDuration(ev.Checkpoint), esc(report.SummaryLine(r)))
	case sink.KindFinding:
		sev := sink.FindingSeverity(f)
		icon, color = severityLook(sev)
		state = strings.ToLower(severityLabel(f, sev))
		summary, body = gist(f, sev), findingText(f, sev, "")
		if f.Fatal {
			body += "\nThis finding fails the deploy."
		}
	case sink.KindCleared:
		icon, color, state = "✅", colorGood, "all clear"
		summary, body = "all clear: "+oneLine(f.Check)+" passes again", clearedText(f)
	case sink.KindRolledBack:
		icon, color = rollbackLook(r.Rollback)
		state, body = "rolled back", rollbackText(r)
		summary = "rolled back: " + rollbackSummary(r.Rollback)
	default: // sink.KindFinished
		icon, color = verdictLook(r.Verdict)
		state, summary, body = string(r.Verdict), report.SummaryLine(r), finishedText(r)
	}
	blocks := []block{header(icon + " " + title(r) + ": " + state), section(body)}
	if fs := fields(ev, f); len(fs) > 0 {
		blocks = append(blocks, fieldsSection(fs))
	}
	blocks = append(blocks, contextBlock(footer(r)...))
	return fit(message{
		Text:        icon + " " + esc(title(r)) + " — " + esc(summary),
		Attachments: []attachment{{Color: color, Blocks: blocks}},
	})
}

// startedText announces the deploy: its description, what will be watched, the commit.
func startedText(r model.Report) string {
	s := "*Deployment started*"
	if d := oneLine(r.Description); d != "" {
		s += " · " + esc(d)
	}
	if l := startedLine(r); l != "monitoring started" {
		s += "\n" + esc(l)
	}
	if m := oneLine(r.Run.CommitMessage); m != "" {
		s += "\n>" + esc(m)
	}
	return s
}

// startedLine is what the monitor set out to do, from the start of the timeline.
func startedLine(r model.Report) string {
	for _, e := range r.Timeline {
		if e.Kind == model.EventStarted && oneLine(e.Text) != "" {
			return oneLine(e.Text)
		}
	}
	return "monitoring started"
}

// gist is a finding on one line of plain text, for the notification.
func gist(f model.Finding, sev model.Severity) string {
	return strings.ToLower(severityLabel(f, sev)) + " " + oneLine(f.Check) + ": " + oneLine(f.Message)
}

// findingText explains a finding: what, then the value against the expectation and the
// baseline it derives from.
func findingText(f model.Finding, sev model.Severity, lead string) string {
	icon, _ := severityLook(sev)
	s := icon + " *" + severityLabel(f, sev) + "* · " + esc(f.Check)
	if lead != "" {
		s = "*" + lead + "* · " + s
	}
	if m := esc(f.Message); m != "" {
		s += ": " + m
	}
	var facts []string
	if v := esc(f.Value); v != "" {
		facts = append(facts, "Observed *"+v+"*")
	}
	if e := esc(f.Expected); e != "" {
		facts = append(facts, "expected "+e)
	}
	if b := esc(f.Baseline); b != "" {
		facts = append(facts, "baseline "+b)
	}
	if len(facts) > 0 {
		s += "\n" + strings.Join(facts, " · ")
	}
	return s
}

// clearedText is the all-clear: the check passes again, and what it had found.
func clearedText(f model.Finding) string {
	s := "*All clear* · " + esc(f.Check) + " passes again"
	if !f.ClearedAt.IsZero() && f.ClearedAt.After(f.ConfirmedAt) && !f.ConfirmedAt.IsZero() {
		s += " after " + report.FormatDuration(f.ClearedAt.Sub(f.ConfirmedAt))
	}
	if m := esc(f.Message); m != "" {
		s += "\nIt was: " + m
	}
	return s
}

// detectedAfter is how long after the start the event's problem was confirmed.
func detectedAfter(ev sink.Event, f model.Finding) (time.Duration, bool) {
	r := ev.Report
	switch ev.Kind {
	case sink.KindFinding:
		if !f.ConfirmedAt.IsZero() && !r.StartedAt.IsZero() {
			return f.ConfirmedAt.Sub(r.StartedAt), true
		}
	case sink.KindRolledBack, sink.KindFinished:
		if r.DetectedAfter != nil {
			return *r.DetectedAfter, true
		}
	}
	return 0, false
}
