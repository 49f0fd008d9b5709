package anomaly

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	t.Parallel()
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v, want nil", err)
	}
	if got := DefaultConfig().Threshold; got != DefaultThreshold {
		t.Errorf("DefaultConfig().Threshold = %v, want DefaultThreshold %v", got, DefaultThreshold)
	}
}

// TestValidate rejects each field out of its domain, in a message naming the field; New
// panics with the same error.
func TestValidate(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"range_points_below_2", func(c *Config) { c.RangePoints = 1 }, "RangePoints"},
		{"range_tolerance_negative", func(c *Config) { c.RangeTolerance = -0.01 }, "RangeTolerance"},
		{"range_tolerance_nan", func(c *Config) { c.RangeTolerance = nan }, "RangeTolerance"},
		{"bins_below_2", func(c *Config) { c.Bins = 1 }, "Bins"},
		{"bins_above_64", func(c *Config) { c.Bins = 65 }, "Bins"},
		{"day_slots_negative", func(c *Config) { c.DaySlots = -1 }, "DaySlots"},
		{"day_slots_above_1440", func(c *Config) { c.DaySlots = 1441 }, "DaySlots"},
		{"count_cap_below_1", func(c *Config) { c.CountCap = 0.5 }, "CountCap"},
		{"count_cap_nan", func(c *Config) { c.CountCap = nan }, "CountCap"},
		{"smoothing_zero", func(c *Config) { c.Smoothing = 0 }, "Smoothing"},
		{"smoothing_nan", func(c *Config) { c.Smoothing = nan }, "Smoothing"},
		{"smoothing_infinite", func(c *Config) { c.Smoothing = inf }, "Smoothing"},
		{"smoothing_not_below_count_cap", func(c *Config) { c.Smoothing = c.CountCap }, "Smoothing"},
		{"short_window_zero", func(c *Config) { c.ShortWindow = 0 }, "ShortWindow"},
		{"long_window_zero", func(c *Config) { c.LongWindow = 0 }, "LongWindow"},
		{"likelihood_points_below_10", func(c *Config) { c.LikelihoodPoints = 9 }, "LikelihoodPoints"},
		{"likelihood_stride_zero", func(c *Config) { c.LikelihoodStride = 0 }, "LikelihoodStride"},
		{"tail_quantile_half", func(c *Config) { c.TailQuantile = 0.5 }, "TailQuantile"},
		{"tail_quantile_one", func(c *Config) { c.TailQuantile = 1 }, "TailQuantile"},
		{"tail_quantile_nan", func(c *Config) { c.TailQuantile = nan }, "TailQuantile"},
		{"scale_decades_zero", func(c *Config) { c.ScaleDecades = 0 }, "ScaleDecades"},
		{"scale_decades_nan", func(c *Config) { c.ScaleDecades = nan }, "ScaleDecades"},
		{"warmup_negative", func(c *Config) { c.WarmupPoints = -1 }, "WarmupPoints"},
		{"rest_negative", func(c *Config) { c.RestPoints = -1 }, "RestPoints"},
		{"threshold_zero", func(c *Config) { c.Threshold = 0 }, "Threshold"},
		{"threshold_above_1", func(c *Config) { c.Threshold = 1.01 }, "Threshold"},
		{"threshold_nan", func(c *Config) { c.Threshold = nan }, "Threshold"},
		{"max_gap_negative", func(c *Config) { c.MaxGap = -time.Second }, "MaxGap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %s", tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Validate() = %q, want it to name %s", err, tc.field)
			}
			defer func() {
				r := recover()
				if e, ok := r.(error); !ok || e.Error() != err.Error() {
					t.Errorf("New panicked with %v, want %q", r, err)
				}
			}()
			New(cfg)
		})
	}
}

// TestValidEdges accepts the edges of each domain, and New builds a working detector.
func TestValidEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"smallest", func(c *Config) {
			*c = Config{RangePoints: 2, Bins: 2, CountCap: 1, Smoothing: 0.5, ShortWindow: 1, LongWindow: 1,
				LikelihoodPoints: 10, LikelihoodStride: 1, TailQuantile: 0.51, ScaleDecades: 0.1, Threshold: 1}
		}},
		{"largest_grid", func(c *Config) { c.Bins, c.DaySlots = 64, 1440 }},
		{"no_clock_model", func(c *Config) { c.DaySlots = 0 }},
		{"odd_day_slots", func(c *Config) { c.DaySlots = 7 }},
		{"no_gap_limit", func(c *Config) { c.MaxGap = 0 }},
		{"stride_beyond_points", func(c *Config) { c.LikelihoodStride = 2 * c.LikelihoodPoints }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			tc.edit(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			d := New(cfg)
			vs := dailySeries(6, 1500, sigma)
			for i, v := range vs {
				// Every point lands on the last nanosecond of a 5-minute step: the end of
				// a day slot when the slots do not divide the day evenly.
				ts := at(i + 1).Add(-time.Nanosecond)
				checkScore(t, i, v, d.Observe(ts, v))
			}
		})
	}
}
