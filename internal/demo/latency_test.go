package demo

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLatencyDistribution(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		route            route
		p50min, p50max   time.Duration
		p99max           time.Duration
		wantTailAboveP50 float64 // P99 at least this many times P50: the tail is there
	}{
		{name: "list_orders", route: routeListOrders, p50min: 20 * time.Millisecond, p50max: 30 * time.Millisecond,
			p99max: 120 * time.Millisecond, wantTailAboveP50: 1.5},
		{name: "create_order", route: routeCreateOrder, p50min: 30 * time.Millisecond, p50max: 40 * time.Millisecond,
			p99max: 160 * time.Millisecond, wantTailAboveP50: 1.5},
		{name: "liveness", route: routeLive, p50min: 500 * time.Microsecond, p50max: 2 * time.Millisecond,
			p99max: 10 * time.Millisecond, wantTailAboveP50: 1.2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newService(Options{}, 7)
			draws := make([]time.Duration, 20000)
			for i := range draws {
				draws[i] = s.latency(tc.route)
			}
			slices.Sort(draws)
			p50, p99 := percentile(draws, 50), percentile(draws, 99)
			if p50 < tc.p50min || p50 > tc.p50max {
				t.Errorf("P50 = %v, want %v..%v", p50, tc.p50min, tc.p50max)
			}
			if p99 > tc.p99max || float64(p99) < tc.wantTailAboveP50*float64(p50) {
				t.Errorf("P99 = %v (P50 %v), want a tail up to %v", p99, p50, tc.p99max)
			}
			if draws[len(draws)-1] > maxLatency {
				t.Errorf("max = %v, above the cap %v", draws[len(draws)-1], maxLatency)
			}
		})
	}
}

func TestHealthyErrorRate(t *testing.T) {
	t.Parallel()
	s := newService(Options{}, 11)
	const n = 200000
	var errs int
	for range n {
		if s.chance(baseErrorRate) {
			errs++
		}
	}
	// 0.1% of 200,000 is 200 ± 14 (one standard deviation).
	if errs < 140 || errs > 260 {
		t.Errorf("%d errors in %d draws, want about 0.1%%", errs, n)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{name: "empty", sorted: nil, p: 50, want: 0},
		{name: "single", sorted: ms(7), p: 99, want: 7 * time.Millisecond},
		{name: "median_of_four", sorted: ms(1, 2, 3, 4), p: 50, want: 2 * time.Millisecond},
		{name: "p99_of_hundred", sorted: ms(hundred...), p: 99, want: 99 * time.Millisecond},
		{name: "p50_of_hundred", sorted: ms(hundred...), p: 50, want: 50 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(p%d) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestTrafficRingKeepsTheLatest(t *testing.T) {
	t.Parallel()
	st := newTrafficStats(4)
	for i := 1; i <= 10; i++ {
		st.record(time.Duration(i)*time.Millisecond, true, i == 3)
	}
	st.record(0, false, true) // a refused connection: counted, no latency
	got := st.snapshot()
	want := TrafficStats{Requests: 11, Errors: 2, P50: 8 * time.Millisecond, P99: 10 * time.Millisecond}
	if got != want {
		t.Errorf("snapshot = %+v, want %+v (latencies 7..10 kept)", got, want)
	}
}

func TestNewRelease(t *testing.T) {
	t.Parallel()
	a, b := NewRelease("1.4.2"), NewRelease("1.4.3")
	if len(a.Commit) != 40 || strings.Trim(a.Commit, "0123456789abcdef") != "" {
		t.Errorf("commit %q is not 40 hex digits", a.Commit)
	}
	if a != NewRelease("1.4.2") || a.Commit == b.Commit || a.Version != "1.4.2" {
		t.Errorf("NewRelease is not stable per version: %+v %+v", a, b)
	}
}
