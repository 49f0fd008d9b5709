package check

import (
	"context"
	"fmt"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// QueryConfig configures a PromQL check: the value of Query against a threshold.
type QueryConfig struct {
	Spec    model.CheckSpec
	Querier source.Querier
	Query   string
	// Op compares the value with the limit: ">" means a value above it breaches.
	Op string
	// Threshold is absolute, or a factor of the baseline when Relative.
	Threshold float64
	Relative  bool
	Unit      model.Unit
	// OnNoData is "inconclusive" (a probe error, counted against the budget), "pass" or "fail".
	OnNoData string
	Baseline Baseline
	// PerSeries queries return one series per pod or container: the worst value is judged,
	// and the finding names its series. Other queries must return one series.
	PerSeries bool
}

// QueryCheck evaluates one PromQL query every round.
type QueryCheck struct {
	cfg         QueryConfig
	baseline    float64
	hasBaseline bool
	baselineErr string
}

var (
	_ Check       = (*QueryCheck)(nil)
	_ Preparer    = (*QueryCheck)(nil)
	_ Preflighter = (*QueryCheck)(nil)
)

// NewQuery returns a PromQL check.
func NewQuery(cfg QueryConfig) *QueryCheck { return &QueryCheck{cfg: cfg} }

// Spec describes the check.
func (c *QueryCheck) Spec() model.CheckSpec { return c.cfg.Spec }

// Preflight evaluates the query once, now: the backend parses it and proves it answers.
// An empty answer is reported as source.ErrNoData (the caller decides what that means for
// the check: an optional default is dropped, others go on).
func (c *QueryCheck) Preflight(ctx context.Context) error {
	_, err := c.cfg.Querier.Query(ctx, c.cfg.Query, time.Now())
	return err
}

// baselineStep is the resolution of the range query that reads a baseline: fine enough for
// a median, coarse enough to stay cheap over a week-old window.
func baselineStep(window time.Duration) time.Duration {
	return max(window/60, 15*time.Second)
}

// Prepare reads the baseline: the median of the query over each pre-deploy window, the most
// permissive of them for the check's direction. A missing baseline is not an error here: a
// relative check then stays pending and says why.
func (c *QueryCheck) Prepare(ctx context.Context) error {
	b := c.cfg.Baseline
	if b.Window <= 0 || b.Start.IsZero() {
		c.baselineErr = "no baseline window"
		return nil
	}
	var medians []float64
	for _, end := range b.windows() {
		series, err := c.cfg.Querier.QueryRange(ctx, c.cfg.Query, end.Add(-b.Window), end, baselineStep(b.Window))
		if err != nil {
			c.baselineErr = oneLine(err.Error())
			continue
		}
		if len(series) != 1 && !c.cfg.PerSeries {
			c.baselineErr = fmt.Sprintf("the query returns %d series before the start; aggregate it to one", len(series))
			continue
		}
		medians = append(medians, median(worstPerStep(c.cfg.Op, series)))
	}
	if len(medians) > 0 {
		c.baseline, c.hasBaseline, c.baselineErr = mostPermissive(c.cfg.Op, medians), true, ""
	}
	return nil
}

// Run evaluates the query now and judges its value.
func (c *QueryCheck) Run(ctx context.Context) (m model.Measurement) {
	m = model.Measurement{Check: c.cfg.Spec.Name}
	start := time.Now()
	samples, err := c.cfg.Querier.Query(ctx, c.cfg.Query, start)
	m.Latency = time.Since(start)
	mv := &model.MetricValue{Unit: c.cfg.Unit, Query: c.cfg.Query, Baseline: c.baseline, HasBaseline: c.hasBaseline}
	// Op stays empty until the limit is known, so a relative limit without a baseline is
	// not shown as a limit of 0.
	if !c.cfg.Relative || c.hasBaseline {
		mv.Op, mv.Limit = c.cfg.Op, c.cfg.Threshold
		if c.cfg.Relative {
			mv.Limit = c.cfg.Threshold * c.baseline
		}
	}
	m.Metric = mv
	if err != nil {
		queryFailure(&m, err, c.cfg.OnNoData, c.cfg.Query)
		return m
	}
	if len(samples) != 1 && !c.cfg.PerSeries {
		m.ProbeError = fmt.Sprintf("the query returns %d series; aggregate it to one value (sum, max, avg)", len(samples))
		m.Message = m.ProbeError
		return m
	}
	worst := samples[worstSample(c.cfg.Op, samples)]
	mv.Value, mv.HasValue = worst.Value, true
	u := c.cfg.Unit
	m.Value = u.Format(mv.Value)
	if c.hasBaseline {
		m.Baseline = u.Format(c.baseline)
	}
	limit := c.cfg.Threshold
	if c.cfg.Relative {
		if !c.hasBaseline {
			m.Insufficient = true
			m.Message = fmt.Sprintf("%s now; no baseline to apply %gx to (%s)", m.Value, c.cfg.Threshold, c.baselineErr)
			return m
		}
		limit = c.cfg.Threshold * c.baseline
	}
	mv.Limit = limit
	m.Expected = allowed(c.cfg.Op, u.Format(limit))
	m.Breach = breaches(c.cfg.Op, mv.Value, limit)
	m.Message = c.explain(mv.Value, limit)
	if c.cfg.PerSeries {
		// Which pod: the one to look at, or to leave alone when it is another's.
		m.Message = fmt.Sprintf("%s: %s, the worst of %d", seriesName(worst.Labels), m.Message, len(samples))
	}
	return m
}

func (c *QueryCheck) explain(v, limit float64) string {
	u := c.cfg.Unit
	what := fmt.Sprintf("%s (limit %s %s", u.Format(v), c.cfg.Op, u.Format(limit))
	if c.cfg.Relative {
		what += fmt.Sprintf(" = %gx the baseline %s", c.cfg.Threshold, u.Format(c.baseline))
	} else if c.hasBaseline {
		what += fmt.Sprintf("; baseline %s", u.Format(c.baseline))
	}
	return what + ")"
}
