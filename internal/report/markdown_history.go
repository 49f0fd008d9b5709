package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// writeLinks writes one line of links: the deployment, dashboards.
func writeLinks(b *strings.Builder, r model.Report) {
	var items []string
	for _, ln := range r.Links[:min(len(r.Links), 10)] {
		if l := link(escapeLabel(ln.Label), ln.URL); strings.HasPrefix(l, "[") {
			items = append(items, l)
		}
	}
	if len(items) > 0 {
		b.WriteString("🔗 " + strings.Join(items, " · ") + "\n\n")
	}
}

// escapeLabel makes a link label safe: no brackets to end it early, no Markdown.
func escapeLabel(s string) string {
	return strings.NewReplacer("[", "(", "]", ")").Replace(escapeCapped(s, 60))
}

// writeHistory writes the environment's previous deployments and how they ended, so a
// reader sees whether this outcome is unusual.
func writeHistory(b *strings.Builder, r model.Report, bud budget) {
	if len(r.History) == 0 || bud.history == 0 {
		return
	}
	shown := r.History[:min(len(r.History), bud.history)]
	ok, judged := 0, 0
	for _, d := range r.History {
		switch d.State {
		case "success":
			ok++
			judged++
		case "failure", "error", "failed":
			judged++
		}
	}
	rate := "no outcome known"
	if judged > 0 {
		rate = fmt.Sprintf("success rate %d%%, %d of the last %d", (100*ok+judged/2)/judged, ok, judged)
	}
	fmt.Fprintf(b, "<details><summary>Previous deployments to %s (%s)</summary>\n\n", escapeCapped(r.Environment, 60), rate)
	b.WriteString("| When | Commit | Outcome | Description |\n| --- | --- | --- | --- |\n")
	for _, d := range shown {
		when := "—"
		if !d.CreatedAt.IsZero() {
			when = d.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		outcome := stateMarkdown(d.State)
		if l := link(outcome, d.URL); strings.HasPrefix(l, "[") {
			outcome = l
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", when, commitMarkdown(shortVersion(d.SHA)), outcome, cell(d.Description, 100))
	}
	b.WriteString("\n</details>\n\n")
}

// stateMarkdown shows a host's deployment state with an icon.
func stateMarkdown(state string) string {
	switch state {
	case "success":
		return "✅ success"
	case "failure", "failed":
		return "❌ failure"
	case "error":
		return "❔ error"
	case "inactive":
		return "⏸️ inactive"
	case "in_progress", "running", "pending", "queued":
		return "⏳ " + cell(state, 20)
	case "":
		return "— unknown"
	}
	return cell(state, 20)
}

// writeWarnings lists the tool's own problems (a sink that could not be reached, an input
// ignored), visibly but apart from the verdict, which they did not change.
func writeWarnings(b *strings.Builder, r model.Report) {
	if len(r.Warnings) == 0 {
		return
	}
	b.WriteString("**deploywatch warnings** (they did not change the verdict):\n\n")
	for _, w := range r.Warnings[:min(len(r.Warnings), 10)] {
		b.WriteString("- ⚠️ " + escapeCapped(w, 300) + "\n")
	}
	if n := len(r.Warnings) - 10; n > 0 {
		fmt.Fprintf(b, "- … %s in the JSON report\n", plural(n, "more warning", "more warnings"))
	}
	b.WriteString("\n")
}

// writeComparison sets this deploy's metrics beside the last healthy one's.
func writeComparison(b *strings.Builder, r model.Report) {
	c := r.Comparison
	if c == nil || len(c.Rows) == 0 {
		return
	}
	when := ""
	if !c.With.CreatedAt.IsZero() && !r.StartedAt.IsZero() {
		when = ", " + FormatDuration(r.StartedAt.Sub(c.With.CreatedAt).Round(time.Minute)) + " earlier"
	}
	fmt.Fprintf(b, "#### Compared with the last healthy deploy (%s%s)\n\n", commitMarkdown(shortVersion(c.With.SHA)), when)
	b.WriteString("| Metric | This deploy | Last healthy | Change |\n| --- | --- | --- | --- |\n")
	for _, row := range c.Rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", cell(row.Metric, 60), row.Unit.Format(row.Now), row.Unit.Format(row.Then), change(row.Now, row.Then))
	}
	b.WriteString("\n")
}

// change is the relative difference, "+35%", or "=" within 1%.
func change(now, then float64) string {
	switch {
	case then == 0 && now == 0:
		return "="
	case then == 0:
		return "new"
	}
	d := (now - then) / math.Abs(then)
	if math.Abs(d) < 0.01 {
		return "="
	}
	return fmt.Sprintf("%+.0f%%", d*100)
}
