package nab

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProbationLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rows int
		want int
	}{
		{"empty", 0, 0},                   // floor(0.15·0) = 0
		{"seven_rows", 7, 1},              // floor(1.05) = 1
		{"forty_rows", 40, 6},             // floor(6.0) = 6
		{"hundred_rows", 100, 15},         // floor(15.0) = 15
		{"typical_aws_series", 4032, 604}, // floor(604.8) = 604
		{"cap_reached", 5000, 750},        // floor(750) = 750 = the cap 0.15·5000
		{"capped", 10000, 750},            // min(floor(1500), 750) = 750
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ProbationLength(tc.rows); got != tc.want {
				t.Errorf("ProbationLength(%d) = %d, want %d", tc.rows, got, tc.want)
			}
		})
	}
}

func TestScaledSigmoid(t *testing.T) {
	t.Parallel()
	// 2/(1+e^(5x)) − 1 = tanh(−5x/2).
	tests := []struct {
		name string
		x    float64
		want float64
	}{
		{"window_start", -1, 0.9866143},       // 2/(1+e^−5) − 1 = 2/1.0067379 − 1
		{"mid_window", -0.5, 0.8482836},       // tanh(1.25)
		{"window_end", 0, 0},                  // 2/(1+1) − 1
		{"one_width_after", 1, -0.9866143},    // −tanh(2.5)
		{"three_widths_after", 3, -0.9999994}, // 2/(1+e^15) − 1 = −tanh(7.5)
		{"beyond_three_widths", 3.0001, -1},   // clamped
		{"far_beyond", 100, -1},               // clamped
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := scaledSigmoid(tc.x); !cmp.Equal(got, tc.want, approx) {
				t.Errorf("scaledSigmoid(%v) = %.9f, want %.7f", tc.x, got, tc.want)
			}
		})
	}
}

// TestSweepRowsWeights checks the weight and window of single rows of a 40-row series
// (probation 6 rows) with windows at rows 10–14 and 25–29 (width 5).
func TestSweepRowsWeights(t *testing.T) {
	t.Parallel()
	o := synthetic("s.csv", 40, nil, win(10, 14), win(25, 29))
	rows, scored, err := sweepRows(o, Standard, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 34 || scored != 2 { // 40 − 6 probation rows
		t.Fatalf("got %d rows and %d scored windows, want 34 and 2", len(rows), scored)
	}
	tests := []struct {
		name   string
		row    int
		weight float64
		window int
	}{
		{"first_scored_row", 6, -0.11, noWindow},              // no window before it: −A_fp
		{"window_start", 10, 1, 7},                            // A_tp, window numbered from firstWindow 7
		{"second_row", 11, 0.9771068, 7},                      // pos −4/5: tanh(2)/tanh(2.5) = 0.9640276/0.9866143
		{"window_last_row", 14, 0.4683868, 7},                 // pos −1/5: tanh(0.5)/tanh(2.5) = 0.4621172/0.9866143
		{"just_after", 15, -0.0610060, noWindow},              // 0.11·−tanh(2.5·1/4) = 0.11·−0.5546003
		{"between_windows", 20, -0.1098784, noWindow},         // 0.11·−tanh(2.5·6/4) = 0.11·−0.9988944
		{"second_window_start", 25, 1, 8},                     // A_tp
		{"after_second_window", 30, -0.0610060, noWindow},     // distance counts from window 2: 0.11·−tanh(2.5/4)
		{"far_after_second_window", 39, -0.1099992, noWindow}, // 0.11·−tanh(2.5·10/4) = 0.11·−0.9999925
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rows[tc.row-6]
			if !cmp.Equal(r.weight, tc.weight, approx) || r.window != tc.window || r.file != 3 {
				t.Errorf("row %d: weight %.7f window %d file %d, want %.7f, %d, 3", tc.row, r.weight, r.window, r.file, tc.weight, tc.window)
			}
		})
	}
}

// TestScoreAt scores 40-row series (probation: rows 0–5) with a window at rows 10–14
// (width 5) unless a case says otherwise; detections score 1, threshold 0.5. Notation:
// w(i) = tanh(2.5·(right−i+1)/width)/tanh(2.5) in a window, and a detection d rows after
// a window of width W costs A_fp·tanh(2.5·d/(W−1)) (A_fp beyond 3·(W−1) rows).
func TestScoreAt(t *testing.T) {
	t.Parallel()
	w1 := []Window{win(10, 14)}
	tests := []struct {
		name    string
		profile Profile
		hits    []int
		windows []Window
		// Score, Null, Perfect, Normalized; then the one file's Windows, Detected, FPs.
		score, null, perfect, norm float64
		scored, detected, fps      int
	}{
		{"detection_at_window_start", Standard, []int{10}, w1,
			1, -1, 1, 100, 1, 1, 0}, // w(10) = tanh(2.5)/tanh(2.5) = A_tp; 100·(1+1)/(1+1)
		{"later_detection_earns_less", Standard, []int{12, 13}, w1,
			0.9174287, -1, 1, 95.8714340, 1, 1, 0}, // w(12) = tanh(1.5)/tanh(2.5) = 0.9051483/0.9866143; 100·1.9174287/2
		{"earliest_detection_counts", Standard, []int{11, 12, 14}, w1,
			0.9771068, -1, 1, 98.8553420, 1, 1, 0}, // max(w(11), w(12), w(14)) = tanh(2)/tanh(2.5); 100·1.9771068/2
		{"detection_at_window_end", Standard, []int{14}, w1,
			0.4683868, -1, 1, 73.4193422, 1, 1, 0}, // w(14) = tanh(0.5)/tanh(2.5) = 0.4621172/0.9866143
		{"missed_window", Standard, nil, w1,
			-1, -1, 1, 0, 1, 0, 0}, // −A_fn; 100·(−1+1)/2
		{"false_positive_before_window", Standard, []int{7, 10}, w1,
			0.89, -1, 1, 94.5, 1, 1, 1}, // 1 − A_fp = 1 − 0.11; 100·1.89/2
		{"false_positive_just_after_window", Standard, []int{10, 15}, w1,
			0.9389940, -1, 1, 96.9497015, 1, 1, 1}, // d=1: 1 − 0.11·tanh(2.5/4) = 1 − 0.11·0.5546003
		{"false_positive_one_width_after", Standard, []int{10, 18}, w1,
			0.8914724, -1, 1, 94.5736214, 1, 1, 1}, // d=4: 1 − 0.11·tanh(2.5) = 1 − 0.11·0.9866143
		{"false_positive_three_widths_after", Standard, []int{10, 26}, w1,
			0.8900001, -1, 1, 94.5000034, 1, 1, 1}, // d=12, x=3 (not clamped): 1 − 0.11·tanh(7.5) = 1 − 0.11·0.9999994
		{"false_positive_far_after_window", Standard, []int{10, 39}, w1,
			0.89, -1, 1, 94.5, 1, 1, 1}, // d=25, x=6.25 > 3: 1 − 0.11
		{"probation_rows_not_scored", Standard, []int{0, 3, 5}, w1,
			-1, -1, 1, 0, 1, 0, 0}, // rows 0–5 dropped; the window is missed: −1
		{"first_row_after_probation_scored", Standard, []int{6}, w1,
			-1.11, -1, 1, -5.5, 1, 0, 1}, // −A_fn − A_fp; 100·(−1.11+1)/2
		{"window_inside_probation", Standard, []int{1}, []Window{win(1, 4)},
			0, 0, 1, 0, 0, 0, 0}, // no scorable row in it: not rewarded, not missed; Null 0, Perfect still counts it
		{"false_positive_after_probation_window", Standard, []int{8}, []Window{win(1, 4)},
			-0.1097204, 0, 1, -10.9720376, 0, 0, 1}, // W=4, d=4: −0.11·tanh(2.5·4/3) = −0.11·0.9974580; 100·(−0.1097204−0)/(1−0)
		{"window_straddling_probation", Standard, []int{6}, []Window{win(3, 8)},
			0.8597926, -1, 1, 92.9896283, 1, 1, 0}, // W=6, pos −3/6 from the true start: tanh(1.25)/tanh(2.5) = 0.8482836/0.9866143
		{"straddling_window_detected_in_probation_only", Standard, []int{3}, []Window{win(3, 8)},
			-1, -1, 1, 0, 1, 0, 0}, // row 3 is not scored; rows 6–8 are, so the window is missed
		{"two_windows", Standard, []int{10, 20, 27}, []Window{win(10, 14), win(25, 29)},
			1.8075503, -2, 2, 95.1887573, 2, 2, 1}, // 1 − 0.11·tanh(2.5·6/4) + tanh(1.5)/tanh(2.5) = 1 − 0.1098784 + 0.9174287; 100·3.8075503/4
		{"second_window_missed", Standard, []int{10}, []Window{win(10, 14), win(25, 29)},
			0, -2, 2, 50, 2, 1, 0}, // 1 − 1; 100·2/4
		{"low_fp_false_positive_before_window", LowFP, []int{7, 10}, w1,
			0.78, -1, 1, 89, 1, 1, 1}, // 1 − 0.22; 100·1.78/2
		{"low_fp_false_positive_just_after_window", LowFP, []int{10, 15}, w1,
			0.8779881, -1, 1, 93.8994031, 1, 1, 1}, // 1 − 0.22·0.5546003
		{"low_fp_missed_window", LowFP, nil, w1,
			-1, -1, 1, 0, 1, 0, 0}, // A_fn is still 1
		{"low_fn_missed_window", LowFN, nil, w1,
			-2, -2, 1, 0, 1, 0, 0}, // −A_fn = −2
		{"low_fn_later_detection", LowFN, []int{12}, w1,
			0.9174287, -2, 1, 97.2476227, 1, 1, 0}, // w(12); 100·(0.9174287+2)/(1+2)
		{"low_fn_false_positive_and_miss", LowFN, []int{7}, w1,
			-2.11, -2, 1, -3.6666667, 1, 0, 1}, // −2 − 0.11; 100·(−0.11)/3
		{"standard_false_positive_and_miss", Standard, []int{7}, w1,
			-1.11, -1, 1, -5.5, 1, 0, 1}, // −1 − 0.11; 100·(−0.11)/2
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ScoreAt([]Output{synthetic("s.csv", 40, hits(tc.hits...), tc.windows...)}, tc.profile, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			want := Result{
				Profile: tc.profile, Threshold: 0.5,
				Score: tc.score, Null: tc.null, Perfect: tc.perfect, Normalized: tc.norm,
				Files: []FileResult{{Name: "s.csv", Score: tc.score, Windows: tc.scored, Detected: tc.detected, FalsePositives: tc.fps}},
			}
			if diff := cmp.Diff(want, got, approx); diff != "" {
				t.Errorf("ScoreAt (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScoreAtThresholdIsInclusive: a row is a detection when its score is at least the
// threshold.
func TestScoreAtThresholdIsInclusive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		score float64
		want  float64
	}{
		{"equal_to_threshold", 0.5, 1}, // detected at the window start: A_tp
		{"just_below", 0.4999999, -1},  // missed: −A_fn
		{"above_threshold", 0.75, 1},   // detected
		{"zero_never_detects", 0, -1},  // missed
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := synthetic("s.csv", 40, map[int]float64{10: tc.score}, win(10, 14))
			got, err := ScoreAt([]Output{o}, Standard, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			if got.Score != tc.want {
				t.Errorf("score %v at threshold 0.5: S = %v, want %v", tc.score, got.Score, tc.want)
			}
		})
	}
}

func TestScoreAtErrors(t *testing.T) {
	t.Parallel()
	short := synthetic("short.csv", 40, nil, win(10, 14))
	short.Scores = short.Scores[:39]
	tests := []struct {
		name string
		o    Output
		want string
	}{
		{"score_above_one", synthetic("a.csv", 40, map[int]float64{12: 1.5}, win(10, 14)), "a.csv: row 13: anomaly score 1.5 is not in [0, 1]"},
		{"negative_score_in_probation", synthetic("b.csv", 40, map[int]float64{2: -0.1}, win(10, 14)), "b.csv: row 3: anomaly score -0.1 is not in [0, 1]"},
		{"nan_score", synthetic("c.csv", 40, map[int]float64{20: math.NaN()}), "c.csv: row 21: anomaly score NaN is not in [0, 1]"},
		{"mismatched_lengths", short, "short.csv: 40 timestamps but 39 scores"},
		{"window_start_off_grid", synthetic("d.csv", 40, nil, Window{Start: at(10).Add(time.Minute), End: at(14)}), "d.csv: window 1 is not on the series' timestamps"},
		{"window_end_off_grid", synthetic("e.csv", 40, nil, win(10, 14), Window{Start: at(20), End: at(24).Add(time.Second)}), "e.csv: window 2 is not on the series' timestamps"},
		{"window_after_series", synthetic("f.csv", 40, nil, win(41, 45)), "f.csv: window 1 is not on the series' timestamps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ScoreAt([]Output{tc.o}, Standard, 0.5)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ScoreAt error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
