package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The synthetic series of these tests: one point every 5 minutes from a Monday midnight
// UTC, a daily sine of amplitude 20 around 100 and Gaussian noise from a fixed PCG seed.
const (
	step       = 5 * time.Minute
	dayPoints  = 288 // points per day at 5-minute steps
	peakOffset = 72  // 06:00, where the sine peaks
	lowOffset  = 216 // 18:00, where the sine bottoms out
)

var start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// at is the time of point i.
func at(i int) time.Time { return start.Add(time.Duration(i) * step) }

// base is the noiseless daily pattern at point i.
func base(i int) float64 { return 100 + 20*math.Sin(2*math.Pi*float64(i)/dayPoints) }

// dailySeries returns n points of the daily sine plus N(0, sigma²) noise.
func dailySeries(seed uint64, n int, sigma float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = base(i) + sigma*r.NormFloat64()
	}
	return vs
}

// scoreAll feeds vs to a fresh DefaultConfig detector, point i at at(i).
func scoreAll(vs []float64) []Score {
	d := New(DefaultConfig())
	out := make([]Score, len(vs))
	for i, v := range vs {
		out[i] = d.Observe(at(i), v)
	}
	return out
}

// alarms returns the indices in [from, to) whose score reaches DefaultThreshold.
func alarms(scores []Score, from, to int) []int {
	var idx []int
	for i := from; i < min(to, len(scores)); i++ {
		if scores[i].Value >= DefaultThreshold {
			idx = append(idx, i)
		}
	}
	return idx
}

// firstAlarm returns the first index in [from, to) at or above DefaultThreshold, or −1.
func firstAlarm(scores []Score, from, to int) int {
	if a := alarms(scores, from, to); len(a) > 0 {
		return a[0]
	}
	return -1
}

// values lists the score values in [from, to), for failure messages.
func values(scores []Score, from, to int) []float64 {
	var vs []float64
	for _, s := range scores[from:min(to, len(scores))] {
		vs = append(vs, s.Value)
	}
	return vs
}

// median of the score values in [from, to).
func median(scores []Score, from, to int) float64 {
	vals := make([]float64, 0, to-from)
	for _, s := range scores[from:to] {
		vals = append(vals, s.Value)
	}
	slices.Sort(vals)
	return vals[len(vals)/2]
}

// maxValue of the score values in [from, to).
func maxValue(scores []Score, from, to int) float64 {
	m := 0.0
	for _, s := range scores[from:to] {
		m = max(m, s.Value)
	}
	return m
}

// checkScore reports every documented bound a score of value v breaks.
func checkScore(t *testing.T, i int, v float64, s Score) {
	t.Helper()
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if !finite(s.Value) || s.Value < 0 || s.Value > 1 {
		t.Errorf("point %d (%g): Value %v, want finite in [0, 1]", i, v, s.Value)
	}
	if !(s.TailProbability > 0 && s.TailProbability <= 1) {
		t.Errorf("point %d (%g): TailProbability %v, want in (0, 1]", i, v, s.TailProbability)
	}
	if !finite(s.Surprise) || s.Surprise < 0 || s.Surprise > 1 {
		t.Errorf("point %d (%g): Surprise %v, want finite in [0, 1]", i, v, s.Surprise)
	}
	if s.Reason == ReasonInvalid || s.Reason == ReasonOutOfOrder {
		return // ignored points carry no bands
	}
	for _, b := range []struct {
		name string
		band Band
	}{{"Expected", s.Expected}, {"Range", s.Range}} {
		if !finite(b.band.Low) || !finite(b.band.High) || b.band.Low > b.band.High {
			t.Errorf("point %d (%g): %s %+v, want finite and ordered", i, v, b.name, b.band)
		}
	}
	if !(s.Range.Low <= v && v <= s.Range.High) {
		t.Errorf("point %d (%g): Range %+v does not hold the point", i, v, s.Range)
	}
	// Prior is what the point was judged against: a new extreme lies beyond it.
	if s.Reason == ReasonExtreme && s.Prior.Low <= v && v <= s.Prior.High {
		t.Errorf("point %d (%g): an extreme inside its Prior range %+v", i, v, s.Prior)
	}
}
