package check

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
)

// TrendEvery spaces the points the trend test takes: a rate over the last minute read
// every 10 s repeats most of the previous value, and such points would look like more
// evidence than they are.
const TrendEvery = 30 * time.Second

// TrendConfig configures a trend check: a metric drifting towards its limit.
type TrendConfig struct {
	// Query is the metric and its limit, as for the metric's own check.
	Query QueryConfig
	// End is when monitoring ends: a breach projected before it is critical, one further
	// out (within analysis.TrendHorizon) a warning.
	End time.Time
}

// TrendCheck warns of a gradual degradation before it becomes a breach: memory creeping
// up, latency drifting, with when the limit would be reached at the current slope.
type TrendCheck struct {
	cfg   TrendConfig
	q     *QueryCheck
	trend analysis.Trend
	last  time.Time
}

var (
	_ Check    = (*TrendCheck)(nil)
	_ Preparer = (*TrendCheck)(nil)
)

// NewTrend returns a trend check.
func NewTrend(cfg TrendConfig) *TrendCheck {
	return &TrendCheck{cfg: cfg, q: NewQuery(cfg.Query)}
}

// Spec describes the check.
func (c *TrendCheck) Spec() model.CheckSpec { return c.cfg.Query.Spec }

// Prepare reads the baseline a relative limit needs.
func (c *TrendCheck) Prepare(ctx context.Context) error { return c.q.Prepare(ctx) }

// Run reads the metric and projects its drift. A failed read is the metric's own check's
// business: here it is only "not enough evidence".
func (c *TrendCheck) Run(ctx context.Context) model.Measurement {
	qm := c.q.Run(ctx)
	m := model.Measurement{Check: c.cfg.Query.Spec.Name, Latency: qm.Latency}
	mv := qm.Metric
	// No evidence of a trend is no trend: the check passes until one shows, and never
	// makes a short run inconclusive. A failed read is the metric's own check's business.
	if qm.ProbeError != "" || mv == nil || !mv.HasValue || qm.Insufficient {
		m.Message = "no trend measured: " + qm.Message
		return m
	}
	now := time.Now()
	if now.Sub(c.last) >= TrendEvery {
		c.trend.Observe(now, mv.Value)
		c.last = now
	}
	u, up := c.cfg.Query.Unit, c.cfg.Query.Op == ">" || c.cfg.Query.Op == ">="
	st := c.trend.Project(now, mv.Limit, up)
	rate := slope(u, st.PerMinute)
	m.Value = rate
	m.Expected = fmt.Sprintf("no drift reaching %s within %s", u.Format(mv.Limit), shortDuration(analysis.TrendHorizon))
	switch {
	case st.Points < 8 || st.Span < 2*time.Minute:
		m.Message = fmt.Sprintf("%s now; a trend needs 8 points over 2m (%d over %s)", u.Format(mv.Value), st.Points, shortDuration(st.Span))
	case !st.Towards:
		m.Message = fmt.Sprintf("%s now, %s: no drift towards the limit %s", u.Format(mv.Value), rate, u.Format(mv.Limit))
	case st.ETA == 0:
		// Past the limit: the metric's own check reports that.
		m.Message = fmt.Sprintf("%s now, past the limit %s, %s", u.Format(st.Level), u.Format(mv.Limit), rate)
	case st.ETA <= analysis.TrendHorizon:
		m.Breach = true
		if !now.Add(st.ETA).After(c.cfg.End) {
			m.Severity = model.SeverityCritical
		}
		m.Message = fmt.Sprintf("reaches its limit %s in ~%s at the current slope (%s; %s now)",
			u.Format(mv.Limit), shortDuration(st.ETA.Round(time.Minute)), rate, u.Format(st.Level))
	default:
		m.Message = fmt.Sprintf("%s now, %s: the limit %s is more than %s away", u.Format(st.Level), rate, u.Format(mv.Limit), shortDuration(analysis.TrendHorizon))
	}
	return m
}

// slope formats a change per minute in the metric's unit: "+1.2%/min".
func slope(u model.Unit, perMinute float64) string {
	s := u.Format(math.Abs(perMinute)) + "/min"
	if perMinute < 0 {
		return "-" + s
	}
	return "+" + s
}

// shortDuration prints 14m rather than 14m0s.
func shortDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.Round(time.Second).String()
}
