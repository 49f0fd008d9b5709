package datadog

import (
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// facts are the run's facts as list items: where, what, when, and the rollback.
func facts(ev sink.Event) []string {
	r := ev.Report
	var out []string
	add := func(name, value string) {
		if value != "" {
			out = append(out, name+": "+value)
		}
	}
	add("Environment", esc(r.Environment))
	add("Repository", esc(r.Run.Repository))
	if sha := report.ShortCommit(r.Run.DeployedSHA()); sha != "" {
		c := esc(sha)
		if isHex(sha) {
			c = "`" + sha + "`"
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
		add("Started", r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if ev.Kind == sink.KindFinished && r.Duration() > 0 {
		add("Duration", formatDuration(r.Duration()))
	}
	f := finding(ev)
	switch {
	case ev.Kind == sink.KindFinding && !f.ConfirmedAt.IsZero() && !r.StartedAt.IsZero():
		add("Detected after", formatDuration(f.ConfirmedAt.Sub(r.StartedAt)))
	case (ev.Kind == sink.KindRolledBack || ev.Kind == sink.KindFinished) && r.DetectedAfter != nil:
		add("Detected after", formatDuration(*r.DetectedAfter))
	}
	if rb := r.Rollback; rb != nil && (ev.Kind == sink.KindRolledBack || ev.Kind == sink.KindFinished) {
		add("Rollback", esc(rollbackOutcome(rb)))
	}
	return out
}

// linksLine links the run, the sticky comment, and every link announcers made (the
// deployment, dashboards), as long as the line stays within maxLinksRunes.
func linksLine(r model.Report) string {
	candidates := append([]model.Link{{Label: "Run", URL: r.Run.RunURL}, {Label: "Comment", URL: r.CommentURL}}, r.Links...)
	var links []string
	size := 0
	for _, l := range candidates {
		s := link(l.URL, l.Label)
		if s == "" || size+len([]rune(s))+3 > maxLinksRunes {
			continue
		}
		links = append(links, s)
		size += len([]rune(s)) + 3
	}
	return strings.Join(links, " · ")
}
