package app

import (
	"fmt"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis/anomaly"
	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
)

// anomalyThreshold is the detector's score of an anomaly: the threshold NAB's corpus-wide
// sweep picks for its one configuration (docs/decision-rules.md, "Anomaly detector").
const anomalyThreshold = anomaly.DefaultThreshold

// detectorScorer adapts the streaming detector to a history check: the score, and the
// reason in the words of a finding.
type detectorScorer struct {
	d    *anomaly.Detector
	unit model.Unit
	cfg  anomaly.Config
	n    int // points learnt
}

// newScorer returns the anomaly detector for one metric, in the unit its values are in.
func newScorer(u model.Unit) check.Scorer {
	cfg := anomaly.DefaultConfig()
	return &detectorScorer{d: anomaly.New(cfg), unit: u, cfg: cfg}
}

// Observe scores one point. While the detector rests after an alarm (it reports an
// incident once) the incident goes on, so the monitor keeps the evidence's own score.
func (s *detectorScorer) Observe(at time.Time, v float64) check.Score {
	sc := s.d.Observe(at, v)
	if sc.Reason != anomaly.ReasonInvalid && sc.Reason != anomaly.ReasonOutOfOrder {
		s.n++
	}
	value := sc.Value
	if sc.Resting {
		value = sc.Evidence
	}
	return check.Score{Value: value, Why: s.why(sc)}
}

// Peek scores one point without learning it, on a copy of the detector (86 KB).
func (s *detectorScorer) Peek(at time.Time, v float64) check.Score {
	c := *s
	c.d = s.d.Clone()
	return c.Observe(at, v)
}

// why explains a score: what kind of evidence, over how much history.
func (s *detectorScorer) why(sc anomaly.Score) string {
	f := s.unit.Format
	switch sc.Reason {
	case anomaly.ReasonExtreme:
		return fmt.Sprintf("beyond the range of its last %d points (%s-%s)", min(s.n-1, s.cfg.RangePoints), f(sc.Prior.Low), f(sc.Prior.High))
	case anomaly.ReasonBurst, anomaly.ReasonShift:
		kind := "a burst of unusual values"
		if sc.Reason == anomaly.ReasonShift {
			kind = "a sustained change of behaviour"
		}
		return fmt.Sprintf("%s over its last %d points, seen with probability %.1g in its last %d (expected %s-%s)",
			kind, sc.Window, sc.TailProbability, sc.History, f(sc.Expected.Low), f(sc.Expected.High))
	}
	return sc.Reason.String()
}
