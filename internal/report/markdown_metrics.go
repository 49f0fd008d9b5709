package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// isMetric reports whether a check judges a metric (its measurements carry numbers).
func isMetric(c model.CheckStatus) bool {
	switch c.Spec.Kind {
	case model.KindErrorRate, model.KindLatency, model.KindThroughput, model.KindCPU, model.KindMemory, model.KindQuery:
		return true
	}
	return false
}

// probeChecks are the checks that are not metrics, for the checks table.
func probeChecks(all []model.CheckStatus) []model.CheckStatus {
	var out []model.CheckStatus
	for _, c := range all {
		if !isMetric(c) {
			out = append(out, c)
		}
	}
	return out
}

// writeMetrics writes each metric now, before the deploy and against its limit, with the
// evidence behind it, then a chart of the metrics over the run.
func writeMetrics(b *strings.Builder, r model.Report, bud budget) {
	var metrics []model.CheckStatus
	for _, c := range r.Checks {
		if isMetric(c) {
			metrics = append(metrics, c)
		}
	}
	if len(metrics) == 0 {
		return
	}
	b.WriteString("#### Metrics\n\n| Metric | Result | Now | Baseline | Limit | Evidence |\n| --- | --- | --- | --- | --- | --- |\n")
	shown := metrics[:min(len(metrics), bud.checks)]
	for _, c := range shown {
		now, base, limit, evidence := "—", "—", "—", ""
		result := "— not run"
		if m := c.Last; m != nil {
			result = outcomeMarkdown(m.Outcome)
			evidence = cell(m.Message, 160)
			if mv := m.Metric; mv != nil {
				if mv.HasValue {
					now = cell(mv.Unit.Format(mv.Value), 30)
				} else {
					now = "no data"
				}
				if mv.HasBaseline {
					base = cell(mv.Unit.Format(mv.Baseline), 30)
				}
				if mv.Op != "" {
					limit = cell(mv.Op+" "+mv.Unit.Format(mv.Limit), 30)
				}
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(c.Spec.Name, 60), result, now, base, limit, evidence)
	}
	if n := len(metrics) - len(shown); n > 0 {
		fmt.Fprintf(b, "\n_%s not shown; the JSON report has them all._\n", plural(n, "more metric", "more metrics"))
	}
	b.WriteString("\n")
	charts := 0
	for _, c := range shown {
		if charts >= bud.charts {
			break
		}
		if writeChart(b, c, r.StartedAt) {
			charts++
		}
	}
}

// maxChartPoints keeps a chart readable; longer series are thinned evenly.
const maxChartPoints = 30

// writeChart draws a metric over the run as a Mermaid xychart (GitHub and GitLab render
// it), with its limit as a second line; it reports whether there was enough to draw.
func writeChart(b *strings.Builder, c model.CheckStatus, start time.Time) bool {
	pts := thin(c.Series, maxChartPoints)
	if len(pts) < 3 || start.IsZero() {
		return false
	}
	var unit model.Unit
	var limit float64
	hasLimit := false
	if c.Last != nil && c.Last.Metric != nil {
		unit, limit, hasLimit = c.Last.Metric.Unit, c.Last.Metric.Limit, c.Last.Metric.Op != ""
	}
	scale, label := chartScale(unit)
	xs, ys, ls := make([]string, len(pts)), make([]string, len(pts)), make([]string, len(pts))
	for i, p := range pts {
		xs[i] = strconv.Itoa(int(math.Round(p.At.Sub(start).Seconds())))
		ys[i] = chartNumber(p.Value * scale)
		ls[i] = chartNumber(limit * scale)
	}
	title := strings.NewReplacer(`"`, "'", "\n", " ").Replace(line(c.Spec.Name, 60))
	fmt.Fprintf(b, "```mermaid\nxychart-beta\n  title \"%s%s\"\n  x-axis \"seconds since start\" [%s]\n  y-axis \"%s\"\n  line [%s]\n",
		title, map[bool]string{true: " (" + label + ")", false: ""}[label != ""], strings.Join(xs, ", "), label, strings.Join(ys, ", "))
	if hasLimit {
		fmt.Fprintf(b, "  line [%s]\n", strings.Join(ls, ", "))
	}
	b.WriteString("```\n\n")
	return true
}

// chartScale turns a unit into chart numbers a reader knows: percent, milliseconds.
func chartScale(u model.Unit) (float64, string) {
	switch u {
	case model.UnitRatio:
		return 100, "%"
	case model.UnitSeconds:
		return 1000, "ms"
	case model.UnitPerSec:
		return 1, "per second"
	}
	return 1, ""
}

// chartNumber prints v with four significant digits and never an exponent, which
// Mermaid does not read.
func chartNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return "0"
	}
	p := math.Pow(10, float64(3-int(math.Floor(math.Log10(math.Abs(v))))))
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// thin keeps at most n points, evenly spread, always the last.
func thin(pts []model.Point, n int) []model.Point {
	if len(pts) <= n {
		return pts
	}
	out := make([]model.Point, 0, n)
	for i := range n - 1 {
		out = append(out, pts[i*(len(pts)-1)/(n-1)])
	}
	return append(out, pts[len(pts)-1])
}
