package analysis

import (
	"fmt"
	"math"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Constants of the seasonal baseline. A band is median ± SeasonalWidth robust standard
// deviations (1.4826 × MAD estimates σ for normal data), and never narrower than
// SeasonalMinRelative of the median: a metric that was flat for a week is not anomalous
// for moving 1%.
const (
	SeasonalWidth       = 4.0
	SeasonalMinRelative = 0.10
	// seasonalMinPoints is the fewest points a bucket needs to stand on its own; a thinner
	// one falls back to the hour across all days, then to the whole history.
	seasonalMinPoints = 12
	// seasonalMinHistory is the least history that makes a band at all.
	seasonalMinHistory = 30
)

// Seasonal is a metric's expected value and spread by hour of the day, on weekdays and
// on weekends, learnt from its history with medians and MADs, so past incidents in the
// history do not widen the band the way a mean and a standard deviation would. Hours are
// UTC: the history and the live values are read on the same clock.
type Seasonal struct {
	byDay  [2][24]spread // [weekday=0 / weekend=1][hour]
	byHour [24]spread
	all    spread
	points int
}

// spread is the centre and the robust spread of a set of values.
type spread struct {
	median, mad float64
	n           int
}

// SeasonalBand is what a metric is expected to be at a moment.
type SeasonalBand struct {
	Low, High, Median float64
	// Context names what the band was learnt from: "at this hour on weekdays", "at this
	// hour", "over the history".
	Context string
	// Points is how many historical values the band stands on.
	Points int
}

// NewSeasonal learns the model from history. It reports false when the history is too
// short to say anything (fewer than 30 finite points).
func NewSeasonal(history []model.Point) (Seasonal, bool) {
	var byDay [2][24][]float64
	var byHour [24][]float64
	var all []float64
	for _, p := range history {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			continue
		}
		t := p.At.UTC()
		day, hour := weekendIndex(t), t.Hour()
		byDay[day][hour] = append(byDay[day][hour], p.Value)
		byHour[hour] = append(byHour[hour], p.Value)
		all = append(all, p.Value)
	}
	var s Seasonal
	if len(all) < seasonalMinHistory {
		return s, false
	}
	s.points = len(all)
	s.all = spreadOf(all)
	for h := range 24 {
		s.byHour[h] = spreadOf(byHour[h])
		for d := range 2 {
			s.byDay[d][h] = spreadOf(byDay[d][h])
		}
	}
	return s, true
}

// Band is the expected range at t: the most specific bucket with enough history.
func (s Seasonal) Band(t time.Time) SeasonalBand {
	t = t.UTC()
	day, hour := weekendIndex(t), t.Hour()
	sp, ctx := s.all, "over the history"
	switch {
	case s.byDay[day][hour].n >= seasonalMinPoints:
		sp, ctx = s.byDay[day][hour], "at this hour on "+[]string{"weekdays", "weekends"}[day]
	case s.byHour[hour].n >= seasonalMinPoints:
		sp, ctx = s.byHour[hour], "at this hour"
	}
	half := math.Max(SeasonalWidth*1.4826*sp.mad, SeasonalMinRelative*math.Abs(sp.median))
	return SeasonalBand{Low: sp.median - half, High: sp.median + half, Median: sp.median, Context: ctx, Points: sp.n}
}

// Points is how much history the model learnt from.
func (s Seasonal) Points() int { return s.points }

// Outside reports whether v is outside the band on the side that is bad under op (">"
// means a high value is bad, "<" a low one; anything else, both sides).
func (b SeasonalBand) Outside(op string, v float64) bool {
	switch op {
	case ">", ">=":
		return v > b.High
	case "<", "<=":
		return v < b.Low
	}
	return v > b.High || v < b.Low
}

// Explain states the band: "412ms; expected 180ms-260ms at this hour on weekdays".
func (b SeasonalBand) Explain(u model.Unit, v float64) string {
	return fmt.Sprintf("%s; expected %s-%s %s", u.Format(v), u.Format(math.Max(b.Low, 0)), u.Format(b.High), b.Context)
}

func weekendIndex(t time.Time) int {
	if d := t.Weekday(); d == time.Saturday || d == time.Sunday {
		return 1
	}
	return 0
}

func spreadOf(values []float64) spread {
	if len(values) == 0 {
		return spread{}
	}
	m := medianOf(values)
	dev := make([]float64, len(values))
	for i, v := range values {
		dev[i] = math.Abs(v - m)
	}
	return spread{median: m, mad: medianOf(dev), n: len(values)}
}
