package nab

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// observed is what a detector was shown.
type observed struct {
	T time.Time
	V float64
}

// recorder is a detector scoring each row by its position (0, 0.25, 0.5, …) and recording
// what it was shown.
func recorder(seen *[]observed) func(time.Time, float64) float64 {
	return func(t time.Time, v float64) float64 {
		*seen = append(*seen, observed{t, v})
		return float64(len(*seen)-1) * 0.25
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		out  string
		seen []observed
	}{
		{
			name: "echoes_raw_fields",
			in:   "timestamp,value\n2014-02-14 00:00:00,1e3\n2014-02-14T00:05:00Z, 2.50 \n1392336600,NaN\n",
			// Raw timestamp and (trimmed) raw value echoed; scores 0, 0.25, 0.5.
			out:  "timestamp,value,anomaly_score\n2014-02-14 00:00:00,1e3,0\n2014-02-14T00:05:00Z,2.50,0.25\n1392336600,NaN,0.5\n",
			seen: []observed{{at(0), 1000}, {at(1), 2.5}, {at(2), math.NaN()}},
		},
		{
			name: "extra_input_columns_dropped",
			in:   "timestamp,value,label\n2014-02-14 00:00:00,4,1\n",
			out:  "timestamp,value,anomaly_score\n2014-02-14 00:00:00,4,0\n",
			seen: []observed{{at(0), 4}},
		},
		{
			name: "header_only",
			in:   "timestamp,value\n",
			out:  "timestamp,value,anomaly_score\n",
		},
	}
	nanEqual := cmp.Comparer(func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			var seen []observed
			n, err := Detect(strings.NewReader(tc.in), &out, recorder(&seen))
			if err != nil {
				t.Fatal(err)
			}
			if n != len(tc.seen) {
				t.Errorf("Detect wrote %d rows, want %d", n, len(tc.seen))
			}
			if diff := cmp.Diff(tc.out, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.seen, seen, nanEqual); diff != "" {
				t.Errorf("detector saw (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDetectStopsAtBadRow: Detect stops at the first bad row with its *LineError, never
// shows the detector a row after it, and the rows before it are in the output, as many
// as it reports.
func TestDetectStopsAtBadRow(t *testing.T) {
	t.Parallel()
	const head = "timestamp,value\n"
	const two = "2014-02-14 00:00:00,1\n2014-02-14 00:05:00,2\n"
	tests := []struct {
		name string
		in   string
		n    int
		line int
		out  string
	}{
		{"bad_header", "time,value\n" + two, 0, 1, ""},
		{"bad_first_row", head + "x,1\n" + two, 0, 2, "timestamp,value,anomaly_score\n"},
		{"bad_third_row", head + two + "2014-02-14 00:10:00,oops\n2014-02-14 00:15:00,4\n", 2, 4,
			"timestamp,value,anomaly_score\n2014-02-14 00:00:00,1,0\n2014-02-14 00:05:00,2,0.25\n"},
		{"backwards_third_row", head + two + "2014-02-14 00:00:00,3\n", 2, 4,
			"timestamp,value,anomaly_score\n2014-02-14 00:00:00,1,0\n2014-02-14 00:05:00,2,0.25\n"},
	}
	// More rows than csv.Writer buffers (4 KiB): without a flush on error the output
	// would end in the middle of a row.
	var long, longOut strings.Builder
	long.WriteString(head)
	longOut.WriteString("timestamp,value,anomaly_score\n")
	for i := range 300 {
		ts := at(i).Format(time.DateTime)
		long.WriteString(ts + ",1\n")
		longOut.WriteString(ts + ",1," + strconv.FormatFloat(float64(i)*0.25, 'f', -1, 64) + "\n")
	}
	long.WriteString(at(300).Format(time.DateTime) + ",\n") // line 1 + 300 + 1 = 302
	tests = append(tests, struct {
		name string
		in   string
		n    int
		line int
		out  string
	}{"bad_row_after_a_buffer_full", long.String(), 300, 302, longOut.String()})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			var seen []observed
			n, err := Detect(strings.NewReader(tc.in), &out, recorder(&seen))
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *LineError", err)
			}
			if le.Line != tc.line {
				t.Errorf("error %q at line %d, want %d", err, le.Line, tc.line)
			}
			if n != tc.n || len(seen) != tc.n {
				t.Errorf("wrote %d rows and observed %d, want %d", n, len(seen), tc.n)
			}
			if diff := cmp.Diff(tc.out, out.String()); diff != "" {
				t.Errorf("output before the bad row (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDetectReadScoresRoundTrip reads Detect's output back.
func TestDetectReadScoresRoundTrip(t *testing.T) {
	t.Parallel()
	in := "timestamp,value\n2014-02-14 00:00:00,5\n2014-02-14 00:05:00,6\n2014-02-14 00:10:00,7\n"
	var out strings.Builder
	if _, err := Detect(strings.NewReader(in), &out, func(_ time.Time, v float64) float64 { return (v - 5) / 4 }); err != nil {
		t.Fatal(err)
	}
	times, scores, err := ReadScores(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Time{at(0), at(1), at(2)}, times); diff != "" {
		t.Errorf("times (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{0, 0.25, 0.5}, scores); diff != "" { // (5−5)/4, (6−5)/4, (7−5)/4
		t.Errorf("scores (-want +got):\n%s", diff)
	}
}

func TestReadScores(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		times  []time.Time
		scores []float64
	}{
		{"detect_format", "timestamp,value,anomaly_score\n2014-02-14 00:00:00,1,0.5\n", []time.Time{at(0)}, []float64{0.5}},
		{"nab_results_format", "timestamp,value,anomaly_score,raw_score,label,S(t)_standard\n" +
			"2014-02-14 00:00:00,1,0.1,0.3,0,0\n2014-02-14 00:05:00,2,0.9,0.8,1,0.5\n", []time.Time{at(0), at(1)}, []float64{0.1, 0.9}},
		{"columns_reordered", "anomaly_score,timestamp\n 0.75 ,2014-02-14 00:00:00\n", []time.Time{at(0)}, []float64{0.75}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			times, scores, err := ReadScores(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.times, times); diff != "" {
				t.Errorf("times (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.scores, scores); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadScoresErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"empty", "", 1, "header"},
		{"missing_score_column", "timestamp,value\n2014-02-14 00:00:00,1\n", 1, "want timestamp and anomaly_score columns"},
		{"missing_timestamp_column", "time,anomaly_score\n2014-02-14 00:00:00,1\n", 1, "want timestamp and anomaly_score columns"},
		{"short_row", "timestamp,value,anomaly_score\n2014-02-14 00:00:00,1,0\n2014-02-14 00:05:00,1\n", 3, "2 field(s)"},
		{"bad_timestamp", "timestamp,value,anomaly_score\nnever,1,0\n", 2, `timestamp "never"`},
		{"bad_score", "timestamp,value,anomaly_score\n2014-02-14 00:00:00,1,high\n", 2, `anomaly score "high" is not a number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ReadScores(strings.NewReader(tc.in))
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *LineError", err)
			}
			if le.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q at line %d, want line %d containing %q", err, le.Line, tc.line, tc.msg)
			}
		})
	}
}
