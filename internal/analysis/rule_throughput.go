package analysis

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// MinBaselineThroughput is the lowest baseline traffic (requests per second) a drop can
// be measured against: below it a quiet minute is normal, not a drop.
const MinBaselineThroughput = 0.2

// ThroughputState is the throughput test's conclusion after a window.
type ThroughputState struct {
	Evidence Evidence
	// Rate is the last window's traffic, Baseline the pre-deploy one and Limit the rate
	// under which a sustained drop is a breach, all in requests per second.
	Rate     float64
	Baseline float64
	Limit    float64
	// Message explains the state in one line.
	Message string
}

// ThroughputTest detects a sustained drop of traffic below a fraction of the baseline
// with a one-sided CUSUM on Poisson counts: per window of n requests in Δt seconds,
// llr = n·ln(λ1/λ0) − (λ1−λ0)·Δt, S = max(0, S + llr), breach while S ≥ ln(1/alpha). As
// for the error rate, λ1 = λ0/2 and the pair is placed so that the llr has zero mean at
// exactly drop × baseline: traffic drifting 20% below the baseline over the day never
// alarms, traffic falling under the limit does, within one window when it stops.
type ThroughputTest struct {
	base, drop float64
	lo, hi     float64 // the hypotheses, requests per second
	s          cusum
}

// NewThroughputTest returns the test for a run: baselinePerSec is the pre-deploy traffic,
// drop the fraction of it under which traffic counts as dropped (0.5: below half), alpha
// the false-alarm bound (0 means DefaultAlpha).
func NewThroughputTest(baselinePerSec, drop, alpha float64) *ThroughputTest {
	if !(drop > 0 && drop < 1) {
		drop = 0.5
	}
	if !(alpha > 0 && alpha < 1) {
		alpha = DefaultAlpha
	}
	t := &ThroughputTest{base: nonNegative(baselinePerSec), drop: drop, s: cusum{h: math.Log(1 / alpha)}}
	// As for the error rate, the hypotheses sit a factor hypothesisRatio apart around the
	// limit, so that the statistic drifts up only under a sustained drop below it.
	t.lo = drop * t.base * math.Log(hypothesisRatio) / (hypothesisRatio - 1)
	t.hi = hypothesisRatio * t.lo
	return t
}

// Observe feeds the requests of one window of the given length.
func (t *ThroughputTest) Observe(requests float64, window time.Duration) ThroughputState {
	st := ThroughputState{Baseline: t.base, Limit: t.drop * t.base, Rate: math.NaN()}
	if t.base < MinBaselineThroughput {
		st.Message = "no baseline traffic to compare with"
		return st
	}
	sec := window.Seconds()
	if !(sec > 0) || math.IsNaN(requests) {
		st.Message = "no traffic data"
		return st
	}
	n := nonNegative(requests)
	st.Rate = n / sec
	t.s.add(n*math.Log(t.lo/t.hi) - (t.lo-t.hi)*sec)
	if t.s.alarm() {
		st.Evidence = EvidenceBreach
		st.Message = fmt.Sprintf("traffic dropped: %s req/s (baseline %s req/s, limit %s req/s): sustained drop",
			fmtRate(st.Rate), fmtRate(t.base), fmtRate(st.Limit))
		return st
	}
	st.Evidence = EvidenceHealthy
	st.Message = fmt.Sprintf("%s req/s (baseline %s req/s, limit %s req/s)", fmtRate(st.Rate), fmtRate(t.base), fmtRate(st.Limit))
	return st
}

// fmtRate formats requests per second with three significant digits.
func fmtRate(v float64) string {
	if v >= 1000 {
		return fmtCount(v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
