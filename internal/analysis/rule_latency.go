package analysis

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// DefaultLatencyMinCount is how many observations a window needs before its p99 counts:
// 200 puts at least two of them above the 99th percentile, so that one slow request
// never sets it. Measured in the benchmark at 1-10 requests/s over 100,000 healthy runs:
// 8 false warnings with 100, none with 150 or 200 (recall of a ×3 regression 86%, 80%,
// 75%). The caller judges disjoint windows of at least this many requests, so that
// persistence counts independent evidence (a sliding window would repeat one slow
// request in several judgements).
const DefaultLatencyMinCount = 200

// MinShiftPoints is how many values each side of a rank test needs.
const MinShiftPoints = 8

// LatencyRule judges a window's p99 latency against a limit.
type LatencyRule struct {
	// Factor is the limit relative to the baseline p99 (latency_threshold "2x"); 0 when
	// Absolute is used.
	Factor float64
	// Absolute is the absolute limit ("500ms"), and the fallback of a relative limit
	// without a baseline.
	Absolute time.Duration
	// MinCount is how many observations a window needs for its p99 to count; 0 means
	// DefaultLatencyMinCount.
	MinCount float64
}

// LatencyState is the judgement of one window. Values are in seconds.
type LatencyState struct {
	Evidence Evidence
	Value    float64
	Limit    float64
	Baseline float64
	// Message explains the judgement in one line.
	Message string
}

// Judge compares the p99 of a window of count observations with the rule's limit. The
// caller applies persistence on top: one slow window is not a regression.
func (r LatencyRule) Judge(p99, count, baselineP99 float64, hasBaseline bool) LatencyState {
	st := LatencyState{Value: p99, Baseline: math.NaN(), Limit: math.NaN()}
	if hasBaseline {
		st.Baseline = baselineP99
	}
	minCount := r.MinCount
	if !(minCount > 0) {
		minCount = DefaultLatencyMinCount
	}
	if !(count >= minCount) {
		st.Message = fmt.Sprintf("%s requests in the window; p99 needs %s", fmtCount(nonNegative(count)), fmtCount(minCount))
		return st
	}
	if math.IsNaN(p99) {
		st.Message = "no latency data"
		return st
	}
	limit, ok := r.Limit(baselineP99, hasBaseline)
	if !ok {
		st.Message = fmt.Sprintf("p99 %s; no baseline p99 to compare with", fmtSeconds(p99))
		return st
	}
	st.Limit = limit
	why := "limit " + fmtSeconds(limit)
	if r.relative(baselineP99, hasBaseline) {
		why = fmt.Sprintf("limit %s = %gx the baseline %s", fmtSeconds(limit), r.Factor, fmtSeconds(baselineP99))
	}
	if p99 > st.Limit {
		st.Evidence = EvidenceBreach
		st.Message = fmt.Sprintf("p99 %s over %s requests (%s)", fmtSeconds(p99), fmtCount(count), why)
		return st
	}
	st.Evidence = EvidenceHealthy
	st.Message = fmt.Sprintf("p99 %s (%s)", fmtSeconds(p99), why)
	return st
}

// Limit is the p99 limit in seconds the rule judges against, known before any window: the
// factor times the baseline p99 when there is one, else the absolute limit; ok is false
// when neither applies (a relative limit without a baseline).
func (r LatencyRule) Limit(baselineP99 float64, hasBaseline bool) (limit float64, ok bool) {
	switch {
	case r.relative(baselineP99, hasBaseline):
		return r.Factor * baselineP99, true
	case r.Absolute > 0:
		return r.Absolute.Seconds(), true
	}
	return math.NaN(), false
}

func (r LatencyRule) relative(baselineP99 float64, hasBaseline bool) bool {
	return r.Factor > 0 && hasBaseline && baselineP99 > 0
}

// fmtSeconds formats seconds as milliseconds below 10 s: 0.2415 → "242ms".
func fmtSeconds(s float64) string {
	if s >= 10 {
		return strconv.FormatFloat(s, 'f', 1, 64) + "s"
	}
	ms := s * 1000
	if ms < 10 {
		return strconv.FormatFloat(ms, 'g', 2, 64) + "ms"
	}
	return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
}

// MannWhitney returns the U statistic of after (the number of pairs in which the after
// value is greater, ties counting one half) and the one-sided p-value that after is
// stochastically greater than before, from the normal approximation with tie and
// continuity corrections. Without variance (no values, or all equal) p is 1.
func MannWhitney(before, after []float64) (u, p float64) {
	n1, n2 := float64(len(before)), float64(len(after))
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	type obs struct {
		v     float64
		after bool
	}
	all := make([]obs, 0, len(before)+len(after))
	for _, v := range before {
		all = append(all, obs{v, false})
	}
	for _, v := range after {
		all = append(all, obs{v, true})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	var rankSum, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j share their mean
		for k := i; k < j; k++ {
			if all[k].after {
				rankSum += mid
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u = rankSum - n2*(n2+1)/2
	n := n1 + n2
	variance := n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if !(variance > 0) {
		return u, 1
	}
	z := (u - n1*n2/2 - 0.5) / math.Sqrt(variance)
	return u, 0.5 * math.Erfc(z/math.Sqrt2)
}

// LatencyShift is the confirming rank test: it reports whether the per-interval values
// after the deploy are stochastically greater than before at level alpha, with the
// p-value. With fewer than MinShiftPoints values on either side it reports no shift and
// a NaN p-value: too few points to test.
func LatencyShift(before, after []float64, alpha float64) (shifted bool, p float64) {
	if len(before) < MinShiftPoints || len(after) < MinShiftPoints {
		return false, math.NaN()
	}
	_, p = MannWhitney(before, after)
	return p < alpha, p
}

// DefaultShiftAlpha is the significance RecentShift's rank test needs.
const DefaultShiftAlpha = 0.01

// ShiftState is the second latency detector's conclusion.
type ShiftState struct {
	Shifted bool
	// Recent is the median of the last MinShiftPoints values after the start, Before the
	// median before it; P is the rank test's one-sided p-value.
	Recent, Before, P float64
}

// RecentShift flags a sustained latency shift that the consecutive-breach rule can miss
// (blocks straddling the limit): the last MinShiftPoints per-block p99s against the
// baseline's per-minute p99s, shifted upwards by a rank test at alpha and with a median
// past factor times the baseline's. It needs MinShiftPoints values on each side.
func RecentShift(before, after []float64, factor, alpha float64) ShiftState {
	if len(before) < MinShiftPoints || len(after) < MinShiftPoints || !(factor > 0) {
		return ShiftState{Recent: math.NaN(), Before: math.NaN(), P: math.NaN()}
	}
	recent := after[len(after)-MinShiftPoints:]
	st := ShiftState{Recent: medianOf(recent), Before: medianOf(before), P: math.NaN()}
	if !(st.Recent > factor*st.Before) {
		return st
	}
	st.Shifted, st.P = LatencyShift(before, recent, alpha)
	return st
}

func medianOf(values []float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
