package nab

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSweep runs Sweep on 40-row series (probation rows 0–5) with one window at rows
// 10–14 (width 5). Candidate thresholds are 1.1 and every distinct score, highest first;
// each case lists the corpus total T at each candidate.
func TestSweep(t *testing.T) {
	t.Parallel()
	w := win(10, 14)
	tests := []struct {
		name    string
		profile Profile
		outputs []Output
		want    Result
	}{
		{
			// T(1.1) = −2; T(0.9) = 1 − 1 = 0; T(0.8) = 0 − 0.11 = −0.11;
			// T(0.7) = 1 − 0.11·tanh(2.5·6/4) + tanh(1.5)/tanh(2.5) − 0.11
			//        = 1 − 0.1098784 + 0.9174287 − 0.11 = 1.6975503;
			// T(0) ≈ −2.117 for a.csv alone (every row a detection). Best: 0.7, although a.csv
			// alone would prefer 0.9: one threshold for the whole corpus.
			name:    "corpus_wide_threshold",
			profile: Standard,
			outputs: []Output{
				synthetic("a.csv", 40, map[int]float64{10: 0.9, 20: 0.7}, w),
				synthetic("b.csv", 40, map[int]float64{7: 0.8, 12: 0.7}, w),
			},
			want: Result{
				Profile: Standard, Threshold: 0.7,
				Score: 1.6975503, Null: -2, Perfect: 2, Normalized: 92.4387573, // 100·3.6975503/4
				Files: []FileResult{
					{Name: "a.csv", Score: 0.8901216, Windows: 1, Detected: 1, FalsePositives: 1}, // 1 − 0.1098784
					{Name: "b.csv", Score: 0.8074287, Windows: 1, Detected: 1, FalsePositives: 1}, // 0.9174287 − 0.11
				},
			},
		},
		{
			// Same outputs under low FP (A_fp = 0.22): T(0.9) = 0; T(0.7) = 1 − 0.2197568 +
			// 0.9174287 − 0.22 = 1.4776719, still the best.
			name:    "corpus_wide_threshold_low_fp",
			profile: LowFP,
			outputs: []Output{
				synthetic("a.csv", 40, map[int]float64{10: 0.9, 20: 0.7}, w),
				synthetic("b.csv", 40, map[int]float64{7: 0.8, 12: 0.7}, w),
			},
			want: Result{
				Profile: LowFP, Threshold: 0.7,
				Score: 1.4776719, Null: -2, Perfect: 2, Normalized: 86.9417976, // 100·3.4776719/4
				Files: []FileResult{
					{Name: "a.csv", Score: 0.7802432, Windows: 1, Detected: 1, FalsePositives: 1}, // 1 − 0.22·0.9988944
					{Name: "b.csv", Score: 0.6974287, Windows: 1, Detected: 1, FalsePositives: 1}, // 0.9174287 − 0.22
				},
			},
		},
		{
			// T(1.1) = −1; T(0.8) = 1 (row 10, A_tp); T(0.6) = 1 too (row 12 weighs less than
			// row 10's reward already earned); T(0) < 1. The tie keeps 0.8.
			name:    "tie_keeps_highest_threshold",
			profile: Standard,
			outputs: []Output{synthetic("a.csv", 40, map[int]float64{10: 0.8, 12: 0.6}, w)},
			want: Result{
				Profile: Standard, Threshold: 0.8,
				Score: 1, Null: -1, Perfect: 1, Normalized: 100,
				Files: []FileResult{{Name: "a.csv", Score: 1, Windows: 1, Detected: 1}},
			},
		},
		{
			// T(1.1) = −1; T(0.9) = −1 − 0.11 = −1.11 (row 7, before the window);
			// T(0) = 1 − 4·0.11 (rows 6–9) − 0.11·Σ_{d=1..25} scaledSigmoid-cost(d/4) (rows
			// 15–39) ≈ 1 − 0.44 − 2.677 = −2.117. No detection is best: threshold 1.1,
			// normalized 0.
			name:    "never_useful",
			profile: Standard,
			outputs: []Output{synthetic("a.csv", 40, map[int]float64{7: 0.9}, w)},
			want: Result{
				Profile: Standard, Threshold: 1.1,
				Score: -1, Null: -1, Perfect: 1, Normalized: 0,
				Files: []FileResult{{Name: "a.csv", Score: -1, Windows: 1}},
			},
		},
		{
			// Under low FN (A_fn = 2): T(1.1) = −2 − 2 = −4; T(0.9) = −4 + 2 + tanh(2)/tanh(2.5)
			// = −2 + 0.9771068 = −1.0228932 (a.csv detected at row 11, b.csv missed);
			// T(0) ≈ 2·−2.117 + … (every row of both a detection) is lower.
			name:    "low_fn_threshold",
			profile: LowFN,
			outputs: []Output{
				synthetic("a.csv", 40, map[int]float64{11: 0.9}, w),
				synthetic("b.csv", 40, nil, w),
			},
			want: Result{
				Profile: LowFN, Threshold: 0.9,
				Score: -1.0228932, Null: -4, Perfect: 2, Normalized: 49.6184467, // 100·2.9771068/6
				Files: []FileResult{
					{Name: "a.csv", Score: 0.9771068, Windows: 1, Detected: 1},
					{Name: "b.csv", Score: -2, Windows: 1},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sweep(tc.outputs, tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, approx); diff != "" {
				t.Errorf("Sweep (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSweepErrors(t *testing.T) {
	t.Parallel()
	ok := synthetic("ok.csv", 40, hits(10), win(10, 14))
	short := synthetic("short.csv", 40, nil, win(10, 14))
	short.Times = short.Times[:30]
	tests := []struct {
		name    string
		outputs []Output
		want    string
	}{
		{"no_outputs", nil, "no series to score"},
		{"score_outside_range", []Output{ok, synthetic("bad.csv", 40, map[int]float64{30: 1.01}, win(10, 14))}, "bad.csv: row 31: anomaly score 1.01 is not in [0, 1]"},
		{"window_not_on_timestamps", []Output{ok, synthetic("off.csv", 40, nil, Window{Start: at(10), End: at(14).Add(-time.Minute)})}, "off.csv: window 1 is not on the series' timestamps"},
		{"mismatched_lengths", []Output{short, ok}, "short.csv: 30 timestamps but 40 scores"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Sweep(tc.outputs, Standard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Sweep error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
