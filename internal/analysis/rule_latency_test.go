package analysis

import (
	"math"
	"testing"
	"time"
)

func TestLatencyJudge(t *testing.T) {
	t.Parallel()
	relative := LatencyRule{Factor: 2}
	tests := []struct {
		name        string
		rule        LatencyRule
		p99, count  float64
		baseline    float64
		hasBaseline bool
		want        Evidence
		limit       float64
		message     string
	}{
		{name: "pending_below_min_count", rule: relative, p99: 0.9, count: 42, baseline: 0.24, hasBaseline: true,
			want: EvidencePending, limit: math.NaN(), message: "42 requests in the window; p99 needs 200"},
		{name: "min_count_is_configurable", rule: LatencyRule{Factor: 2, MinCount: 50}, p99: 0.3, count: 60, baseline: 0.24, hasBaseline: true,
			want: EvidenceHealthy, limit: 0.48, message: "p99 300ms (limit 480ms = 2x the baseline 240ms)"},
		{name: "relative_breach", rule: relative, p99: 0.765, count: 1234, baseline: 0.24, hasBaseline: true,
			want: EvidenceBreach, limit: 0.48, message: "p99 765ms over 1,234 requests (limit 480ms = 2x the baseline 240ms)"},
		{name: "at_the_limit_is_not_a_breach", rule: relative, p99: 0.48, count: 500, baseline: 0.24, hasBaseline: true,
			want: EvidenceHealthy, limit: 0.48},
		{name: "relative_without_baseline_falls_back_to_absolute", rule: LatencyRule{Factor: 2, Absolute: 500 * time.Millisecond},
			p99: 0.6, count: 500, want: EvidenceBreach, limit: 0.5, message: "p99 600ms over 500 requests (limit 500ms)"},
		{name: "relative_without_baseline_is_pending", rule: relative, p99: 0.6, count: 500,
			want: EvidencePending, limit: math.NaN(), message: "p99 600ms; no baseline p99 to compare with"},
		{name: "zero_baseline_is_no_baseline", rule: relative, p99: 0.6, count: 500, hasBaseline: true,
			want: EvidencePending, limit: math.NaN()},
		{name: "absolute", rule: LatencyRule{Absolute: 500 * time.Millisecond}, p99: 0.2, count: 500, baseline: 0.01, hasBaseline: true,
			want: EvidenceHealthy, limit: 0.5, message: "p99 200ms (limit 500ms)"},
		{name: "no_latency_data", rule: relative, p99: math.NaN(), count: 500, baseline: 0.24, hasBaseline: true,
			want: EvidencePending, limit: math.NaN(), message: "no latency data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := tt.rule.Judge(tt.p99, tt.count, tt.baseline, tt.hasBaseline)
			if st.Evidence != tt.want {
				t.Errorf("evidence = %s (%s), want %s", st.Evidence, st.Message, tt.want)
			}
			if !(st.Limit == tt.limit || math.IsNaN(st.Limit) && math.IsNaN(tt.limit)) {
				t.Errorf("limit = %v, want %v", st.Limit, tt.limit)
			}
			if tt.message != "" && st.Message != tt.message {
				t.Errorf("message = %q, want %q", st.Message, tt.message)
			}
		})
	}
}

func seq(from, to float64) []float64 {
	var out []float64
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

func TestMannWhitney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		before, after []float64
		u, p          float64
	}{
		// Every value appears once on each side: U is n1·n2/2 and p just above 1/2.
		{name: "identical_samples", before: seq(1, 10), after: seq(1, 10), u: 50, p: 0.51513},
		// z = (100 - 50 - 0.5)/sqrt(175) = 3.742.
		{name: "fully_separated", before: seq(1, 10), after: seq(11, 20), u: 100, p: 9.1336e-5},
		{name: "reversed", before: seq(11, 20), after: seq(1, 10), u: 0, p: 0.999933},
		// R's wilcox.test(x, y, alternative = "greater", exact = FALSE) from its manual:
		// W = 35, p-value = 0.1223.
		{name: "r_manual_example", before: []float64{1.15, 0.88, 0.90, 0.74, 1.21},
			after: []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}, u: 35, p: 0.1223},
		{name: "all_equal_has_no_evidence", before: []float64{3, 3, 3}, after: []float64{3, 3}, u: 3, p: 1},
		{name: "empty", before: nil, after: []float64{1}, u: 0, p: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, p := MannWhitney(tt.before, tt.after)
			// The references have four or five significant digits.
			if u != tt.u || math.Abs(p-tt.p) > 1e-4*tt.p+1e-9 {
				t.Errorf("MannWhitney = (%v, %.6g), want (%v, %.6g)", u, p, tt.u, tt.p)
			}
		})
	}
}

func TestLatencyShift(t *testing.T) {
	t.Parallel()
	before := []float64{0.21, 0.24, 0.22, 0.25, 0.23, 0.26, 0.22, 0.24, 0.25, 0.23}
	slower := make([]float64, len(before))
	for i, v := range before {
		slower[i] = 1.5 * v
	}
	if shifted, p := LatencyShift(before, slower, 0.01); !shifted || p >= 0.01 {
		t.Errorf("×1.5 on every interval: shifted %v, p %v", shifted, p)
	}
	if shifted, p := LatencyShift(before, before, 0.01); shifted || p < 0.4 {
		t.Errorf("same values: shifted %v, p %v", shifted, p)
	}
	if shifted, p := LatencyShift(before, slower[:7], 0.01); shifted || !math.IsNaN(p) {
		t.Errorf("7 points after: shifted %v, p %v; want no test", shifted, p)
	}
}
