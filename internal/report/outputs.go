package report

import (
	"math"
	"strconv"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Outputs renders the step outputs in the order of the output contract: status, every
// signal, rolled_back, the last observed metric values, detected_after_s, the handles for
// later steps, report_path and summary. Every output is always present; booleans are
// "true" or "false" and an empty value means unknown.
func Outputs(r model.Report) []model.Output {
	out := make([]model.Output, 0, 16)
	out = append(out, model.Output{Name: "status", Value: string(r.Verdict)})
	for _, s := range model.Signals() {
		out = append(out, model.Output{Name: string(s), Value: strconv.FormatBool(r.Signals[s])})
	}
	detected := ""
	if r.DetectedAfter != nil {
		detected = wholeSeconds(*r.DetectedAfter)
	}
	startedAt := ""
	if !r.StartedAt.IsZero() {
		startedAt = r.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return append(out,
		// The model has no rollback yet, so nothing was ever rolled back.
		model.Output{Name: "rolled_back", Value: "false"},
		// Empty means unknown in the contract: no such check, or no data.
		model.Output{Name: "error_rate", Value: metricOutput(r, model.KindErrorRate, false, 1)},
		model.Output{Name: "p99_latency_ms", Value: metricOutput(r, model.KindLatency, false, 1000)},
		model.Output{Name: "baseline_p99_latency_ms", Value: metricOutput(r, model.KindLatency, true, 1000)},
		model.Output{Name: "detected_after_s", Value: detected},
		model.Output{Name: "deployment_id", Value: r.DeploymentID},
		model.Output{Name: "started_at", Value: startedAt},
		model.Output{Name: "comment_url", Value: r.CommentURL},
		model.Output{Name: "report_path", Value: r.ReportPath},
		model.Output{Name: "summary", Value: SummaryLine(r)},
	)
}

// metricOutput is the last value (or baseline) of the first check of a kind, times scale,
// as a plain decimal; "" when unknown.
func metricOutput(r model.Report, kind model.CheckKind, baseline bool, scale float64) string {
	for _, c := range r.Checks {
		if c.Spec.Kind != kind || c.Last == nil || c.Last.Metric == nil {
			continue
		}
		mv := c.Last.Metric
		v, ok := mv.Value, mv.HasValue
		if baseline {
			v, ok = mv.Baseline, mv.HasBaseline
		}
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return strconv.FormatFloat(math.Round(v*scale*10000)/10000, 'f', -1, 64)
	}
	return ""
}
