package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestThroughputTest(t *testing.T) {
	t.Parallel()
	const window = 10 * time.Second
	tests := []struct {
		name     string
		baseline float64 // requests per second
		windows  []float64
		want     Evidence
		breachBy int // window by which a breach must happen (0: never)
		message  string
	}{
		{name: "traffic_stops_fails_in_one_window", baseline: 100, windows: []float64{1000, 0}, want: EvidenceBreach, breachBy: 2,
			message: "traffic dropped: 0 req/s (baseline 100 req/s, limit 50 req/s): sustained drop"},
		{name: "a_third_of_the_traffic_fails", baseline: 100, windows: []float64{333, 333}, want: EvidenceBreach, breachBy: 1},
		{name: "a_third_at_low_traffic_takes_longer", baseline: 2, windows: []float64{7, 6, 7, 6, 7, 6}, want: EvidenceBreach, breachBy: 6},
		{name: "forty_percent_fails_within_a_minute", baseline: 20, windows: []float64{80, 80, 80, 80, 80, 80}, want: EvidenceBreach, breachBy: 6},
		{name: "twenty_percent_below_baseline_never_fails", baseline: 100, windows: repeatFloat(60, 800), want: EvidenceHealthy,
			message: "80 req/s (baseline 100 req/s, limit 50 req/s)"},
		{name: "more_traffic_is_fine", baseline: 100, windows: []float64{3000}, want: EvidenceHealthy},
		{name: "no_baseline_traffic", baseline: 0.1, windows: []float64{0, 0}, want: EvidencePending,
			message: "no baseline traffic to compare with"},
		{name: "missing_sample_is_no_data", baseline: 100, windows: []float64{math.NaN()}, want: EvidencePending,
			message: "no traffic data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			test := NewThroughputTest(tt.baseline, 0.5, 0)
			var st ThroughputState
			breach := 0
			for i, n := range tt.windows {
				st = test.Observe(n, window)
				if st.Evidence == EvidenceBreach && breach == 0 {
					breach = i + 1
				}
			}
			if st.Evidence != tt.want {
				t.Errorf("evidence = %s (%s), want %s", st.Evidence, st.Message, tt.want)
			}
			if (tt.breachBy == 0) != (breach == 0) || breach > tt.breachBy {
				t.Errorf("breach at window %d, want by window %d", breach, tt.breachBy)
			}
			if tt.message != "" && st.Message != tt.message {
				t.Errorf("message = %q, want %q", st.Message, tt.message)
			}
		})
	}
}

// TestThroughputNoise feeds an hour of Poisson traffic drifting from the baseline down
// to 80% of it, at several rates: the test never alarms.
func TestThroughputNoise(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0.5, 2, 20, 500} {
		r := rand.New(rand.NewPCG(uint64(rate*10), 3))
		test := NewThroughputTest(rate, 0.5, 0)
		for i := range 360 {
			mean := rate * 10 * (1 - 0.2*float64(i)/360)
			if st := test.Observe(poissonForTest(r, mean), 10*time.Second); st.Evidence == EvidenceBreach {
				t.Errorf("%g req/s: alarm at window %d: %s", rate, i, st.Message)
				break
			}
		}
	}
}

func TestThroughputDefaults(t *testing.T) {
	t.Parallel()
	test := NewThroughputTest(10, 0, 0)
	if st := test.Observe(100, 10*time.Second); st.Limit != 5 || st.Rate != 10 || st.Baseline != 10 {
		t.Errorf("defaults: %+v", st)
	}
	if st := test.Observe(100, 0); st.Evidence != EvidencePending {
		t.Errorf("a window of no length: %+v", st)
	}
}

func repeatFloat(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// poissonForTest draws a Poisson count by summing exponential gaps; fine for tests.
func poissonForTest(r *rand.Rand, mean float64) float64 {
	k, t := 0.0, r.ExpFloat64()
	for t < mean {
		k++
		t += r.ExpFloat64()
	}
	return k
}
