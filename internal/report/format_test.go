package report

import (
	"math"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"sub_microsecond_shows_one", 400 * time.Nanosecond, "1µs"},
		{"microseconds", 350 * time.Microsecond, "350µs"},
		{"microseconds_rounding_to_a_millisecond", 999700 * time.Nanosecond, "1ms"},
		{"milliseconds", 850 * time.Millisecond, "850ms"},
		{"milliseconds_rounded", 12*time.Millisecond + 600*time.Microsecond, "13ms"},
		{"milliseconds_rounding_to_a_second", 999600 * time.Microsecond, "1s"},
		{"seconds_with_a_tenth", 1500 * time.Millisecond, "1.5s"},
		{"seconds_tenth_rounded_away", 1040 * time.Millisecond, "1s"},
		{"nearly_ten_seconds", 9960 * time.Millisecond, "10s"},
		{"seconds", 12 * time.Second, "12s"},
		{"seconds_rounded", 12400 * time.Millisecond, "12s"},
		{"nearly_a_minute", 59600 * time.Millisecond, "1m"},
		{"minutes_and_seconds", 90 * time.Second, "1m30s"},
		{"whole_minutes", 5 * time.Minute, "5m"},
		{"minutes_seconds_from_fraction", 5*time.Minute + 29500*time.Millisecond, "5m30s"},
		{"whole_hour", time.Hour, "1h"},
		{"hour_and_seconds", time.Hour + 30*time.Second, "1h30s"},
		{"hours_minutes_seconds", 3723 * time.Second, "1h2m3s"},
		{"negative", -2 * time.Second, "-2s"},
		{"most_negative", math.MinInt64, "-2562047h47m16s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := FormatDuration(tc.in); got != tc.want {
				t.Errorf("FormatDuration(%d) = %q, want %q", int64(tc.in), got, tc.want)
			}
		})
	}
}

func TestJSONNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		got    float64
		wanted float64
	}{
		{"millis_one_decimal", millis(14*time.Millisecond + 260*time.Microsecond), 14.3},
		{"millis_whole", millis(12 * time.Millisecond), 12},
		{"millis_sub_tenth", millis(40 * time.Microsecond), 0},
		{"millis_half_rounds_up", millis(8*time.Millisecond + 450*time.Microsecond), 8.5},
		{"seconds_three_decimals", seconds(1234500 * time.Microsecond), 1.235},
		{"seconds_whole", seconds(41 * time.Second), 41},
		{"seconds_quarter", seconds(41250 * time.Millisecond), 41.25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.wanted {
				t.Errorf("got %v, want %v", tc.got, tc.wanted)
			}
		})
	}
}

func TestVersionLabel(t *testing.T) {
	t.Parallel()
	const sha = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"
	tests := []struct {
		name, expected, deployed, want string
	}{
		{"commit", sha, sha, "3f9c2ab"},
		{"short_expected_commit", "3f9c2ab", sha, "3f9c2ab"},
		{"upper_case_expected", "3F9C2AB41D0E", sha, "3f9c2ab"},
		{"tag", "v2.3.1", sha, "v2.3.1"},
		{"no_commit_known", "v2.3.1", "", "v2.3.1"},
		{"nothing_known", "", "", ""},
		{"only_the_commit", "", sha, "3f9c2ab"},
	}
	for _, tt := range tests {
		r := model.Report{ExpectedVersion: tt.expected, Run: model.RunContext{SHA: tt.deployed}}
		if got := VersionLabel(r); got != tt.want {
			t.Errorf("%s: VersionLabel = %q, want %q", tt.name, got, tt.want)
		}
	}
}
