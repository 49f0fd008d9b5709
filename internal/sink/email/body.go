package email

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// body is the plain-text mail: a summary line, the facts of the deploy, the key finding,
// every finding, the rollback and the links. Every piece of outside text goes through
// line, so none can add lines that pass for ours.
func body(ev sink.Event) string {
	r := ev.Report
	var b strings.Builder
	b.WriteString(summary(ev) + "\n\n")

	field(&b, "Deployment", description(r))
	field(&b, "Environment", line(r.Environment))
	if repo := line(r.Run.Repository); repo != "" {
		commit := repo + "@" + short(r.Run.DeployedSHA())
		if ref := line(r.Run.Ref); ref != "" {
			commit += " (" + ref + ")"
		}
		field(&b, "Commit", commit)
	}
	field(&b, "Change", line(r.Run.CommitMessage))
	if v := line(r.ExpectedVersion); v != "" && v != r.Run.DeployedSHA() {
		field(&b, "Version", v)
	}
	if !r.StartedAt.IsZero() {
		field(&b, "Started", stamp(r.StartedAt))
	}
	if !r.FinishedAt.IsZero() {
		field(&b, "Finished", stamp(r.FinishedAt)+" ("+report.FormatDuration(r.Duration())+")")
	}

	if f, ok := keyFinding(ev); ok {
		b.WriteString("\nKey finding\n")
		state := sink.FindingSeverity(f).String()
		if f.Fatal {
			state += ", fatal"
		}
		field(&b, "  Check", line(f.Check)+" ("+state+")")
		if f.Phase != "" {
			field(&b, "  Phase", f.Phase.Title())
		}
		field(&b, "  Message", line(f.Message))
		value := line(f.Value)
		if e := line(f.Expected); e != "" {
			value += " (expected " + e + ")"
		}
		field(&b, "  Value", strings.TrimSpace(value))
		field(&b, "  Baseline", line(f.Baseline))
		if !f.ConfirmedAt.IsZero() && !r.StartedAt.IsZero() {
			field(&b, "  Detected", report.FormatDuration(f.ConfirmedAt.Sub(r.StartedAt))+" after the start")
		}
	}

	if len(r.Findings) > 0 {
		fmt.Fprintf(&b, "\nFindings (%d)\n", len(r.Findings))
		for _, f := range r.Findings {
			state := "cleared"
			if f.Active {
				state = "active"
			}
			if f.Fatal {
				state += ", fatal"
			}
			fmt.Fprintf(&b, "  - %s %s: %s (%s)\n", sink.FindingSeverity(f), line(f.Check), line(f.Message), state)
		}
	}

	if rb := r.Rollback; rb != nil {
		b.WriteString("\nRollback\n  " + rollbackText(*rb) + "\n")
	}

	if links := links(r); len(links) > 0 {
		b.WriteString("\nLinks\n")
		for _, l := range links {
			field(&b, "  "+l.Label, l.URL)
		}
	}
	b.WriteString("\n-- \nSent by deploywatch " + line(r.Version) + " because of a problem with this deployment.\n")
	return b.String()
}

// summary is the first line: the outcome, or the finding and that the run goes on.
func summary(ev sink.Event) string {
	r := ev.Report
	f := ev.Finding
	if ev.Kind != sink.KindFinding || f == nil {
		return report.SummaryLine(r)
	}
	s := fmt.Sprintf("%s %s: %s", sink.FindingSeverity(*f), line(f.Check), line(f.Message))
	if !r.StartedAt.IsZero() && !ev.At.IsZero() {
		s += " — " + report.FormatDuration(ev.At.Sub(r.StartedAt)) + " after the start"
	}
	return s + "; monitoring goes on."
}

// keyFinding is the finding the mail is about: the event's, else the one that failed the
// run, else the most severe.
func keyFinding(ev sink.Event) (model.Finding, bool) {
	if ev.Finding != nil {
		return *ev.Finding, true
	}
	var key model.Finding
	found := false
	for _, f := range ev.Report.Findings {
		if f.Fatal {
			return f, true
		}
		if !found || sink.FindingSeverity(f) > sink.FindingSeverity(key) {
			key, found = f, true
		}
	}
	return key, found
}

// links are the run, the comment and the announcers' and dashboards' links, http(s) only.
func links(r model.Report) []model.Link {
	var out []model.Link
	seen := map[string]bool{}
	add := func(label, raw string) {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || seen[raw] {
			return
		}
		seen[raw] = true
		if label = line(label); label == "" {
			label = "Link"
		}
		out = append(out, model.Link{Label: label, URL: line(raw)})
	}
	add("Run", r.Run.RunURL)
	add("Comment", r.CommentURL)
	for _, l := range r.Links {
		add(l.Label, l.URL)
	}
	return out
}

func rollbackText(rb model.Rollback) string {
	switch {
	case rb.Message != "":
		return line(rb.Message)
	case rb.DryRun:
		return line(rb.Target) + " would be rolled back (dry run)"
	case rb.Performed:
		return fmt.Sprintf("%s rolled back from revision %d to %d", line(rb.Target), rb.FromRevision, rb.ToRevision)
	}
	return line(rb.Target) + " was not rolled back"
}

// field writes "Label:  value", aligned, and nothing for an empty value.
func field(b *strings.Builder, label, value string) {
	if value != "" {
		fmt.Fprintf(b, "%-14s%s\n", label+":", value)
	}
}

func description(r model.Report) string {
	if d := line(r.Description); d != "" {
		return d
	}
	return "Deploy to " + line(r.Environment)
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }
