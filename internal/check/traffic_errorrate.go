package check

import (
	"context"
	"errors"
	"math"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
)

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
// most permissive). Without one the test judges against the absolute threshold alone, and
// so it does when the baseline would be the run's own first seconds: the error rate is
// compared with the old version's, never with the new one's.
func (c *ErrorRateCheck) Prepare(ctx context.Context) error {
	ws, err := c.windows(ctx)
	if err != nil {
		if errors.Is(err, ErrNoBaseline) || errors.Is(err, ErrBaselinePending) {
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
	v := ratio(recent)
	if st.Evidence == analysis.EvidenceBreach && st.Segment.Requests > 0 {
		// The breach judges the requests since the rate turned: the value shown beside it
		// is theirs, not the last minute's, which still holds healthy traffic.
		v = st.Segment.Errors / st.Segment.Requests
	}
	if !math.IsNaN(v) {
		mv.Value, mv.HasValue = v, true
		m.Value = mv.Unit.Format(v)
	}
	mv.Limit, mv.Requests, mv.Errors = st.Limit, st.Total.Requests, st.Total.Errors
	m.Expected = allowed(">", mv.Unit.Format(st.Limit))
	judge(&m, st.Evidence, st.Message)
	return m
}
