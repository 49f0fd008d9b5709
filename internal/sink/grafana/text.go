package grafana

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"unicode"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Grafana renders annotation text as HTML: every piece of text that comes from outside
// (descriptions, check names, messages, URLs) goes through esc or anchor.

// regionStart is the region as the start draws it: a point at the start, closed later.
func regionStart(ev sink.Event, dashboardUID string) annotation {
	r := ev.Report
	text := "<b>" + esc(description(r)) + "</b> started<br>" + footer(r)
	return annotation{DashboardUID: dashboardUID, Time: startMillis(ev), Tags: regionTags(r), Text: text}
}

// regionEnd is the whole region at the end: its span, the verdict and why, the rollback.
func regionEnd(ev sink.Event, dashboardUID string) annotation {
	r := ev.Report
	start := startMillis(ev)
	end := r.FinishedAt
	if end.IsZero() {
		end = ev.At
	}
	lines := []string{"<b>" + esc(description(r)) + "</b>", esc(report.SummaryLine(r))}
	if rb := r.Rollback; rb != nil {
		lines = append(lines, "Rollback: "+esc(rollbackText(*rb)))
	}
	lines = append(lines, footer(r))
	tags := append(regionTags(r), "verdict:"+string(r.Verdict))
	return annotation{DashboardUID: dashboardUID, Time: start, TimeEnd: max(end.UnixMilli(), start), Tags: tags, Text: strings.Join(lines, "<br>")}
}

// findingPoint marks the moment a finding was raised or cleared.
func findingPoint(ev sink.Event, dashboardUID string) annotation {
	f, r := *ev.Finding, ev.Report
	sev := sink.FindingSeverity(f).String()
	head := sev + " " + line(f.Check)
	tags := []string{"deploywatch", line(r.Environment), "finding", sev}
	if ev.Kind == sink.KindCleared {
		head = "cleared: " + head
		tags = append(tags, "cleared")
	}
	lines := []string{"<b>" + esc(head) + "</b>: " + esc(f.Message)}
	var facts []string
	for _, kv := range [][2]string{{"value", f.Value}, {"expected", f.Expected}, {"baseline", f.Baseline}} {
		if v := line(kv[1]); v != "" {
			facts = append(facts, kv[0]+" "+v)
		}
	}
	if len(facts) > 0 {
		lines = append(lines, esc(strings.Join(facts, ", ")))
	}
	lines = append(lines, esc(description(r))+runAnchor(r))
	return annotation{DashboardUID: dashboardUID, Time: ev.At.UnixMilli(), Tags: compact(tags), Text: strings.Join(lines, "<br>")}
}

// rollbackPoint marks the moment of the rollback, tagged with the worst finding's
// severity (what caused it).
func rollbackPoint(ev sink.Event, dashboardUID string) annotation {
	r := ev.Report
	tags := []string{"deploywatch", line(r.Environment), "rollback"}
	worst := model.SeverityNone
	for _, f := range r.Findings {
		worst = max(worst, sink.FindingSeverity(f))
	}
	if worst != model.SeverityNone {
		tags = append(tags, worst.String())
	}
	text := "<b>rollback</b>: " + esc(rollbackText(*r.Rollback)) + "<br>" + esc(description(r)) + runAnchor(r)
	return annotation{DashboardUID: dashboardUID, Time: ev.At.UnixMilli(), Tags: compact(tags), Text: text}
}

// startMillis is the deploy's start: the run's, else the event's time.
func startMillis(ev sink.Event) int64 {
	if t := ev.Report.StartedAt; !t.IsZero() {
		return t.UnixMilli()
	}
	return ev.At.UnixMilli()
}

// regionTags are the tags a region is drawn and found with.
func regionTags(r model.Report) []string {
	return compact([]string{"deployment", "deploywatch", line(r.Environment), report.VersionLabel(r)})
}

// regionFindTags are the tags a region is looked up by: those it carries whatever the
// version, which may be given differently to a later mode.
func regionFindTags(r model.Report) []string {
	return compact([]string{"deployment", "deploywatch", line(r.Environment)})
}

func description(r model.Report) string {
	if d := line(r.Description); d != "" {
		return d
	}
	return "Deploy to " + line(r.Environment)
}

// footer is the deployed commit and the links, as HTML.
func footer(r model.Report) string {
	var parts []string
	if repo := line(r.Run.Repository); repo != "" {
		parts = append(parts, esc(repo+"@"+report.ShortCommit(r.Run.DeployedSHA())))
	}
	seen := map[string]bool{}
	add := func(label, u string) {
		if a := anchor(label, u); a != "" && !seen[u] {
			seen[u] = true
			parts = append(parts, a)
		}
	}
	add("run", r.Run.RunURL)
	add("comment", r.CommentURL)
	for _, l := range r.Links {
		add(l.Label, l.URL)
	}
	return strings.Join(parts, " · ")
}

func runAnchor(r model.Report) string {
	if a := anchor("run", r.Run.RunURL); a != "" {
		return " · " + a
	}
	return ""
}

func rollbackText(rb model.Rollback) string {
	switch {
	case rb.Message != "":
		return rb.Message
	case rb.DryRun:
		return fmt.Sprintf("%s would be rolled back (dry run)", rb.Target)
	case rb.Performed:
		return fmt.Sprintf("%s rolled back from revision %d to %d", rb.Target, rb.FromRevision, rb.ToRevision)
	}
	return rb.Target + " not rolled back"
}

// anchor is a link to an http(s) URL, "" for anything else (javascript: and friends).
func anchor(label, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	if label = line(label); label == "" {
		label = "link"
	}
	return `<a href="` + html.EscapeString(u.String()) + `">` + esc(label) + "</a>"
}

// maxRunes caps one piece of outside text in an annotation.
const maxRunes = 300

// esc makes outside text inert HTML on one line.
func esc(s string) string { return html.EscapeString(line(s)) }

// line keeps text on one line without control characters, capped at maxRunes.
func line(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}), " ")
	if r := []rune(s); len(r) > maxRunes {
		s = string(r[:maxRunes]) + "…"
	}
	return s
}

func compact(tags []string) []string {
	out := tags[:0]
	for _, t := range tags {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}
