package analysis

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// week is a week of a metric every step: 200 at night, 400 in the working day on
// weekdays, 250 all day at weekends, with ±5% noise, and an incident (a 10x spike for
// two hours) on Wednesday.
func week(step time.Duration, seed uint64, incident bool) []model.Point {
	r := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC) // a Monday
	var out []model.Point
	for t := start; t.Before(start.Add(7 * 24 * time.Hour)); t = t.Add(step) {
		v := 200.0
		switch {
		case weekendIndex(t) == 1:
			v = 250
		case t.Hour() >= 9 && t.Hour() < 18:
			v = 400
		}
		if incident && t.Weekday() == time.Wednesday && t.Hour() >= 10 && t.Hour() < 12 {
			v *= 10
		}
		out = append(out, model.Point{At: t, Value: v * (1 + 0.05*(2*r.Float64()-1))})
	}
	return out
}

func TestSeasonalBands(t *testing.T) {
	t.Parallel()
	s, ok := NewSeasonal(week(5*time.Minute, 1, true))
	clean, _ := NewSeasonal(week(5*time.Minute, 1, false))
	if !ok || s.Points() != 2016 {
		t.Fatalf("model from a week at 5m: ok %v, points %d", ok, s.Points())
	}
	tests := []struct {
		name       string
		at         time.Time
		wantMedian float64
		context    string
	}{
		{"weekday_working_hours", time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC), 400, "at this hour on weekdays"},
		{"weekday_night", time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC), 200, "at this hour on weekdays"},
		{"weekend", time.Date(2026, 11, 28, 10, 30, 0, 0, time.UTC), 250, "at this hour on weekends"},
	}
	for _, tt := range tests {
		b := s.Band(tt.at)
		if math.Abs(b.Median-tt.wantMedian) > tt.wantMedian*0.03 || b.Context != tt.context {
			t.Errorf("%s: band %+v, want a median near %g %s", tt.name, b, tt.wantMedian, tt.context)
		}
		// ±5% uniform noise: MAD 2.5%, so a band of about ±15%. The Wednesday incident (a
		// fifth of the 10:00-12:00 weekday bucket at ten times the value) widens it by at most
		// a quarter; a mean ± 4σ band would be several times wider.
		c := clean.Band(tt.at)
		if w := (b.High - b.Low) / b.Median; w < 0.25 || w > 0.4 || (b.High-b.Low)/(c.High-c.Low) > 1.3 {
			t.Errorf("%s: band %.0f-%.0f (%.0f%% wide), without the incident %.0f-%.0f", tt.name, b.Low, b.High, w*100, c.Low, c.High)
		}
		if b.Outside(">", b.Median*1.05) || !b.Outside(">", b.Median*1.5) || b.Outside(">", b.Median*0.5) || !b.Outside("<", b.Median*0.5) {
			t.Errorf("%s: Outside wrong around %+v", tt.name, b)
		}
	}
	text := s.Band(time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)).Explain(model.UnitSeconds, 0.412)
	if !strings.HasPrefix(text, "412ms; expected ") || !strings.Contains(text, " at this hour on weekdays, ") || !strings.HasSuffix(text, " over the last day") {
		t.Errorf("Explain = %q", text)
	}
}

// A metric whose level moved during the week is judged against where it is now too: a
// value usual for the last day is not outside, however far from the week's median.
func TestSeasonalRecentLevel(t *testing.T) {
	t.Parallel()
	end := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var pts []model.Point
	for at := end.Add(-7 * 24 * time.Hour); !at.After(end); at = at.Add(5 * time.Minute) {
		v := 100.0
		if end.Sub(at) < 24*time.Hour {
			v = 200 // a bigger client since yesterday
		}
		pts = append(pts, model.Point{At: at, Value: v + float64(at.Minute()%3)})
	}
	s, ok := NewSeasonal(pts)
	if !ok {
		t.Fatal("no model")
	}
	b := s.Band(end.Add(time.Minute))
	if !b.HasRecent || b.RecentLow > 200 || b.RecentHigh < 202 || b.High > 150 {
		t.Fatalf("band %+v: want the week's around 100 and the last day's around 200", b)
	}
	for _, tt := range []struct {
		v    float64
		want bool
	}{{101, false}, {201, false}, {260, true}} {
		if got := b.Outside(">", tt.v); got != tt.want {
			t.Errorf("Outside(>, %v) = %v, want %v (band %+v)", tt.v, got, tt.want, b)
		}
	}
	if got := b.Expected(model.UnitNone); !strings.HasSuffix(got, "over the last day") {
		t.Errorf("Expected = %q: want the last day's band stated", got)
	}
}

func TestSeasonalFallsBackWhenABucketIsThin(t *testing.T) {
	t.Parallel()
	// Two days of history at 30m: four points per weekday hour, too few alone; the hour
	// across all days has them too, so the whole history is the fallback.
	var pts []model.Point
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	for t := start; t.Before(start.Add(48 * time.Hour)); t = t.Add(30 * time.Minute) {
		pts = append(pts, model.Point{At: t, Value: 100 + float64(t.Hour())})
	}
	s, ok := NewSeasonal(pts)
	if !ok {
		t.Fatal("two days at 30m should make a model")
	}
	if b := s.Band(time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)); b.Context != "over the history" || b.Points != 96 {
		t.Errorf("band %+v, want the whole history", b)
	}
	if _, ok := NewSeasonal(pts[:20]); ok {
		t.Error("20 points made a model")
	}
	if _, ok := NewSeasonal([]model.Point{{At: start, Value: math.NaN()}}); ok {
		t.Error("NaN made a model")
	}
}
