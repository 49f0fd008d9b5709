package prometheus

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/common/model"

	"github.com/deploywatch/deploywatch/internal/source"
)

// histogramsOnly is the reason given when a query answers with native histograms only:
// they have no single number to compare.
const histogramsOnly = "the query returns native histograms, not numbers: " +
	"wrap it in histogram_quantile(), histogram_count() or histogram_sum()"

// samples turns an instant query's answer into samples.
func samples(q string, v model.Value) ([]source.Sample, error) {
	switch v := v.(type) {
	case model.Vector:
		out := make([]source.Sample, 0, len(v))
		histograms := 0
		for _, s := range v {
			if s.Histogram != nil {
				histograms++
				continue
			}
			if math.IsNaN(float64(s.Value)) {
				continue
			}
			out = append(out, source.Sample{Labels: labels(s.Metric), Value: float64(s.Value)})
		}
		if len(out) == 0 && histograms > 0 {
			return nil, &source.QueryError{Query: q, Reason: histogramsOnly}
		}
		if len(out) == 0 {
			return nil, noData(q)
		}
		return out, nil
	case *model.Scalar:
		if math.IsNaN(float64(v.Value)) {
			return nil, noData(q)
		}
		return []source.Sample{{Labels: map[string]string{}, Value: float64(v.Value)}}, nil
	case model.Matrix:
		// A deterministic property of the query, so a configuration problem.
		return nil, &source.QueryError{Query: q,
			Reason: "the query returns a range vector, not one number per series: apply rate(), avg_over_time() or similar to it"}
	case nil:
		return nil, noData(q)
	default:
		return nil, fmt.Errorf("prometheus query %q: unexpected %s answer", short(q), v.Type())
	}
}

// series turns a range query's answer into series.
func series(q string, v model.Value) ([]source.Series, error) {
	m, ok := v.(model.Matrix)
	if !ok {
		if v == nil {
			return nil, noData(q)
		}
		return nil, fmt.Errorf("prometheus query range %q: unexpected %s answer, want a matrix", short(q), v.Type())
	}
	out := make([]source.Series, 0, len(m))
	histograms := 0
	for _, s := range m {
		histograms += len(s.Histograms)
		points := make([]source.Point, 0, len(s.Values))
		for _, p := range s.Values {
			if math.IsNaN(float64(p.Value)) {
				continue
			}
			points = append(points, source.Point{T: timeOf(p.Timestamp), V: float64(p.Value)})
		}
		if len(points) > 0 {
			out = append(out, source.Series{Labels: labels(s.Metric), Points: points})
		}
	}
	if len(out) == 0 && histograms > 0 {
		return nil, &source.QueryError{Query: q, Reason: histogramsOnly}
	}
	if len(out) == 0 {
		return nil, noData(q)
	}
	return out, nil
}

func noData(q string) error { return fmt.Errorf("%w: %s", source.ErrNoData, short(q)) }

// labels copies a metric into a plain map, never nil.
func labels(m model.Metric) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

func timeOf(t model.Time) time.Time { return time.UnixMilli(int64(t)).UTC() }
