package main_test

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/source"
)

// TestMetricsBaselineOffsets: with `baseline: 30m,1d` the traffic checks read the half hour
// before the start and the same half hour a day earlier, and judge against the more
// permissive. The day-earlier window is backfilled noisier (errors alternating 0.1% and
// 0.3%, a p99 of 375 ms) than the last half hour (0.1%, 100 ms): the limits in the report
// must be the day's.
func TestMetricsBaselineOffsets(t *testing.T) {
	t.Parallel()
	dayShare := []float64{.01, .05, .3, .6, .9, .98, 1, 1, 1, 1, 1}
	now := time.Now()
	om := history(
		// Past the day-earlier window's end, so that it is covered whole whenever the run starts.
		window{end: now.Add(-24*time.Hour + 5*time.Minute), share: dayShare,
			errShare: func(i int) float64 { return []float64{0.001, 0.003}[i%2] }},
		window{end: now.Add(-2 * time.Minute), share: healthyShare, errShare: func(int) float64 { return 0.001 }},
	)
	_, prom := promServiceWith(t, om)
	with := metricInputs(prom)
	with["baseline"] = "30m,1d"
	s := newStep(t, with)
	s.start()
	code := s.wait(90 * time.Second)
	outs := s.outputs()
	if code != 0 || outs["status"] != "healthy" {
		t.Fatalf("exit %d status %q, want 0 healthy; summary %q\n%s", code, outs["status"], outs["summary"], s.stdout.String())
	}
	report := s.report()

	// The day's p99, from the histogram as written (increase() scales every bucket alike).
	var buckets []source.Bucket
	for i, ub := range histogramBounds {
		buckets = append(buckets, source.Bucket{UpperBound: ub, Count: dayShare[i] * 1000})
	}
	buckets = append(buckets, source.Bucket{UpperBound: math.Inf(1), Count: 1000})
	dayP99 := source.Quantile(0.99, buckets)
	if math.Abs(dayP99-0.375) > 1e-9 {
		t.Fatalf("day p99 %v, want 0.375 (the fixture changed?)", dayP99)
	}

	tests := []struct {
		check                   string
		wantBaseline, wantLimit float64
		tolerance               float64 // relative
		recentLimit             float64 // what the last half hour alone would give
	}{
		// Limit min(1%, 3 × (errors+3)/(requests+1)) of the day's 0.2% (360,000 requests).
		{"error rate", 0.002, 3 * (0.002*360000 + 3) / (360000 + 1), 0.03, 3 * (0.001*180000 + 3) / (180000 + 1)},
		// latency_threshold 2x of the day's p99.
		{"p99 latency", dayP99, 2 * dayP99, 0.01, 2 * 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.check, func(t *testing.T) {
			_, limit, baseline, _, msg := lastMetric(t, findCheck(t, report, tt.check))
			if math.Abs(baseline-tt.wantBaseline) > tt.tolerance*tt.wantBaseline {
				t.Errorf("baseline %v, want the day-earlier window's %v (%s)", baseline, tt.wantBaseline, msg)
			}
			if math.Abs(limit-tt.wantLimit) > tt.tolerance*tt.wantLimit || limit < 1.5*tt.recentLimit {
				t.Errorf("limit %v, want %v from the day-earlier window, not %v from the last half hour (%s)", limit, tt.wantLimit, tt.recentLimit, msg)
			}
		})
	}
	if got, err := strconv.ParseFloat(outs["baseline_p99_latency_ms"], 64); err != nil || math.Abs(got-375) > 4 {
		t.Errorf("baseline_p99_latency_ms %q, want 375", outs["baseline_p99_latency_ms"])
	}
}
