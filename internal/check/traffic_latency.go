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

// LatencyCheck judges the p99 latency of disjoint blocks of traffic, each of at least the
// rule's MinCount requests, against the baseline's p99. Disjoint blocks make persistence
// count independent evidence: with a sliding window one slow burst would be judged twice.
// While a block fills up, the check carries its last judgement.
type LatencyCheck struct {
	trafficBase
	rule        analysis.LatencyRule
	baseP99     float64
	hasBaseline bool
	block       source.Traffic
	last        *model.Measurement
	// before holds the baseline's per-minute p99s and after the run's last per-block p99s
	// (the MinShiftPoints the rank test of shifted reads: a long run must not grow it).
	before, after []float64
}

// QuantileHistory gives the p99 latency of every minute of a past window.
type QuantileHistory interface {
	BaselineP99s(ctx context.Context, end time.Time, window time.Duration) ([]float64, error)
}

// shiftAlpha is the significance the rank test needs to call a shift.
const shiftAlpha = analysis.DefaultShiftAlpha

var (
	_ Check    = (*LatencyCheck)(nil)
	_ Preparer = (*LatencyCheck)(nil)
)

// NewLatency returns the latency check.
func NewLatency(cfg TrafficConfig, rule analysis.LatencyRule) *LatencyCheck {
	if !(rule.MinCount > 0) {
		rule.MinCount = analysis.DefaultLatencyMinCount
	}
	return &LatencyCheck{trafficBase: trafficBase{cfg: cfg}, rule: rule}
}

// Prepare reads the baseline p99 (the highest of the windows). A relative limit without a
// baseline is ErrNoBaseline.
func (c *LatencyCheck) Prepare(ctx context.Context) error {
	ws, err := c.windows(ctx)
	if err != nil {
		if errors.Is(err, ErrNoBaseline) && c.rule.Factor == 0 {
			return nil
		}
		return err
	}
	for _, w := range ws {
		if p := source.Quantile(0.99, w.Buckets); !math.IsNaN(p) && (!c.hasBaseline || p > c.baseP99) {
			c.baseP99, c.hasBaseline = p, true
		}
	}
	if !c.hasBaseline && c.rule.Factor > 0 {
		return fmt.Errorf("%w: no latency histogram before the start", ErrNoBaseline)
	}
	if h, ok := c.cfg.Baselines.(QuantileHistory); ok {
		// Without per-minute history the ratio and persistence decide alone.
		c.before, _ = h.BaselineP99s(ctx, c.cfg.Baseline.Start, c.cfg.Baseline.Window)
	}
	return nil
}

// Run adds the traffic since the previous round to the block, and judges the block once it
// holds enough requests.
func (c *LatencyCheck) Run(ctx context.Context) model.Measurement {
	m := model.Measurement{Check: c.cfg.Spec.Name}
	_, _, window, ok := c.next(ctx, &m)
	mv := &model.MetricValue{Unit: model.UnitSeconds, Op: ">", Query: c.cfg.Query, Baseline: c.baseP99, HasBaseline: c.hasBaseline}
	m.Metric = mv
	if c.hasBaseline {
		m.Baseline = mv.Unit.Format(c.baseP99)
	}
	if !ok {
		return m
	}
	c.block = addTraffic(c.block, window)
	count := histogramCount(c.block)
	if count < c.rule.MinCount {
		if c.last == nil {
			m.Insufficient = true
			m.Message = fmt.Sprintf("%s of the %s requests a p99 needs so far", analysisCount(count), analysisCount(c.rule.MinCount))
			return m
		}
		carried := *c.last
		carried.Carry, carried.Latency = true, m.Latency
		carried.Message = fmt.Sprintf("%s; next block %s of %s requests", c.last.Message, analysisCount(count), analysisCount(c.rule.MinCount))
		return carried
	}
	p99 := source.Quantile(0.99, c.block.Buckets)
	c.block = source.Traffic{}
	st := c.rule.Judge(p99, count, c.baseP99, c.hasBaseline)
	if !math.IsNaN(p99) {
		if len(c.after) == analysis.MinShiftPoints {
			c.after = append(c.after[:0], c.after[1:]...)
		}
		c.after = append(c.after, p99)
	}
	if !math.IsNaN(p99) {
		mv.Value, mv.HasValue = p99, true
		m.Value = mv.Unit.Format(p99)
	}
	if !math.IsNaN(st.Limit) {
		mv.Limit = st.Limit
		m.Expected = allowed(">", mv.Unit.Format(st.Limit))
	}
	judge(&m, st.Evidence, st.Message)
	if st.Evidence == analysis.EvidenceHealthy {
		m.Breach = c.shifted(&m)
	}
	judged := m
	c.last = &judged
	return m
}

// shifted is the second latency detector: a rank test of the run's last per-block p99s
// against the baseline's per-minute p99s. It flags a sustained shift whose blocks straddle
// the limit (so the consecutive-breach rule never fires) once the median of the recent
// blocks is past the limit factor too.
func (c *LatencyCheck) shifted(m *model.Measurement) bool {
	st := analysis.RecentShift(c.before, c.after, c.rule.Factor, shiftAlpha)
	if !st.Shifted {
		return false
	}
	m.Message = fmt.Sprintf("p99 of the last %d blocks shifted: median %s against %s per minute before the start (Mann-Whitney p=%.2g)",
		analysis.MinShiftPoints, model.UnitSeconds.Format(st.Recent), model.UnitSeconds.Format(st.Before), st.P)
	return true
}
