package sim

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the benchmark as a Markdown table followed by the comparison at
// CompareRPS and the targets.
func WriteMarkdown(w io.Writer, res Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| rule set | scenario | traffic (req/s) | runs | detected | false alarms | inconclusive | passed | delay p50 | delay p95 | longest miss |\n")
	fmt.Fprintf(&b, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range res.Rows {
		detected, p50, p95, miss := "–", "–", "–", "–"
		if r.Class.Regression() {
			detected = fraction(r.Detected, r.Scenarios)
			p50, p95 = seconds(r.Delay(0.5)), seconds(r.Delay(0.95))
			if r.Detected < r.Scenarios-r.FalseAlarms {
				miss = seconds(r.LongestMiss)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s %g–%g | %d | %s | %s | %s | %s | %s | %s | %s |\n",
			r.RuleSet, r.Class.Name, r.Band.Name, r.Band.Lo, r.Band.Hi, r.Scenarios, detected,
			fraction(r.FalseAlarms, r.Scenarios), fraction(r.Inconclusive, r.Scenarios), fraction(r.Passed, r.Scenarios),
			p50, p95, miss)
	}
	if res.Config.Compare > 0 {
		fmt.Fprintf(&b, "\nError ×20 at %d req/s (%d runs): ", CompareRPS, res.Config.Compare)
		for i, r := range res.Compare {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s detects %s, median delay %s", r.RuleSet, fraction(r.Detected, r.Scenarios), seconds(r.Delay(0.5)))
		}
		fmt.Fprintf(&b, "; the seed's rule is %.1fx slower.\n", res.Ratio())
	}
	if lines := Unclaimed(res); len(lines) > 0 {
		fmt.Fprintf(&b, "\nOutside the claims:\n\n")
		for _, line := range lines {
			fmt.Fprintf(&b, "- %s\n", line)
		}
	}
	fmt.Fprintf(&b, "\nTargets:\n\n")
	for _, t := range Check(res) {
		mark := "met"
		if !t.Met {
			mark = "NOT MET"
		}
		fmt.Fprintf(&b, "- %s: %s (%s)\n", t.Name, mark, t.Detail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fraction(n, of int) string {
	if of == 0 {
		return "–"
	}
	return fmt.Sprintf("%d (%.0f%%)", n, 100*float64(n)/float64(of))
}

func seconds(d time.Duration) string {
	if d < 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}
