package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// Preparer is a check that reads history before monitoring starts: its baseline.
type Preparer interface {
	Prepare(ctx context.Context) error
}

// Preflighter is a check that can prove, before monitoring starts, that its backend answers
// its query: a bad query or an unreachable backend is reported at once, not after minutes.
type Preflighter interface {
	Preflight(ctx context.Context) error
}

// Baseline is the pre-deploy reference of a metric: a window ending at the start, and the
// same window shifted by each offset.
type Baseline struct {
	Start   time.Time
	Window  time.Duration
	Offsets []time.Duration
}

// windows returns the end of every baseline window: the start, then each offset earlier.
func (b Baseline) windows() []time.Time {
	ends := []time.Time{b.Start}
	for _, off := range b.Offsets {
		ends = append(ends, b.Start.Add(-off))
	}
	return ends
}

// breaches reports whether value breaches limit under op (">" means above is bad).
func breaches(op string, value, limit float64) bool {
	switch op {
	case ">":
		return value > limit
	case ">=":
		return value >= limit
	case "<":
		return value < limit
	case "<=":
		return value <= limit
	case "==":
		return value == limit
	case "!=":
		return value != limit
	}
	return false
}

// allowed is what a value must be to pass under op: the negation a reader expects
// ("≤ 0.3%" when above 0.3% breaches).
func allowed(op string, limit string) string {
	switch op {
	case ">":
		return "≤ " + limit
	case ">=":
		return "< " + limit
	case "<":
		return "≥ " + limit
	case "<=":
		return "> " + limit
	case "==":
		return "≠ " + limit
	case "!=":
		return "= " + limit
	}
	return limit
}

// mostPermissive picks, among the baselines of several windows, the one least likely to
// flag the deploy: the highest when a rise is bad, the lowest when a fall is bad. The day's
// pattern should never be what rolls a deploy back.
func mostPermissive(op string, values []float64) float64 {
	best := values[0]
	for _, v := range values[1:] {
		if strings.HasPrefix(op, "<") {
			best = math.Min(best, v)
		} else {
			best = math.Max(best, v)
		}
	}
	return best
}

// noData fills m for an empty answer according to the check's policy.
func noData(m *model.Measurement, policy, query string) {
	switch policy {
	case "pass":
		m.Message = "no data (on_no_data: pass): " + query
	case "fail":
		m.Breach, m.Value = true, "no data"
		m.Message = "no data (on_no_data: fail): " + query
	default:
		m.ProbeError = "no data: " + query
		m.Message = m.ProbeError
	}
}

// queryFailure fills m for a query that did not answer.
func queryFailure(m *model.Measurement, err error, policy, query string) {
	var qe *source.QueryError
	switch {
	case errors.Is(err, source.ErrNoData):
		noData(m, policy, query)
	case errors.As(err, &qe):
		m.ProbeError = fmt.Sprintf("the backend rejects the query: %s", qe.Reason)
		m.Message = m.ProbeError
	default:
		m.ProbeError = oneLine(err.Error())
		m.Message = m.ProbeError
	}
}

// worse reports whether a is worse than b under op: higher when a rise breaches, lower when
// a fall does.
func worse(op string, a, b float64) bool {
	if strings.HasPrefix(op, "<") {
		return a < b
	}
	return a > b
}

// worstSample is the index of the worst of samples (not empty) under op.
func worstSample(op string, samples []source.Sample) int {
	w := 0
	for i, s := range samples[1:] {
		if worse(op, s.Value, samples[w].Value) {
			w = i + 1
		}
	}
	return w
}

// worstPerStep is, for each step of a range answer, the worst value of its series: what a
// per-series check would have judged then.
func worstPerStep(op string, series []source.Series) []float64 {
	at := map[int64]float64{}
	for _, s := range series {
		for _, p := range s.Points {
			k := p.T.UnixMilli()
			if v, ok := at[k]; !ok || worse(op, p.V, v) {
				at[k] = p.V
			}
		}
	}
	out := make([]float64, 0, len(at))
	for _, v := range at {
		out = append(out, v)
	}
	return out
}

// seriesName shows a series for a finding: "pod shop/api-7d4b9-x2x7q container api" for a
// pod's, its labels otherwise.
func seriesName(labels map[string]string) string {
	if pod := labels["pod"]; pod != "" {
		name := "pod " + pod
		if ns := labels["namespace"]; ns != "" {
			name = "pod " + ns + "/" + pod
		}
		if c := labels["container"]; c != "" {
			name += " container " + c
		}
		return name
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// median of values.
func median(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
