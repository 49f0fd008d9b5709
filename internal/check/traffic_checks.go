package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// ErrNoBaseline reports that a check judged against the baseline has none (no history in
// Prometheus, a direct scrape without a start snapshot). The caller decides: a default
// check is turned off with a warning, rather than ending every run inconclusive.
var ErrNoBaseline = errors.New("no baseline")

// TrafficConfig is what every traffic check shares.
type TrafficConfig struct {
	Spec model.CheckSpec
	Feed *Feed
	// Baselines reads pre-deploy traffic; nil when there is no history to read.
	Baselines BaselineReader
	Baseline  Baseline
	// Query is shown to explain where the numbers come from.
	Query string
}

// trafficBase holds what the three traffic checks do alike.
type trafficBase struct {
	cfg  TrafficConfig
	prev *source.Traffic
}

// Spec describes the check.
func (b *trafficBase) Spec() model.CheckSpec { return b.cfg.Spec }

// windows reads the baseline traffic of every window (the one before the start, and the
// offset ones); windows without traffic are left out.
func (b *trafficBase) windows(ctx context.Context) ([]source.Traffic, error) {
	bl := b.cfg.Baseline
	if b.cfg.Baselines == nil || bl.Window <= 0 || bl.Start.IsZero() {
		return nil, ErrNoBaseline
	}
	var out []source.Traffic
	var lastErr error
	for _, end := range bl.windows() {
		t, err := b.cfg.Baselines.Baseline(ctx, end, bl.Window)
		if err != nil {
			if !errors.Is(err, source.ErrNoData) {
				lastErr = err
			}
			continue
		}
		if t.Requests > 0 {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		if lastErr != nil {
			return nil, lastErr
		}
		return nil, fmt.Errorf("%w: no traffic in the %s before the start", ErrNoBaseline, bl.Window)
	}
	return out, nil
}

// next reads the traffic since the previous round: the window a sequential test consumes.
func (b *trafficBase) next(ctx context.Context, m *model.Measurement) (time.Time, source.Traffic, source.Traffic, bool) {
	start := time.Now()
	at, cum, err := b.cfg.Feed.Latest(ctx)
	m.Latency = time.Since(start)
	if err != nil {
		queryFailure(m, err, "inconclusive", b.cfg.Query)
		return at, source.Traffic{}, source.Traffic{}, false
	}
	prev := source.Traffic{}
	if b.prev != nil {
		prev = *b.prev
	}
	b.prev = &cum
	return at, cum, Sub(cum, prev), true
}

// lastMinute is the traffic of the sliding window ending now, or since the start when the
// run is younger.
func (b *trafficBase) lastMinute(at time.Time, cum source.Traffic) (source.Traffic, time.Duration) {
	w, d := b.cfg.Feed.Since(at.Add(-time.Minute))
	if d == 0 {
		return cum, 0
	}
	return w, d
}

// judge maps a statistical test's evidence onto a measurement: a breach, not enough
// evidence yet (pending), or a pass.
func judge(m *model.Measurement, ev analysis.Evidence, message string) {
	m.Message = message
	m.Breach = ev == analysis.EvidenceBreach
	m.Insufficient = ev == analysis.EvidencePending
}

func ratio(t source.Traffic) float64 {
	if t.Requests <= 0 {
		return math.NaN()
	}
	return t.Errors / t.Requests
}

// ErrorRateCheck judges the 5xx ratio with the sequential, count-based test of the
// analysis package.
type ErrorRateCheck struct {
	trafficBase
	rule     analysis.ErrorRateRule
	test     *analysis.ErrorRateTest
	baseline *analysis.Counts
}

var (
	_ Check    = (*ErrorRateCheck)(nil)
	_ Preparer = (*ErrorRateCheck)(nil)
)

// NewErrorRate returns the error-rate check.
func NewErrorRate(cfg TrafficConfig, rule analysis.ErrorRateRule) *ErrorRateCheck {
	return &ErrorRateCheck{trafficBase: trafficBase{cfg: cfg}, rule: rule, test: analysis.NewErrorRateTest(rule, nil)}
}

// Prepare reads the baseline: of several windows, the one with the highest error rate (the
// most permissive). Without one the test judges against the absolute threshold alone.
func (c *ErrorRateCheck) Prepare(ctx context.Context) error {
	ws, err := c.windows(ctx)
	if err != nil {
		if errors.Is(err, ErrNoBaseline) {
			return nil
		}
		return err
	}
	best := ws[0]
	for _, w := range ws[1:] {
		if (w.Errors+3)/(w.Requests+1) > (best.Errors+3)/(best.Requests+1) {
			best = w
		}
	}
	c.baseline = &analysis.Counts{Requests: best.Requests, Errors: best.Errors}
	c.test = analysis.NewErrorRateTest(c.rule, c.baseline)
	return nil
}

// Run feeds the traffic since the previous round to the test.
func (c *ErrorRateCheck) Run(ctx context.Context) model.Measurement {
	m := model.Measurement{Check: c.cfg.Spec.Name}
	at, cum, window, ok := c.next(ctx, &m)
	mv := &model.MetricValue{Unit: model.UnitRatio, Op: ">", Query: c.cfg.Query}
	m.Metric = mv
	if c.baseline != nil && c.baseline.Requests > 0 {
		mv.Baseline, mv.HasBaseline = c.baseline.Errors/c.baseline.Requests, true
		m.Baseline = mv.Unit.Format(mv.Baseline)
	}
	if !ok {
		return m
	}
	st := c.test.Observe(analysis.Counts{Requests: window.Requests, Errors: window.Errors})
	recent, _ := c.lastMinute(at, cum)
	if v := ratio(recent); !math.IsNaN(v) {
		mv.Value, mv.HasValue = v, true
		m.Value = mv.Unit.Format(v)
	}
	mv.Limit, mv.Requests, mv.Errors = st.Limit, st.Total.Requests, st.Total.Errors
	m.Expected = allowed(">", mv.Unit.Format(st.Limit))
	judge(&m, st.Evidence, st.Message)
	return m
}

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
	// before holds the baseline's per-minute p99s and after the run's per-block p99s, for
	// the rank test of shifted.
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

// addTraffic sums two stretches of traffic.
func addTraffic(a, b source.Traffic) source.Traffic {
	out := source.Traffic{Requests: a.Requests + b.Requests, Errors: a.Errors + b.Errors}
	sums := map[float64]float64{}
	for _, x := range append(append([]source.Bucket(nil), a.Buckets...), b.Buckets...) {
		sums[x.UpperBound] += x.Count
	}
	for ub, n := range sums {
		out.Buckets = append(out.Buckets, source.Bucket{UpperBound: ub, Count: n})
	}
	slices.SortFunc(out.Buckets, func(x, y source.Bucket) int { return cmp.Compare(x.UpperBound, y.UpperBound) })
	return out
}

// histogramCount is the number of observations of a histogram: its +Inf bucket.
func histogramCount(t source.Traffic) float64 {
	if n := len(t.Buckets); n > 0 && math.IsInf(t.Buckets[n-1].UpperBound, 1) {
		return t.Buckets[n-1].Count
	}
	return 0
}

func analysisCount(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }

// ThroughputCheck watches for a sustained drop of traffic below a share of the baseline.
type ThroughputCheck struct {
	trafficBase
	drop, alpha float64
	test        *analysis.ThroughputTest
	baseRate    float64
	lastAt      time.Time
	last        *model.Measurement
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
	c.lastAt = at
	if dt <= 0 {
		return carry(m, c.last)
	}
	st := c.test.Observe(window.Requests, dt)
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

// carry repeats a check's last judgement when no new reading came in: no new evidence.
func carry(m model.Measurement, last *model.Measurement) model.Measurement {
	if last == nil {
		m.Insufficient, m.Message = true, "no new reading yet"
		return m
	}
	c := *last
	c.Carry, c.Latency = true, m.Latency
	return c
}
