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
		// Rolled back means performed and verified: the previous version is healthy again.
		model.Output{Name: "rolled_back", Value: strconv.FormatBool(r.Rollback != nil && r.Rollback.Performed && r.Rollback.Recovered)},
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
		model.Output{Name: "rollback_from_revision", Value: revision(r.Rollback, false)},
		model.Output{Name: "rollback_to_revision", Value: revision(r.Rollback, true)},
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

// revision is a rollback's source or target revision, "" when there was no rollback.
func revision(rb *model.Rollback, to bool) string {
	if rb == nil || (!rb.Performed && !rb.DryRun) {
		return ""
	}
	if to {
		return strconv.FormatInt(rb.ToRevision, 10)
	}
	return strconv.FormatInt(rb.FromRevision, 10)
}
