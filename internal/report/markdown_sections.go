package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// writeChecks writes the checks table, then the dependencies of each check's last
// measurement.
func writeChecks(b *strings.Builder, r model.Report, bud budget) {
	checks := probeChecks(r.Checks)
	if len(checks) == 0 {
		if len(r.Checks) == 0 {
			b.WriteString("#### Checks\n\n_No check ran._\n\n")
		}
		return
	}
	b.WriteString("#### Checks\n\n")
	shown := checks[:min(len(checks), bud.checks)]
	b.WriteString("| Check | Result | Value | Expected | p95 latency | Runs |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, c := range shown {
		var result, value, expected string
		switch m := c.Last; {
		case m == nil:
			result, value, expected = "— not run", "—", "—"
		case m.Outcome == model.OutcomeError && m.Value == "":
			result, value, expected = outcomeMarkdown(m.Outcome), cell(m.ProbeError, 80), cell(m.Expected, 80)
		default:
			result, value, expected = outcomeMarkdown(m.Outcome), cell(shortSHA(m.Value), 80), cell(shortSHA(m.Expected), 80)
		}
		p95 := "—"
		if c.Latency.Count > 0 {
			p95 = FormatDuration(c.Latency.P95)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(c.Spec.Name, 60), result, value, expected, p95, runCounts(c))
	}
	if n := len(checks) - len(shown); n > 0 {
		fmt.Fprintf(b, "\n_%s not shown to keep this summary short; the JSON report has them all._\n", plural(n, "more check", "more checks"))
	}
	var parts []string
	for _, c := range shown {
		if c.Last != nil && len(c.Last.Parts) > 0 && bud.parts > 0 {
			parts = append(parts, "- **"+escapeCapped(c.Spec.Name, 60)+"**: "+partsMarkdown(c.Last.Parts, bud.parts))
		}
	}
	if len(parts) > 0 {
		b.WriteString("\nDependencies in the last measurement:\n\n" + strings.Join(parts, "\n") + "\n")
	}
	b.WriteString("\n")
}

func outcomeMarkdown(o model.Outcome) string {
	switch o {
	case model.OutcomePass:
		return "✅ pass"
	case model.OutcomeWarn:
		return "⚠️ warn"
	case model.OutcomeFail:
		return "❌ fail"
	case model.OutcomeError:
		return "❔ error"
	case model.OutcomePending:
		return "⏳ pending"
	}
	return cell(string(o), 20)
}

// partsMarkdown lists dependencies compactly: "database ✅ · redis ❌ error: timeout". The
// detail of a healthy part is left out; it rarely says more than "ok".
func partsMarkdown(parts []model.Part, limit int) string {
	var items []string
	for _, p := range parts[:min(len(parts), limit)] {
		item := escapeCapped(p.Name, 40)
		if p.OK {
			item += " ✅"
		} else {
			item += " ❌"
			if d := escapeCapped(p.Detail, 80); d != "" {
				item += " " + d
			}
		}
		items = append(items, item)
	}
	if n := len(parts) - limit; n > 0 {
		items = append(items, fmt.Sprintf("+%d more", n))
	}
	return strings.Join(items, " · ")
}

// writeFindings writes one bullet per finding; nothing when there is none.
func writeFindings(b *strings.Builder, r model.Report, bud budget) {
	if len(r.Findings) == 0 {
		return
	}
	b.WriteString("#### Findings\n\n")
	shown := r.Findings[:min(len(r.Findings), bud.findings)]
	for _, f := range shown {
		icon, label := "⚠️", "**"+f.Severity.String()+"**"
		switch {
		case f.Fatal:
			icon = "❌"
		case f.Type == model.FindingProbeError:
			icon, label = "❔", "**probe error**"
		}
		facts := findingFacts(f, r.StartedAt)
		if f.Fatal {
			facts = append(facts, "fatal")
		} else {
			facts = append(facts, "not fatal")
		}
		if f.Phase == model.PhaseWarmup {
			facts = append(facts, "during warm-up")
		}
		if f.Active {
			facts = append(facts, "still active")
		}
		fmt.Fprintf(b, "- %s %s · **%s**: %s — %s\n", icon, label, escapeCapped(f.Check, 60),
			escapeCapped(f.Message, 300), strings.Join(facts, " · "))
	}
	if n := len(r.Findings) - len(shown); n > 0 {
		fmt.Fprintf(b, "- … %s; the JSON report has them all\n", plural(n, "more finding", "more findings"))
	}
	b.WriteString("\n")
}

// findingFacts lists what a finding observed and when, each item already escaped.
func findingFacts(f model.Finding, start time.Time) []string {
	var facts []string
	for _, kv := range [][2]string{{"value", f.Value}, {"expected", f.Expected}, {"baseline", f.Baseline}} {
		if v := escapeCapped(kv[1], 80); v != "" {
			facts = append(facts, kv[0]+" "+v)
		}
	}
	for _, kv := range []struct {
		label string
		at    time.Time
	}{{"onset", f.Onset}, {"confirmed", f.ConfirmedAt}, {"cleared", f.ClearedAt}} {
		if o := offset(start, kv.at); o != "" {
			facts = append(facts, kv.label+" "+o)
		}
	}
	if f.Type == model.FindingProbeError {
		facts = append(facts, plural(f.Count, "probe error in a row", "probe errors in a row"))
	} else {
		facts = append(facts, plural(f.Count, "consecutive check", "consecutive checks"))
	}
	return facts
}

// writeTimeline writes the timeline as a table, open unless the run was healthy. A long
// timeline keeps its beginning and its end, which together explain a run.
func writeTimeline(b *strings.Builder, r model.Report, bud budget) {
	n := len(r.Timeline)
	if n == 0 {
		return
	}
	if bud.timeline == 0 {
		fmt.Fprintf(b, "_The timeline (%s) is left out to keep this summary short; the JSON report has it._\n\n", plural(n, "entry", "entries"))
		return
	}
	open := ""
	if r.Verdict != model.VerdictHealthy {
		open = " open"
	}
	fmt.Fprintf(b, "<details%s><summary>Timeline (%s)</summary>\n\n| Time | Phase | Event |\n| --- | --- | --- |\n", open, plural(n, "entry", "entries"))
	head, tail := n, 0
	if n > bud.timeline {
		head = bud.timeline * 4 / 5
		tail = bud.timeline - head
	}
	row := func(e model.TimelineEntry) {
		fmt.Fprintf(b, "| +%s | %s | %s |\n", FormatOffset(e.Elapsed), cell(e.Phase.Title(), 20), cell(e.Text, 200))
	}
	for _, e := range r.Timeline[:head] {
		row(e)
	}
	if skipped := n - head - tail; skipped > 0 {
		fmt.Fprintf(b, "| … | | %s (the JSON report has them all) |\n", plural(skipped, "more entry", "more entries"))
		for _, e := range r.Timeline[n-tail:] {
			row(e)
		}
	}
	b.WriteString("\n</details>\n\n")
}

// runCounts is "12 (10 ✓ · 2 ✗)", with " · 1 probe error" when there were any.
func runCounts(c model.CheckStatus) string {
	s := fmt.Sprintf("%d (%d ✓ · %d ✗", c.Runs, c.Passes, c.Breaches)
	if c.Errors > 0 {
		s += " · " + plural(c.Errors, "probe error", "probe errors")
	}
	return s + ")"
}
