package nab

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2014, 2, 14, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"nab", "2014-02-14 14:30:00", want},
		{"nab_fractional_seconds", "2014-02-14 14:30:00.000000", want}, // as combined_windows.json writes them
		{"nab_half_second", "2014-02-14 14:30:00.5", want.Add(500 * time.Millisecond)},
		{"surrounding_spaces", "  2014-02-14 14:30:00 ", want},
		{"iso_without_zone_is_utc", "2014-02-14T14:30:00", want},
		{"rfc3339_utc", "2014-02-14T14:30:00Z", want},
		{"rfc3339_offset", "2014-02-14T15:30:00+01:00", want}, // 15:30 at +01:00 is 14:30 UTC
		{"rfc3339_nano", "2014-02-14T14:30:00.25Z", want.Add(250 * time.Millisecond)},
		// 2014-01-01 is 1388534400; + (31+13) days·86400 = 1392336000 (Feb 14 00:00);
		// + 14.5 h·3600 = 52200 → 1392388200.
		{"unix_seconds", "1392388200", want},
		{"unix_fractional", "1392388200.25", want.Add(250 * time.Millisecond)},
		{"unix_epoch", "0", time.Unix(0, 0).UTC()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTime(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("ParseTime(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"word", "yesterday"},
		{"day_first", "14/02/2014 14:30"},
		{"no_such_day", "2014-02-30 00:00:00"},
		{"negative_unix", "-1"},
		{"unix_milliseconds", "1392388200000"}, // ≥ 1e11: not seconds
		{"nan", "NaN"},
		{"inf", "Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTime(tc.in)
			if err == nil {
				t.Fatalf("ParseTime(%q) = %v, want an error", tc.in, got)
			}
			if !strings.Contains(err.Error(), "want YYYY-MM-DD hh:mm:ss, RFC 3339 or Unix seconds") {
				t.Errorf("ParseTime(%q) error %q does not say what is accepted", tc.in, err)
			}
		})
	}
}

func TestReadSeries(t *testing.T) {
	t.Parallel()
	p := func(i int, v float64) Point { return Point{Time: at(i), Value: v} }
	tests := []struct {
		name string
		in   string
		want []Point
	}{
		{"plain", "timestamp,value\n2014-02-14 00:00:00,1.5\n2014-02-14 00:05:00,2\n", []Point{p(0, 1.5), p(1, 2)}},
		{"bom", "\ufefftimestamp,value\n2014-02-14 00:00:00,1\n", []Point{p(0, 1)}},
		{"header_case_and_spaces", " Timestamp , VALUE \n2014-02-14 00:00:00,1\n", []Point{p(0, 1)}},
		{"extra_columns", "timestamp,value,label\n2014-02-14 00:00:00,1,0\n2014-02-14 00:05:00,2\n", []Point{p(0, 1), p(1, 2)}},
		{"crlf", "timestamp,value\r\n2014-02-14 00:00:00,1\r\n", []Point{p(0, 1)}},
		{"header_only", "timestamp,value\n", nil},
		{"equal_timestamps_allowed", "timestamp,value\n2014-02-14 00:00:00,1\n2014-02-14 00:00:00,2\n", []Point{p(0, 1), p(0, 2)}},
		{"mixed_timestamp_forms", "timestamp,value\n2014-02-14 00:00:00,1\n2014-02-14T00:05:00Z,2\n1392336600,3\n", []Point{p(0, 1), p(1, 2), p(2, 3)}}, // 1392336000 + 600 = 00:10
		{"value_forms", "timestamp,value\n2014-02-14 00:00:00, 2.5 \n2014-02-14 00:05:00,-1e3\n2014-02-14 00:10:00,+Inf\n", []Point{p(0, 2.5), p(1, -1000), p(2, math.Inf(1))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadSeries("x.csv", strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			want := Series{Name: "x.csv", Points: tc.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ReadSeries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadSeriesNaN: NaN is a value (the detector decides what it means), not an error.
func TestReadSeriesNaN(t *testing.T) {
	t.Parallel()
	s, err := ReadSeries("x.csv", strings.NewReader("timestamp,value\n2014-02-14 00:00:00,NaN\n2014-02-14 00:05:00,nan\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 2 || !math.IsNaN(s.Points[0].Value) || !math.IsNaN(s.Points[1].Value) {
		t.Errorf("got %v, want two NaN values", s.Points)
	}
}

func TestReadSeriesErrors(t *testing.T) {
	t.Parallel()
	const head = "timestamp,value\n"
	const ok = "2014-02-14 00:00:00,1\n"
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"empty_file", "", 1, "empty file"},
		{"wrong_header", "time,value\n" + ok, 1, `header "time,value": want`},
		{"swapped_header", "value,timestamp\n" + ok, 1, `header "value,timestamp"`},
		{"one_column_header", "timestamp\n" + ok, 1, `header "timestamp"`},
		{"no_header", ok, 1, `header "2014-02-14 00:00:00,1"`},
		{"short_row", head + ok + "2014-02-14 00:05:00\n", 3, "1 field(s): want timestamp,value"},
		{"bad_timestamp", head + "yesterday,1\n", 2, `timestamp "yesterday"`},
		{"backwards_time", head + "2014-02-14 00:05:00,1\n" + ok, 3, "timestamp 2014-02-14 00:00:00 is before the previous row's (2014-02-14 00:05:00)"},
		{"empty_value", head + ok + "2014-02-14 00:05:00, \n", 3, "empty value"},
		{"not_a_number", head + ok + "2014-02-14 00:05:00,1.2.3\n", 3, `value "1.2.3" is not a number`},
		{"bare_quote", head + ok + "2014-02-14 00:05:00,1\"2\n", 3, "bare"},
		{"blank_lines_keep_numbering", head + "\n" + ok + "\n" + "2014-02-14 00:05:00,x\n", 5, `value "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadSeries("x.csv", strings.NewReader(tc.in))
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *LineError", err)
			}
			if le.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q at line %d, want line %d containing %q", err, le.Line, tc.line, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("error %q does not start with its line", err)
			}
		})
	}
}

// TestReaderRows checks what Next returns besides the point: the raw fields (for Detect
// to echo) and the line, then io.EOF for good.
func TestReaderRows(t *testing.T) {
	t.Parallel()
	r, err := NewReader(strings.NewReader("timestamp,value,extra\n2014-02-14 00:00:00, 7 ,a\n\n1392336300,8\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	want := []Row{
		{Point: Point{Time: at(0), Value: 7}, Line: 2, RawTime: "2014-02-14 00:00:00", RawValue: " 7 "},
		{Point: Point{Time: at(1), Value: 8}, Line: 4, RawTime: "1392336300", RawValue: "8"}, // 1392336000 + 300
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next after the end: %v, want io.EOF", err)
	}
}
