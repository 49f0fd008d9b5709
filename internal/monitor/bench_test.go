package monitor

import (
	"context"
	"fmt"
	"testing"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
)

// instant answers at once, so the benchmark measures the monitor's own cost per round:
// running the checks concurrently, judging each measurement, snapshotting the run for
// every published event.
type instant struct{ name string }

func (c instant) Spec() model.CheckSpec {
	return model.CheckSpec{Name: c.name, Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
}
func (c instant) Run(context.Context) model.Measurement {
	return model.Measurement{Check: c.name, Value: "200", Expected: "2xx"}
}

func BenchmarkRound(b *testing.B) {
	for _, n := range []int{5, 20} {
		b.Run(fmt.Sprintf("checks=%d", n), func(b *testing.B) {
			checks := make([]check.Check, n)
			specs := make([]model.CheckSpec, n)
			for i := range checks {
				checks[i] = instant{fmt.Sprintf("check-%d", i)}
				specs[i] = checks[i].Spec()
			}
			events := 0
			r := &runner{
				o:    Options{Checks: checks, Publisher: PublisherFunc(func(context.Context, model.Event) { events++ })},
				eval: analysis.New(specs, analysis.Rules{FailOn: model.SeverityCritical}), phase: model.PhaseMonitor,
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				r.round(ctx, model.PhaseMonitor, checks)
			}
			if events == 0 {
				b.Fatal("no event published")
			}
		})
	}
}
