package check

import (
	"context"
	"math"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// ThroughputCheck watches for a sustained drop of traffic below a share of the baseline.
type ThroughputCheck struct {
	trafficBase
	drop, alpha float64
	test        *analysis.ThroughputTest
	baseRate    float64
	lastAt      time.Time
	// pending is traffic read while the data's time stood still: it belongs to the next
	// window that has a length.
	pending float64
	last    *model.Measurement
}

var (
	_ Check    = (*ThroughputCheck)(nil)
	_ Preparer = (*ThroughputCheck)(nil)
)

// NewThroughput returns the throughput check: drop is the share of the baseline under which
// traffic counts as dropped (0.5).
func NewThroughput(cfg TrafficConfig, drop, alpha float64) *ThroughputCheck {
	return &ThroughputCheck{trafficBase: trafficBase{cfg: cfg}, drop: drop, alpha: alpha}
}

// Prepare reads the baseline rate: of several windows, the lowest. No baseline is
// ErrNoBaseline: there is nothing to compare with.
func (c *ThroughputCheck) Prepare(ctx context.Context) error {
	ws, err := c.windows(ctx)
	if err != nil {
		return err
	}
	rate := func(w source.Traffic) float64 {
		span := w.Span
		if span <= 0 {
			span = c.cfg.Baseline.Window
		}
		return w.Requests / span.Seconds()
	}
	c.baseRate = rate(ws[0])
	for _, w := range ws[1:] {
		c.baseRate = math.Min(c.baseRate, rate(w))
	}
	c.test = analysis.NewThroughputTest(c.baseRate, c.drop, c.alpha)
	return nil
}

// Run feeds the requests since the previous round to the test.
func (c *ThroughputCheck) Run(ctx context.Context) model.Measurement {
	m := model.Measurement{Check: c.cfg.Spec.Name}
	at, cum, window, ok := c.next(ctx, &m)
	mv := &model.MetricValue{Unit: model.UnitPerSec, Op: "<", Baseline: c.baseRate, HasBaseline: c.test != nil, Query: c.cfg.Query}
	m.Metric = mv
	if !ok {
		return m
	}
	if c.test == nil {
		m.Insufficient, m.Message = true, "no baseline traffic to compare with"
		return m
	}
	m.Baseline = mv.Unit.Format(c.baseRate)
	if c.lastAt.IsZero() {
		c.lastAt = at
		m.Insufficient, m.Message = true, "first reading; the rate needs two"
		return m
	}
	dt := at.Sub(c.lastAt)
	c.pending += window.Requests
	if dt <= 0 {
		return carry(m, c.last)
	}
	c.lastAt = at
	st := c.test.Observe(c.pending, dt)
	c.pending = 0
	recent, d := c.lastMinute(at, cum)
	if d > 0 {
		mv.Value, mv.HasValue = recent.Requests/d.Seconds(), true
		m.Value = mv.Unit.Format(mv.Value)
	}
	mv.Limit = st.Limit
	m.Expected = allowed("<", mv.Unit.Format(st.Limit))
	judge(&m, st.Evidence, st.Message)
	judged := m
	c.last = &judged
	return m
}
