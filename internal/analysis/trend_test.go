package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestTrend(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	const step = 30 * time.Second
	tests := []struct {
		name string
		// value at minute m, before noise.
		value     func(m float64) float64
		noise     float64
		points    int
		limit     float64
		up        bool
		want      bool
		wantETA   time.Duration // approximate
		etaMargin time.Duration
	}{
		{name: "memory_creeping_up", value: func(m float64) float64 { return 0.60 + 0.01*m }, noise: 0.005, points: 20, limit: 0.95, up: true,
			want: true, wantETA: 25*time.Minute + 30*time.Second, etaMargin: 3 * time.Minute},
		{name: "flat_noise", value: func(float64) float64 { return 0.6 }, noise: 0.02, points: 40, limit: 0.95, up: true},
		{name: "falling_is_not_towards_an_upper_limit", value: func(m float64) float64 { return 0.9 - 0.01*m }, noise: 0.005, points: 20, limit: 0.95, up: true},
		{name: "falling_towards_a_lower_limit", value: func(m float64) float64 { return 100 - 2*m }, noise: 1, points: 20, limit: 50, up: false,
			want: true, wantETA: 15*time.Minute + 30*time.Second, etaMargin: 3 * time.Minute},
		{name: "too_little_evidence", value: func(m float64) float64 { return 0.6 + 0.05*m }, points: 3, limit: 0.95, up: true},
		{name: "already_past_the_limit", value: func(m float64) float64 { return 0.96 + 0.01*m }, noise: 0.001, points: 20, limit: 0.95, up: true,
			want: true, wantETA: 0, etaMargin: time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(7, 7))
			var tr Trend
			var at time.Time
			for i := range tt.points {
				at = start.Add(time.Duration(i) * step)
				tr.Observe(at, tt.value(at.Sub(start).Minutes())+tt.noise*(2*r.Float64()-1))
			}
			st := tr.Project(at, tt.limit, tt.up)
			if st.Towards != tt.want {
				t.Fatalf("Towards = %v (z %.2f, %.4f/min over %s), want %v", st.Towards, st.Z, st.PerMinute, st.Span, tt.want)
			}
			if tt.want && (st.ETA < tt.wantETA-tt.etaMargin || st.ETA > tt.wantETA+tt.etaMargin) {
				t.Errorf("ETA %s, want %s ± %s", st.ETA, tt.wantETA, tt.etaMargin)
			}
		})
	}
}

// Over many noisy flat series the test rarely claims a trend.
func TestTrendFalseAlarmRate(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	alarms := 0
	const runs = 2000
	for seed := range uint64(runs) {
		r := rand.New(rand.NewPCG(seed, 3))
		var tr Trend
		var at time.Time
		for i := range 20 {
			at = start.Add(time.Duration(i) * 30 * time.Second)
			tr.Observe(at, 0.5+0.05*r.NormFloat64())
		}
		if tr.Project(at, 0.9, true).Towards {
			alarms++
		}
	}
	if rate := float64(alarms) / runs; rate > 0.005 {
		t.Errorf("%d false trends in %d flat series (%.2f%%)", alarms, runs, rate*100)
	}
}

func TestTrendIgnoresBadPoints(t *testing.T) {
	t.Parallel()
	var tr Trend
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tr.Observe(at, 1)
	tr.Observe(at, 2) // not after the previous
	tr.Observe(at.Add(time.Second), math.NaN())
	tr.Observe(at.Add(time.Second), math.Inf(1))
	if st := tr.Project(at, 10, true); st.Points != 1 {
		t.Errorf("held %d points, want 1", st.Points)
	}
	for i := range 2 * TrendWindow {
		tr.Observe(at.Add(time.Duration(i+1)*time.Minute), float64(i))
	}
	if st := tr.Project(at.Add(time.Hour), 1000, true); st.Points != TrendWindow {
		t.Errorf("held %d points, want the window of %d", st.Points, TrendWindow)
	}
}
