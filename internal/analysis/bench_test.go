package analysis

import (
	"testing"

	"github.com/deploywatch/deploywatch/internal/model"
)

func BenchmarkObserve(b *testing.B) {
	e := New([]model.CheckSpec{spec()}, Rules{FailOn: model.SeverityCritical})
	kinds := []string{"p", "p", "c", "p", "x", "p"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := e.Observe(measurement(i, kinds[i%len(kinds)]), model.PhaseMonitor); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkChecksSnapshot is the cost of the status snapshot every event carries, with a
// full latency ring.
func BenchmarkChecksSnapshot(b *testing.B) {
	e := New([]model.CheckSpec{spec()}, Rules{FailOn: model.SeverityCritical})
	for i := range latencyRing {
		if _, _, err := e.Observe(measurement(i, "p"), model.PhaseMonitor); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Checks()
	}
}
