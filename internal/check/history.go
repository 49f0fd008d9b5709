package check

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// Scorer scores each new point of a series in [0, 1] from the points before it: the
// streaming anomaly detector.
type Scorer interface {
	Observe(at time.Time, v float64) Score
}

// Peeker is a Scorer that can also score a point without learning it: a live value read
// between two points of the series' pace is judged at once, not a Step later.
type Peeker interface {
	Peek(at time.Time, v float64) Score
}

// Score is a Scorer's judgement of one point: Value in [0, 1], and Why, a short
// explanation in the words of a finding ("beyond the range of the last 7 days").
type Score struct {
	Value float64
	Why   string
}

// HistoryConfig configures a history check: a metric judged against what it usually is
// at this hour, and by an anomaly detector that learnt from its history.
type HistoryConfig struct {
	Spec    model.CheckSpec
	Querier source.Querier
	Query   string
	// Op says which side is bad (">": a high value); Unit formats values.
	Op   string
	Unit model.Unit
	// Start is the deploy; the history is the Window before it, read every Step.
	Start  time.Time
	Window time.Duration
	Step   time.Duration
	// Scorer, when set, is the anomaly detector, warmed with the history; a score at or
	// above Threshold is a breach.
	Scorer    Scorer
	Threshold float64
}

// HistoryCheck compares a metric with its own past: the band it usually stays in at this
// hour on this kind of day, and how anomalous the detector finds the new points.
type HistoryCheck struct {
	cfg      HistoryConfig
	seasonal analysis.Seasonal
	// lastScored is when the detector last learnt a point: it learnt the history at Step,
	// and learns live points at the same pace; score is its last verdict.
	lastScored time.Time
	score      Score
}

var (
	_ Check    = (*HistoryCheck)(nil)
	_ Preparer = (*HistoryCheck)(nil)
)

// NewHistory returns a history check; Prepare must succeed before it runs.
func NewHistory(cfg HistoryConfig) *HistoryCheck {
	if cfg.Step <= 0 {
		cfg.Step = HistoryStep(cfg.Window)
	}
	return &HistoryCheck{cfg: cfg}
}

// HistoryMinSpan is the least history the bands stand on: less than a day cannot show
// what is usual at this hour.
const HistoryMinSpan = 24 * time.Hour

// HistoryStep is the resolution history is read at: a minute, coarser for windows whose
// points would pass Prometheus's 11,000-point limit on a range query.
func HistoryStep(window time.Duration) time.Duration {
	return max(time.Minute, (window / 10000).Round(time.Second))
}

// Spec describes the check.
func (c *HistoryCheck) Spec() model.CheckSpec { return c.cfg.Spec }

// Prepare reads the history, learns the seasonal bands and warms the detector. Too little
// history is ErrNoBaseline: the check is then left out, with a warning.
func (c *HistoryCheck) Prepare(ctx context.Context) error {
	end := c.cfg.Start
	series, err := c.cfg.Querier.QueryRange(ctx, c.cfg.Query, end.Add(-c.cfg.Window), end, c.cfg.Step)
	switch {
	case err != nil && !errors.Is(err, source.ErrNoData):
		return fmt.Errorf("read %s of history: %w", c.cfg.Window, err)
	case err != nil || len(series) == 0:
		return fmt.Errorf("%w: no history of %s", ErrNoBaseline, c.cfg.Query)
	case len(series) > 1:
		return fmt.Errorf("the query returns %d series; aggregate it to one (sum, max, avg)", len(series))
	}
	var points []model.Point
	for _, p := range series[0].Points {
		points = append(points, model.Point{At: p.T, Value: p.V})
		if c.cfg.Scorer != nil {
			c.cfg.Scorer.Observe(p.T, p.V)
			c.lastScored = p.T
		}
	}
	if span := points[len(points)-1].At.Sub(points[0].At); span < HistoryMinSpan {
		return fmt.Errorf("%w: %s of history, and the bands need %s", ErrNoBaseline, span.Round(time.Minute), HistoryMinSpan)
	}
	s, ok := analysis.NewSeasonal(points)
	if !ok {
		return fmt.Errorf("%w: %d points of history, too few for a band", ErrNoBaseline, len(points))
	}
	c.seasonal = s
	return nil
}

// Run reads the metric now and judges it against its band and the detector.
func (c *HistoryCheck) Run(ctx context.Context) model.Measurement {
	m := model.Measurement{Check: c.cfg.Spec.Name}
	now := time.Now()
	samples, err := c.cfg.Querier.Query(ctx, c.cfg.Query, now)
	m.Latency = time.Since(now)
	mv := &model.MetricValue{Unit: c.cfg.Unit, Op: c.cfg.Op, Query: c.cfg.Query}
	m.Metric = mv
	if errors.Is(err, source.ErrNoData) {
		// Nothing to compare (an error ratio with no errors, no traffic): the metric's own
		// check judges that; here it is no news.
		m.Message = "no data now"
		return m
	}
	if err != nil {
		queryFailure(&m, err, "inconclusive", c.cfg.Query)
		return m
	}
	if len(samples) != 1 {
		m.ProbeError = fmt.Sprintf("the query returns %d series; aggregate it to one value (sum, max, avg)", len(samples))
		m.Message = m.ProbeError
		return m
	}
	v := samples[0].Value
	u := c.cfg.Unit
	band := c.seasonal.Band(now)
	mv.Value, mv.HasValue, mv.Baseline, mv.HasBaseline = v, true, band.Median, true
	m.Value, m.Baseline = u.Format(v), u.Format(band.Median)
	m.Expected = band.Expected(u)
	outside := band.Outside(c.cfg.Op, v)
	// The detector learns live points at the history's pace; between them, a Peeker
	// judges each reading at once without learning it.
	if c.cfg.Scorer != nil {
		p, peeks := c.cfg.Scorer.(Peeker)
		switch {
		case now.Sub(c.lastScored) >= c.cfg.Step:
			c.score, c.lastScored = c.cfg.Scorer.Observe(now, v), now
		case peeks:
			c.score = p.Peek(now, v)
		}
	}
	// The detector sees both sides; only the side that is bad under the check's operator
	// is news about the deploy (an error rate falling to zero is not a regression).
	anomalous := c.cfg.Scorer != nil && c.score.Value >= c.cfg.Threshold && badSide(c.cfg.Op, v, band.Median)
	m.Breach = outside || anomalous
	m.Message = band.Explain(u, v)
	switch {
	case outside && anomalous:
		m.Message += fmt.Sprintf("; anomaly score %.2f: %s", c.score.Value, c.score.Why)
	case anomalous:
		m.Message = fmt.Sprintf("%s is unusual for this series: anomaly score %.2f, %s (expected %s)",
			u.Format(v), c.score.Value, c.score.Why, band.Expected(u))
	case !outside:
		m.Message = fmt.Sprintf("%s, within %s", u.Format(v), band.Expected(u))
	}
	return m
}

// badSide reports whether v lies on the side of the usual value that op calls bad (">":
// above it); without a direction both sides are.
func badSide(op string, v, usual float64) bool {
	switch op {
	case ">", ">=":
		return v > usual
	case "<", "<=":
		return v < usual
	}
	return true
}
