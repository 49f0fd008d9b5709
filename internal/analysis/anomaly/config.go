package anomaly

import (
	"fmt"
	"time"
)

// DefaultThreshold is the score from which the monitor reports an anomaly. It is the
// threshold NAB's corpus-wide sweep picks for DefaultConfig on the twelve AWS CloudWatch
// series (docs/decision-rules.md, "Anomaly detector"), and the one the detector itself
// uses to rest after an alarm. A score of 0.5 means evidence whose tail probability under
// the series' own recent behaviour is about 10^-2.5.
const DefaultThreshold = 0.5

// Config sizes the detector. Every field is in points of the series, except MaxGap.
// DefaultConfig is the one configuration used for every series; see
// docs/decision-rules.md for how each value was measured.
type Config struct {
	// RangePoints is the history over which the range [min, max] is kept: a value beyond
	// it by more than RangeTolerance of its width is an anomaly on its own (a new
	// extreme), and the range is cut into Bins levels for the predictive models.
	RangePoints    int
	RangeTolerance float64
	Bins           int
	// DaySlots divides the day (UTC) for the time-of-day model; 0 turns it off.
	DaySlots int
	// CountCap bounds each context's counts: past it they are halved, so the models forget
	// old behaviour at a steady pace and stay bounded. Smoothing is the pseudo-count of
	// every level.
	CountCap, Smoothing float64
	// ShortWindow and LongWindow are the two averages of surprise that are judged: a
	// burst, and a sustained change of behaviour.
	ShortWindow, LongWindow int
	// LikelihoodPoints is the history each average is judged against; every
	// LikelihoodStride-th average is kept (neighbouring averages share most points).
	LikelihoodPoints, LikelihoodStride int
	// TailQuantile is where the empirical distribution of an average gives way to a
	// fitted exponential tail; ScaleDecades maps the tail probability p to the score
	// −log10(p)/ScaleDecades, capped at 1.
	TailQuantile, ScaleDecades float64
	// WarmupPoints are scored 0 while the models learn.
	WarmupPoints int
	// Threshold is the score of an alarm; for RestPoints after one, the score stays just
	// under it (one incident, one alarm).
	Threshold  float64
	RestPoints int
	// MaxGap is the longest silence that keeps the sequence context: after a longer gap
	// the next point starts a new sequence.
	MaxGap time.Duration
}

// DefaultConfig returns the configuration used for every series.
func DefaultConfig() Config {
	return Config{
		RangePoints: 4032, RangeTolerance: 0.05, Bins: 16, DaySlots: 24,
		CountCap: 200, Smoothing: 0.1,
		ShortWindow: 10, LongWindow: 160,
		LikelihoodPoints: 3000, LikelihoodStride: 2,
		TailQuantile: 0.99, ScaleDecades: 5,
		WarmupPoints: 300, Threshold: DefaultThreshold, RestPoints: 120,
		MaxGap: time.Hour,
	}
}

// Validate reports the first field out of its domain.
func (c Config) Validate() error {
	switch {
	case c.RangePoints < 2:
		return fmt.Errorf("anomaly: RangePoints %d: want at least 2", c.RangePoints)
	case !(c.RangeTolerance >= 0): // NaN too
		return fmt.Errorf("anomaly: RangeTolerance %v: want at least 0", c.RangeTolerance)
	case c.Bins < 2 || c.Bins > 64:
		return fmt.Errorf("anomaly: Bins %d: want 2 to 64", c.Bins)
	case c.DaySlots < 0 || c.DaySlots > 1440:
		return fmt.Errorf("anomaly: DaySlots %d: want 0 to 1440", c.DaySlots)
	case !(c.CountCap >= 1) || !(c.Smoothing > 0 && c.Smoothing < c.CountCap): // NaN too
		// A Smoothing of CountCap or more makes the surprise scale (ln(CountCap/Smoothing))
		// zero or negative.
		return fmt.Errorf("anomaly: CountCap %v and Smoothing %v: want CountCap at least 1 and Smoothing above 0, below CountCap", c.CountCap, c.Smoothing)
	case c.ShortWindow < 1 || c.LongWindow < 1:
		return fmt.Errorf("anomaly: ShortWindow %d and LongWindow %d: want at least 1", c.ShortWindow, c.LongWindow)
	case c.LikelihoodPoints < 10 || c.LikelihoodStride < 1:
		return fmt.Errorf("anomaly: LikelihoodPoints %d and LikelihoodStride %d: want at least 10 and 1", c.LikelihoodPoints, c.LikelihoodStride)
	case !(c.TailQuantile > 0.5 && c.TailQuantile < 1):
		return fmt.Errorf("anomaly: TailQuantile %v: want between 0.5 and 1", c.TailQuantile)
	case !(c.ScaleDecades > 0): // NaN too
		return fmt.Errorf("anomaly: ScaleDecades %v: want above 0", c.ScaleDecades)
	case c.WarmupPoints < 0 || c.RestPoints < 0:
		return fmt.Errorf("anomaly: WarmupPoints %d and RestPoints %d: want at least 0", c.WarmupPoints, c.RestPoints)
	case !(c.Threshold > 0 && c.Threshold <= 1):
		return fmt.Errorf("anomaly: Threshold %v: want in (0, 1]", c.Threshold)
	case c.MaxGap < 0:
		return fmt.Errorf("anomaly: MaxGap %s: want at least 0", c.MaxGap)
	}
	return nil
}
