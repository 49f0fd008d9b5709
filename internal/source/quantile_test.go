package source

import (
	"math"
	"testing"
)

func TestQuantile(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	// 100 observations: 50 under 0.1s, 40 in (0.1, 0.5], 9 in (0.5, 1], 1 above 1s.
	h := []Bucket{{0.1, 50}, {0.5, 90}, {1, 99}, {inf, 100}}
	tests := []struct {
		name    string
		q       float64
		buckets []Bucket
		want    float64
	}{
		{"median_in_first_bucket", 0.5, h, 0.1},
		{"p25_interpolated_from_zero", 0.25, h, 0.05},
		{"p70_interpolated", 0.7, h, 0.1 + 0.4*(20.0/40)},
		{"p99_at_bound", 0.99, h, 1},
		{"p999_in_inf_bucket_returns_highest_bound", 0.999, h, 1},
		{"unsorted_and_split_buckets_are_merged", 0.7, []Bucket{{inf, 60}, {0.5, 54}, {0.1, 30}, {0.1, 20}, {1, 59}, {0.5, 36}, {1, 40}, {inf, 40}}, 0.1 + 0.4*(20.0/40)},
		{"non_monotonic_repaired", 0.5, []Bucket{{0.1, 50}, {0.5, 49}, {inf, 100}}, 0.1},
		{"q_zero", 0, h, 0},
		{"negative_first_bound", 0.1, []Bucket{{-1, 10}, {inf, 20}}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Quantile(tt.q, tt.buckets); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	for _, bad := range [][]Bucket{nil, {{inf, 0}, {1, 0}}, {{0.1, 5}, {1, 10}}, {{inf, 5}}} {
		if got := Quantile(0.5, bad); !math.IsNaN(got) {
			t.Errorf("Quantile(%v) = %v, want NaN", bad, got)
		}
	}
	if !math.IsInf(Quantile(-0.1, h), -1) || !math.IsInf(Quantile(1.1, h), 1) || !math.IsNaN(Quantile(math.NaN(), h)) {
		t.Error("out-of-range q not handled like PromQL")
	}
}
