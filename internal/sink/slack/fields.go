package slack

import (
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// fields are the run's facts shown side by side: where, what, when, and the rollback.
func fields(ev sink.Event, f model.Finding) []*text {
	r := ev.Report
	var out []*text
	add := func(name, value string) {
		if value != "" {
			out = append(out, md("*"+name+"*\n"+value))
		}
	}
	add("Environment", esc(r.Environment))
	add("Repository", esc(r.Run.Repository))
	if sha := report.ShortCommit(r.Run.DeployedSHA()); sha != "" {
		c := esc(sha)
		if strings.Trim(sha, "0123456789abcdef") == "" {
			c = "`" + sha + "`" // a hex commit: nothing to escape, nothing to break the code span
		}
		if ref := esc(strings.TrimPrefix(strings.TrimPrefix(r.Run.Ref, "refs/heads/"), "refs/tags/")); ref != "" {
			c += " on " + ref
		}
		add("Commit", c)
	}
	if v := report.VersionLabel(r); v != "" && v != report.ShortCommit(r.Run.DeployedSHA()) {
		add("Version", esc(v))
	}
	if !r.StartedAt.IsZero() {
		add("Started", date(r.StartedAt))
	}
	if ev.Kind == sink.KindFinished && r.Duration() > 0 {
		add("Duration", report.FormatDuration(r.Duration()))
	}
	if d, ok := detectedAfter(ev, f); ok {
		add("Detected after", report.FormatDuration(d))
	}
	if rb := r.Rollback; rb != nil && (ev.Kind == sink.KindRolledBack || ev.Kind == sink.KindFinished) {
		add("Rollback", esc(rollbackOutcome(rb)))
	}
	return out
}

// footer is the context block: links to the run, the sticky comment and what announcers
// created (the deployment, dashboards), then the tool and a dry-run note.
func footer(r model.Report) []*text {
	candidates := []model.Link{{Label: "Run", URL: r.Run.RunURL}, {Label: "Comment", URL: r.CommentURL}}
	candidates = append(candidates, r.Links...)
	var links []string
	size := 0
	for _, l := range candidates {
		s := link(l.URL, l.Label)
		if s == "" || size+len([]rune(s))+3 > maxContextRunes {
			continue
		}
		links = append(links, s)
		size += len([]rune(s)) + 3
	}
	var out []*text
	if len(links) > 0 {
		out = append(out, md("🔗 "+strings.Join(links, " · ")))
	}
	if r.DryRun {
		out = append(out, md("*Dry run*: the step does not fail and nothing is rolled back"))
	}
	tool := "deploywatch"
	if v := esc(r.Version); v != "" {
		tool += " " + v
	}
	return append(out, md(tool))
}
