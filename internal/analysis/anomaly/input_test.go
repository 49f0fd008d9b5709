package anomaly

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestWarmup wants the first WarmupPoints scored 0 for warm-up, and the next one judged.
func TestWarmup(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	vs := dailySeries(1, cfg.WarmupPoints+10, sigma)
	vs[cfg.WarmupPoints/2] += 100 // even a wild point is not judged during warm-up
	scores := scoreAll(vs)
	for i, s := range scores[:cfg.WarmupPoints] {
		if s.Value != 0 || s.Reason != ReasonWarmup || s.Resting {
			t.Errorf("point %d: Value %v, Reason %s, Resting %v; want 0, warmup", i, s.Value, s.Reason, s.Resting)
		}
	}
	for i, s := range scores[cfg.WarmupPoints:] {
		if s.Reason == ReasonWarmup {
			t.Errorf("point %d: still warming up after %d points", cfg.WarmupPoints+i, cfg.WarmupPoints)
		}
	}
}

// TestFlatSeries feeds constants: no alarm, no division by zero.
func TestFlatSeries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		value float64
	}{
		{name: "positive", value: 42},
		{name: "zero", value: 0},
		{name: "negative", value: -3.5e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vs := make([]float64, 4000)
			for i := range vs {
				vs[i] = tc.value
			}
			for i, s := range scoreAll(vs) {
				checkScore(t, i, tc.value, s)
				if s.Value >= DefaultThreshold {
					t.Errorf("point %d: Value %v, want no alarm on a constant", i, s.Value)
				}
				if want := (Band{tc.value, tc.value}); s.Range != want || s.Expected != want {
					t.Errorf("point %d: Range %+v, Expected %+v; want both %+v", i, s.Range, s.Expected, want)
				}
			}
		})
	}
}

// TestIgnoredPoints wants NaN, ±Inf and earlier points reported and ignored: the scores
// of the points after them are those of a detector that never saw them.
func TestIgnoredPoints(t *testing.T) {
	t.Parallel()
	vs := dailySeries(2, 1200, sigma)
	want := scoreAll(vs)
	for _, tc := range []struct {
		name   string
		t      func(i int) time.Time
		v      float64
		reason Reason
	}{
		{name: "nan", t: at, v: math.NaN(), reason: ReasonInvalid},
		{name: "plus_inf", t: at, v: math.Inf(1), reason: ReasonInvalid},
		{name: "minus_inf", t: at, v: math.Inf(-1), reason: ReasonInvalid},
		{name: "earlier_time", t: func(i int) time.Time { return at(i - 2) }, v: 100, reason: ReasonOutOfOrder},
		{name: "long_before", t: func(int) time.Time { return time.Time{} }, v: 100, reason: ReasonOutOfOrder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := New(DefaultConfig())
			for i, v := range vs {
				if i > 0 && i%97 == 0 { // during warm-up and after it
					if s := d.Observe(tc.t(i), tc.v); s != (Score{Reason: tc.reason, TailProbability: 1}) {
						t.Fatalf("point %d: %+v, want only Reason %s", i, s, tc.reason)
					}
				}
				if got := d.Observe(at(i), v); got != want[i] {
					t.Fatalf("point %d after an ignored one: %s", i, cmp.Diff(want[i], got))
				}
			}
		})
	}
}

// TestTimestamps: equal times are separate points, a long gap is accepted.
func TestTimestamps(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	t.Run("equal_times_are_points", func(t *testing.T) {
		t.Parallel()
		d := New(cfg)
		for i := range 10 {
			s := d.Observe(start, float64(i%3))
			if s.Reason != ReasonWarmup || s.History != i {
				t.Errorf("point %d at the same time: Reason %s, History %d; want warmup, %d", i, s.Reason, s.History, i)
			}
		}
		if d.n != 10 {
			t.Errorf("observed %d points, want 10", d.n)
		}
	})
	t.Run("gap_over_max_gap_is_accepted", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name   string
			gap    time.Duration
			seqLen int // the sequence context after the point
		}{
			{name: "at_max_gap", gap: cfg.MaxGap, seqLen: 2},
			{name: "over_max_gap", gap: cfg.MaxGap + time.Second, seqLen: 1},
			{name: "a_week", gap: 7 * 24 * time.Hour, seqLen: 1},
		} {
			d := New(cfg)
			vs := dailySeries(3, 600, sigma)
			for i, v := range vs[:500] {
				d.Observe(at(i), v)
			}
			s := d.Observe(at(499).Add(tc.gap), vs[500])
			if s.Reason == ReasonInvalid || s.Reason == ReasonOutOfOrder || s.History != 500 {
				t.Errorf("%s: Reason %s, History %d; want the point scored on 500 points", tc.name, s.Reason, s.History)
			}
			if d.pred.seqLen != tc.seqLen {
				t.Errorf("%s: sequence context of %d levels, want %d", tc.name, d.pred.seqLen, tc.seqLen)
			}
			checkScore(t, 500, vs[500], s)
		}
	})
}
