package app

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
)

// The monitor's scorer: a reading beyond the history is an anomaly with its reason; a
// peek judges without learning; the incident stays an anomaly while the detector rests.
func TestDetectorScorer(t *testing.T) {
	t.Parallel()
	s := newScorer(model.UnitSeconds)
	p, ok := s.(check.Peeker)
	if !ok {
		t.Fatal("the monitor's scorer must peek between points")
	}
	t0 := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	i := 0
	for ; i < 3*288; i++ { // three days of a latency at 5-minute steps: 200ms ± 20ms daily
		s.Observe(t0.Add(time.Duration(i)*5*time.Minute), 0.2+0.02*math.Sin(2*math.Pi*float64(i)/288))
	}
	at := t0.Add(time.Duration(i) * 5 * time.Minute)
	peek := p.Peek(at, 0.9)
	if peek.Value < anomalyThreshold || !strings.HasPrefix(peek.Why, "beyond the range of its last ") || !strings.Contains(peek.Why, "(180ms-220ms)") {
		t.Fatalf("peek at 900ms = %+v: want an anomaly beyond 180ms-220ms", peek)
	}
	if again := p.Peek(at, 0.9); again != peek {
		t.Errorf("a second peek = %+v, want the same %+v: peeking must not learn", again, peek)
	}
	first := s.Observe(at, 0.9)
	if first != peek {
		t.Errorf("learning the point scores %+v, the peek said %+v", first, peek)
	}
	// The detector rests after its alarm (one incident, one alarm); the monitor keeps
	// the incident's own evidence instead of a score held under the threshold.
	held := s.Observe(at.Add(5*time.Minute), 1.5)
	if held.Value < anomalyThreshold {
		t.Errorf("a second, further reading scores %+v: want the evidence kept while resting", held)
	}
	if calm := s.Observe(at.Add(10*time.Minute), 0.2); calm.Value >= anomalyThreshold {
		t.Errorf("a usual reading after the incident scores %+v", calm)
	}
}
