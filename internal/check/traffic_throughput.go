package check

import (
	"context"
	"errors"
	"fmt"
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
	// waiting is set while the baseline is the run's own first seconds, still gathering.
	waiting bool
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
// ErrNoBaseline: there is nothing to compare with. A baseline still being gathered (the
// run's first seconds) is waited for.
func (c *ThroughputCheck) Prepare(ctx context.Context) error {
	err := c.settle(ctx)
	if errors.Is(err, ErrBaselinePending) {
		c.waiting = true
		return nil
	}
	return err
}

func (c *ThroughputCheck) settle(ctx context.Context) error {
	if r, ok := c.cfg.Baselines.(RateBaseline); ok {
		// A snapshot's counts cover the processes' lifetimes: its rate is measured apart.
		rate, err := r.BaselineRate(ctx)
		if err != nil {
			return err
		}
		c.setBaseline(rate)
		return nil
	}
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
	base := rate(ws[0])
	for _, w := range ws[1:] {
		base = math.Min(base, rate(w))
	}
	c.setBaseline(base)
	return nil
}

func (c *ThroughputCheck) setBaseline(rate float64) {
	c.baseRate = rate
	c.test = analysis.NewThroughputTest(rate, c.drop, c.alpha)
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
	if c.waiting {
		// The traffic read so far is the baseline's; the test starts from this reading.
		m.Insufficient = true
		if err := c.settle(ctx); err != nil {
			m.Message = "waiting for its baseline: " + baselineReason(err)
			return m
		}
		c.waiting, c.lastAt, c.pending = false, at, 0
		mv.Baseline, mv.HasBaseline = c.baseRate, true
		m.Baseline = mv.Unit.Format(c.baseRate)
		m.Message = fmt.Sprintf("baseline %s from the run's first seconds; judging from now", m.Baseline)
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
