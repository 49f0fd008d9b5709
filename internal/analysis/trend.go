package analysis

import (
	"math"
	"time"
)

// Constants of the trend test.
const (
	// TrendWindow is how many recent points the slope is estimated from.
	TrendWindow = 60
	// trendMinPoints and trendMinSpan are the least evidence for a trend: a slope fitted to
	// five points over a minute says nothing.
	trendMinPoints = 8
	trendMinSpan   = 2 * time.Minute
	// TrendZ is the Mann-Kendall z a rise must reach to be a trend (one-sided, about 1 in
	// 1,000 by chance for independent noise).
	TrendZ = 3.09
	// TrendHorizon is how far ahead a projected breach is worth a warning.
	TrendHorizon = time.Hour
)

// Trend estimates whether a metric drifts towards a limit, and when it would reach it: a
// Theil-Sen slope (the median of the pairwise slopes, insensitive to a few outliers) with
// a Mann-Kendall test that the drift is real rather than noise. It keeps the last
// TrendWindow points only.
type Trend struct {
	ts   [TrendWindow]time.Time
	vs   [TrendWindow]float64
	n    int // points held
	next int // ring position
}

// TrendState is the trend's conclusion.
type TrendState struct {
	// Points and Span are the evidence the estimate stands on.
	Points int
	Span   time.Duration
	// PerMinute is the slope; Level the fitted value now.
	PerMinute float64
	Level     float64
	// Z is the Mann-Kendall statistic: positive for a rise.
	Z float64
	// Towards reports a significant drift in the bad direction; ETA is then when it
	// reaches the limit (zero when it is already there).
	Towards bool
	ETA     time.Duration
}

// Observe adds a point; NaN and Inf are ignored, as is a point not after the previous one.
func (t *Trend) Observe(at time.Time, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	if t.n > 0 && !at.After(t.ts[(t.next+TrendWindow-1)%TrendWindow]) {
		return
	}
	t.ts[t.next], t.vs[t.next] = at, v
	t.next = (t.next + 1) % TrendWindow
	t.n = min(t.n+1, TrendWindow)
}

// Project tests the drift towards limit (up: the bad direction is up) as of now.
func (t *Trend) Project(now time.Time, limit float64, up bool) TrendState {
	ts, vs := t.points()
	st := TrendState{Points: len(ts)}
	if len(ts) < 2 {
		return st
	}
	st.Span = ts[len(ts)-1].Sub(ts[0])
	slopes := make([]float64, 0, len(ts)*(len(ts)-1)/2)
	s := 0
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			dt := ts[j].Sub(ts[i]).Minutes()
			slopes = append(slopes, (vs[j]-vs[i])/dt)
			s += sign(vs[j] - vs[i])
		}
	}
	st.PerMinute = medianOf(slopes)
	// The intercept at now: the median of the points carried to now along the slope.
	carried := make([]float64, len(ts))
	for i := range ts {
		carried[i] = vs[i] + st.PerMinute*now.Sub(ts[i]).Minutes()
	}
	st.Level = medianOf(carried)
	n := float64(len(ts))
	if variance := n * (n - 1) * (2*n + 5) / 18; variance > 0 {
		// Continuity correction, as the test is usually stated.
		z := float64(s) - float64(sign(float64(s)))
		st.Z = z / math.Sqrt(variance)
	}
	if len(ts) < trendMinPoints || st.Span < trendMinSpan {
		return st
	}
	dir := 1.0
	if !up {
		dir = -1
	}
	if st.Z*dir < TrendZ || st.PerMinute*dir <= 0 {
		return st
	}
	st.Towards = true
	if gap := (limit - st.Level) * dir; gap > 0 {
		st.ETA = time.Duration(gap / (st.PerMinute * dir) * float64(time.Minute))
	}
	return st
}

// points returns the held points, oldest first.
func (t *Trend) points() ([]time.Time, []float64) {
	ts := make([]time.Time, 0, t.n)
	vs := make([]float64, 0, t.n)
	start := (t.next + TrendWindow - t.n) % TrendWindow
	for i := range t.n {
		k := (start + i) % TrendWindow
		ts, vs = append(ts, t.ts[k]), append(vs, t.vs[k])
	}
	return ts, vs
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}
