package check

import (
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// daily is a week of history every step up to end: 0.2s at night, 0.4s from 09:00 to
// 18:00, a little noise.
func daily(end time.Time, step time.Duration) []source.Point {
	var out []source.Point
	i := 0
	for t := end.Add(-7 * 24 * time.Hour); !t.After(end); t = t.Add(step) {
		v := 0.2
		if h := t.UTC().Hour(); h >= 9 && h < 18 {
			v = 0.4
		}
		out = append(out, source.Point{T: t, V: v * (1 + 0.02*math.Sin(float64(i)))})
		i++
	}
	return out
}

// constScorer scores every point the same, and counts what it learnt and peeked at.
type constScorer struct {
	score       float64
	seen, peeks int
}

func (s *constScorer) Observe(time.Time, float64) Score {
	s.seen++
	return Score{Value: s.score, Why: "a burst unlike the last 7 days"}
}

func (s *constScorer) Peek(time.Time, float64) Score {
	s.peeks++
	return Score{Value: s.score, Why: "a burst unlike the last 7 days"}
}

func TestHistoryCheck(t *testing.T) {
	tests := []struct {
		name      string
		now       float64
		score     float64
		wantBreak bool
		wantMsg   string
	}{
		{name: "usual_value", now: 0.21, wantMsg: "210ms, within 180ms-220ms at this hour on weekends, 164.8ms-241.6ms over the last day"},
		{name: "above_its_band", now: 0.41, wantBreak: true, wantMsg: "410ms; expected 180ms-220ms at this hour on weekends, 164.8ms-241.6ms over the last day"},
		{name: "below_is_fine_when_high_is_bad", now: 0.05},
		{name: "anomalous_within_the_band", now: 0.215, score: 0.99, wantBreak: true,
			wantMsg: "215ms is unusual for this series: anomaly score 0.99, a burst unlike the last 7 days (expected 180ms-220ms at this hour on weekends, 164.8ms-241.6ms over the last day)"},
		{name: "anomalous_and_outside", now: 0.5, score: 0.99, wantBreak: true,
			wantMsg: "500ms; expected 180ms-220ms at this hour on weekends, 164.8ms-241.6ms over the last day; anomaly score 0.99: a burst unlike the last 7 days"},
		// The detector sees both sides; a latency lower than usual is not a regression.
		{name: "anomalous_on_the_good_side", now: 0.19, score: 0.99, wantMsg: "190ms, within 180ms-220ms at this hour on weekends, 164.8ms-241.6ms over the last day"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// The bubble's clock starts at 2000-01-01 00:00 UTC, a Saturday night.
				start := time.Now()
				scorer := &constScorer{score: tt.score}
				q := &scriptedQuerier{
					instant: map[string]func(time.Time) ([]source.Sample, error){"p99": value(tt.now)},
					ranges: map[string]func(time.Time, time.Time) ([]source.Series, error){"p99": func(s, e time.Time) ([]source.Series, error) {
						return []source.Series{{Points: daily(e, 5*time.Minute)}}, nil
					}},
				}
				c := NewHistory(HistoryConfig{Spec: model.CheckSpec{Name: "p99 latency history"}, Querier: q, Query: "p99", Op: ">",
					Unit: model.UnitSeconds, Start: start, Window: 7 * 24 * time.Hour, Step: 5 * time.Minute, Scorer: scorer, Threshold: 0.9})
				if err := c.Prepare(t.Context()); err != nil {
					t.Fatal(err)
				}
				if scorer.seen != 2017 {
					t.Errorf("the detector was warmed with %d points, want the week's 2017", scorer.seen)
				}
				time.Sleep(10 * time.Second)
				m := c.Run(t.Context())
				if m.Breach != tt.wantBreak || tt.wantMsg != "" && m.Message != tt.wantMsg {
					t.Errorf("breach %v message %q, want %v %q", m.Breach, m.Message, tt.wantBreak, tt.wantMsg)
				}
				// The detector learns live points at the history's pace, and peeks between.
				time.Sleep(10 * time.Second)
				c.Run(t.Context())
				if scorer.seen != 2017 || scorer.peeks != 2 {
					t.Errorf("in 20s the detector learnt %d live points and peeked at %d, want 0 and 2", scorer.seen-2017, scorer.peeks)
				}
				time.Sleep(5 * time.Minute)
				c.Run(t.Context())
				if scorer.seen != 2018 || scorer.peeks != 2 {
					t.Errorf("after 5m the detector learnt %d live points, want 1 (every 5m)", scorer.seen-2017)
				}
			})
		})
	}
}

func TestHistoryCheckNeedsHistory(t *testing.T) {
	t.Parallel()
	short := &scriptedQuerier{ranges: map[string]func(time.Time, time.Time) ([]source.Series, error){"q": func(s, e time.Time) ([]source.Series, error) {
		return []source.Series{{Points: daily(e, 5*time.Minute)[:10]}}, nil
	}}}
	empty := &scriptedQuerier{ranges: map[string]func(time.Time, time.Time) ([]source.Series, error){"q": func(time.Time, time.Time) ([]source.Series, error) {
		return nil, source.ErrNoData
	}}}
	two := &scriptedQuerier{ranges: map[string]func(time.Time, time.Time) ([]source.Series, error){"q": func(s, e time.Time) ([]source.Series, error) {
		return []source.Series{{}, {}}, nil
	}}}
	for name, tc := range map[string]struct {
		q          *scriptedQuerier
		noBaseline bool
		msg        string
	}{
		"too_short":  {short, true, "45m0s of history, and the bands need 24h0m0s"},
		"none":       {empty, true, "no history of q"},
		"two_series": {two, false, "aggregate it to one"},
	} {
		c := NewHistory(HistoryConfig{Querier: tc.q, Query: "q", Start: time.Now(), Window: 7 * 24 * time.Hour})
		err := c.Prepare(t.Context())
		if err == nil || errors.Is(err, ErrNoBaseline) != tc.noBaseline || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: Prepare = %v", name, err)
		}
	}
	if HistoryStep(7*24*time.Hour) != time.Minute || HistoryStep(30*24*time.Hour) != 259*time.Second {
		t.Errorf("HistoryStep: %s for a week, %s for 30 days", HistoryStep(7*24*time.Hour), HistoryStep(30*24*time.Hour))
	}
}

func TestTrendCheck(t *testing.T) {
	tests := []struct {
		name         string
		perMinute    float64
		end          time.Duration
		wantBreach   bool
		wantSeverity model.Severity
	}{
		{name: "flat", perMinute: 0},
		{name: "creeping_up_beyond_the_run", perMinute: 0.01, end: 5 * time.Minute, wantBreach: true},
		{name: "reaching_the_limit_inside_the_cool_down", perMinute: 0.01, end: time.Hour, wantBreach: true, wantSeverity: model.SeverityCritical},
		{name: "too_slow_to_matter", perMinute: 0.0002, end: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				q := &scriptedQuerier{instant: map[string]func(time.Time) ([]source.Sample, error){"mem": func(at time.Time) ([]source.Sample, error) {
					m := at.Sub(start).Minutes()
					return []source.Sample{{Value: 0.6 + tt.perMinute*m + 0.002*math.Sin(m*7)}}, nil
				}}}
				c := NewTrend(TrendConfig{End: start.Add(tt.end), Query: QueryConfig{
					Spec: model.CheckSpec{Name: "memory trend"}, Querier: q, Query: "mem", Op: ">", Threshold: 0.95, Unit: model.UnitRatio,
				}})
				var m model.Measurement
				for range 60 { // ten minutes, a round every 10s
					m = c.Run(t.Context())
					if m.Breach {
						break
					}
					time.Sleep(10 * time.Second)
				}
				if m.Breach != tt.wantBreach || m.Severity != tt.wantSeverity {
					t.Errorf("breach %v severity %v, want %v %v: %s", m.Breach, m.Severity, tt.wantBreach, tt.wantSeverity, m.Message)
				}
				if tt.wantBreach && !strings.Contains(m.Message, "reaches its limit 95% in ~") {
					t.Errorf("message %q", m.Message)
				}
				t.Log(m.Message)
			})
		})
	}
}
