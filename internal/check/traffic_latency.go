package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
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
	// baseCount and baseSpan are the observations and the length behind baseP99.
	baseCount float64
	baseSpan  time.Duration
	// waiting is set while the baseline is the run's own first seconds, still gathering.
	waiting bool
	// noBaseline says why a relative limit has no baseline when an absolute one stands in.
	noBaseline string
	block      source.Traffic
	last       *model.Measurement
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

// Prepare reads the baseline p99 (the highest of the windows that hold MinCount
// observations: a p99 of fewer is set by one slow request). A relative limit without a
// baseline is ErrNoBaseline, unless an absolute limit stands in; a baseline still being
// gathered (the run's first seconds) is waited for.
func (c *LatencyCheck) Prepare(ctx context.Context) error {
	err := c.settle(ctx)
	switch {
	case err == nil:
	case errors.Is(err, ErrBaselinePending):
		c.waiting = c.rule.Factor > 0
		return nil
	case errors.Is(err, ErrNoBaseline) && (c.rule.Factor == 0 || c.rule.Absolute > 0):
		c.noBaseline = baselineReason(err)
		return nil
	default:
		return err
	}
	if h, ok := c.cfg.Baselines.(QuantileHistory); ok {
		// Without per-minute history the ratio and persistence decide alone.
		c.before, _ = h.BaselineP99s(ctx, c.cfg.Baseline.Start, c.cfg.Baseline.Window)
	}
	return nil
}

// settle reads the baseline windows and keeps the highest p99 of those with enough
// observations.
func (c *LatencyCheck) settle(ctx context.Context) error {
	ws, err := c.windows(ctx)
	if err != nil {
		return err
	}
	most := 0.0
	for _, w := range ws {
		n := histogramCount(w)
		most = max(most, n)
		if n < c.rule.MinCount {
			continue
		}
		if p := source.Quantile(0.99, w.Buckets); !math.IsNaN(p) && (!c.hasBaseline || p > c.baseP99) {
			c.baseP99, c.hasBaseline, c.baseCount, c.baseSpan = p, true, n, w.Span
		}
	}
	switch {
	case c.hasBaseline:
		return nil
	case most == 0:
		return fmt.Errorf("%w: no latency histogram before the start", ErrNoBaseline)
	}
	return fmt.Errorf("%w: baseline has %s requests; a p99 needs %s", ErrNoBaseline, analysisCount(most), analysisCount(c.rule.MinCount))
}

// await is a round while the baseline is the run's own first seconds: the traffic read
// belongs to the baseline, not to a block to judge.
func (c *LatencyCheck) await(ctx context.Context, m model.Measurement, mv *model.MetricValue) model.Measurement {
	m.Insufficient = true
	err := c.settle(ctx)
	if err != nil {
		m.Message = "waiting for its baseline: " + baselineReason(err)
		return m
	}
	c.waiting = false
	mv.Baseline, mv.HasBaseline = c.baseP99, true
	m.Baseline = mv.Unit.Format(c.baseP99)
	if limit, ok := c.rule.Limit(c.baseP99, true); ok {
		mv.Op, mv.Limit = ">", limit
	}
	m.Message = fmt.Sprintf("baseline p99 %s from %s requests of the run's first %s; judging from now",
		m.Baseline, groupDigits(c.baseCount), shortDuration(c.baseSpan))
	return m
}

// baselineReason is why a baseline is missing or pending, without the sentinel's words.
func baselineReason(err error) string {
	s := err.Error()
	for _, e := range []error{ErrNoBaseline, ErrBaselinePending} {
		s = strings.TrimPrefix(s, e.Error()+": ")
	}
	return s
}

// Run adds the traffic since the previous round to the block, and judges the block once it
// holds enough requests.
func (c *LatencyCheck) Run(ctx context.Context) model.Measurement {
	m := model.Measurement{Check: c.cfg.Spec.Name}
	_, _, window, ok := c.next(ctx, &m)
	mv := &model.MetricValue{Unit: model.UnitSeconds, Query: c.cfg.Query, Baseline: c.baseP99, HasBaseline: c.hasBaseline}
	// The limit is shown from the first round when it is known (an absolute one, or a
	// relative one with a baseline); an unknown limit leaves Op empty, so no report
	// prints a limit of 0.
	if limit, ok := c.rule.Limit(c.baseP99, c.hasBaseline); ok {
		mv.Op, mv.Limit = ">", limit
	}
	m.Metric = mv
	if c.hasBaseline {
		m.Baseline = mv.Unit.Format(c.baseP99)
	}
	if !ok {
		return m
	}
	if c.waiting {
		return c.await(ctx, m, mv)
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
		mv.Op, mv.Limit = ">", st.Limit
		m.Expected = allowed(">", mv.Unit.Format(st.Limit))
	}
	judge(&m, st.Evidence, st.Message)
	if c.noBaseline != "" && c.rule.Factor > 0 {
		m.Message += "; no baseline p99: " + c.noBaseline
	}
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
