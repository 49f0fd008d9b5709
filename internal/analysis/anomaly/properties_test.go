package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// adversarial are inputs chosen to break the arithmetic: every score must stay finite and
// in its bounds, and two detectors fed the same input must agree exactly.
var adversarial = []struct {
	name string
	gen  func(r *rand.Rand, i int) float64
}{
	{name: "noise_on_daily_sine", gen: func(r *rand.Rand, i int) float64 { return base(i) + 2*r.NormFloat64() }},
	{name: "uniform", gen: func(r *rand.Rand, i int) float64 { return r.Float64() }},
	{name: "any_magnitude", gen: func(r *rand.Rand, i int) float64 {
		return (2*r.Float64() - 1) * math.Pow(10, float64(r.IntN(600)-300))
	}},
	{name: "alternating_1e300", gen: func(r *rand.Rand, i int) float64 { return 1e300 * float64(1-2*(i%2)) }},
	{name: "alternating_max_float", gen: func(r *rand.Rand, i int) float64 { return math.MaxFloat64 * float64(1-2*(i%2)) }},
	{name: "across_max_float", gen: func(r *rand.Rand, i int) float64 { return math.MaxFloat64 * (2*r.Float64() - 1) }},
	{name: "tiny_variations", gen: func(r *rand.Rand, i int) float64 { return 1 + float64(r.IntN(3))*1e-15 }},
	{name: "subnormals", gen: func(r *rand.Rand, i int) float64 { return 5e-324 * float64(r.IntN(5)) }},
	{name: "flat_then_random", gen: func(r *rand.Rand, i int) float64 {
		// A perfectly steady history makes the fitted tail as steep as it gets.
		if i < 4000 {
			return 5
		}
		return 5 + r.Float64()
	}},
	{name: "flat_then_step", gen: func(r *rand.Rand, i int) float64 { return 5 + float64(i/3000) }},
	{name: "with_invalid_points", gen: func(r *rand.Rand, i int) float64 {
		return []float64{math.NaN(), math.Inf(1), math.Inf(-1), r.NormFloat64(), 1e6}[r.IntN(5)]
	}},
}

// TestScoreBounds checks every score of every adversarial input against its documented
// bounds, and determinism.
func TestScoreBounds(t *testing.T) {
	t.Parallel()
	const n = 4500
	for _, tc := range adversarial {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			feed := func() ([]float64, []Score) {
				r := rand.New(rand.NewPCG(11, 13))
				d := New(DefaultConfig())
				vs, scores := make([]float64, n), make([]Score, n)
				for i := range n {
					vs[i] = tc.gen(r, i)
					scores[i] = d.Observe(at(i), vs[i])
				}
				return vs, scores
			}
			vs, scores := feed()
			for i, s := range scores {
				checkScore(t, i, vs[i], s)
				if t.Failed() {
					t.FailNow() // one broken point says it; the rest would repeat it
				}
			}
			if _, again := feed(); !cmp.Equal(scores, again) {
				t.Errorf("two detectors fed the same series disagree: %s", cmp.Diff(scores, again))
			}
		})
	}
}

// TestScoreFields checks what each field of a score says on a series with incidents.
func TestScoreFields(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	const n = 6000
	vs := dailySeries(4, n, sigma)
	for i := 4000; i < 4020; i += 2 {
		vs[i] += 10 * sigma // a burst
	}
	for i := 5000; i < n; i++ {
		vs[i] += 30 // a shift beyond the range
	}
	scores := scoreAll(vs)
	lo, hi := math.Inf(1), math.Inf(-1) // of everything seen so far
	wantWindow := map[Reason]int{ReasonBurst: cfg.ShortWindow, ReasonShift: cfg.LongWindow, ReasonExtreme: 1}
	for i, s := range scores {
		v := vs[i]
		checkScore(t, i, v, s)
		lo, hi = min(lo, v), max(hi, v)
		if s.Range.Low < lo || s.Range.High > hi {
			t.Errorf("point %d: Range %+v wider than anything seen [%g, %g]", i, s.Range, lo, hi)
		}
		for _, w := range vs[max(0, i-cfg.RangePoints+1) : i+1] { // the last RangePoints values
			if w < s.Range.Low || w > s.Range.High {
				t.Fatalf("point %d: Range %+v misses the recent value %g", i, s.Range, w)
			}
		}
		if s.Expected.Low < s.Range.Low || s.Expected.High > s.Range.High {
			t.Errorf("point %d: Expected %+v outside Range %+v", i, s.Expected, s.Range)
		}
		if want := min(i, cfg.LikelihoodPoints); s.History != want {
			t.Errorf("point %d: History %d, want %d", i, s.History, want)
		}
		if w, ok := wantWindow[s.Reason]; ok && s.Window != w {
			t.Errorf("point %d: Reason %s with Window %d, want %d", i, s.Reason, s.Window, w)
		}
		if s.Reason == ReasonNone && s.Value >= cfg.Threshold {
			t.Errorf("point %d: Value %v with no reason", i, s.Value)
		}
		if s.Resting && s.Value != cfg.Threshold*restFactor {
			t.Errorf("point %d: resting at %v, want %v", i, s.Value, cfg.Threshold*restFactor)
		}
		if !s.Resting && s.Reason != ReasonExtreme && s.Reason != ReasonWarmup && s.Value > 0 {
			// Outside a rest and an extreme, the value is the tail probability in decades.
			if want := min(1, -math.Log10(s.TailProbability)/cfg.ScaleDecades); math.Abs(s.Value-want) > 1e-12 {
				t.Errorf("point %d: Value %v, want %v from TailProbability %v", i, s.Value, want, s.TailProbability)
			}
		}
	}
	if a := alarms(scores, 4000, 4030); len(a) == 0 {
		t.Errorf("the burst at 4000 was not alarmed: %v", values(scores, 4000, 4030))
	}
}

// TestObserveAllocatesNothing: the memory of a detector is fixed at New.
func TestObserveAllocatesNothing(t *testing.T) {
	vs := dailySeries(5, 1<<12, sigma)
	d := New(DefaultConfig())
	i := 0
	allocs := testing.AllocsPerRun(100_000, func() {
		d.Observe(start.Add(time.Duration(i)*step), vs[i%len(vs)])
		i++
	})
	if allocs != 0 {
		t.Errorf("Observe allocates %v times per point, want 0", allocs)
	}
	if i != 100_001 {
		t.Errorf("fed %d points, want 100,001", i)
	}
}

func TestReasonString(t *testing.T) {
	t.Parallel()
	want := map[Reason]string{
		ReasonNone: "none", ReasonWarmup: "warmup", ReasonBurst: "burst", ReasonShift: "shift",
		ReasonExtreme: "extreme", ReasonInvalid: "invalid", ReasonOutOfOrder: "out_of_order", 200: "unknown",
	}
	for r, w := range want {
		if got := r.String(); got != w {
			t.Errorf("Reason(%d).String() = %q, want %q", r, got, w)
		}
	}
}
