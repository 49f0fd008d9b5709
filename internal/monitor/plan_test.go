package monitor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

const s = time.Second

func rounds(p Plan) []time.Duration {
	out := []time.Duration{0}
	for last := time.Duration(0); ; {
		next, ok := p.NextRound(last)
		if !ok {
			return out
		}
		out = append(out, next)
		last = next
	}
}

func TestNextRound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		plan Plan
		want []time.Duration
	}{
		{"aligned_interval", Plan{Schedule: []time.Duration{10 * s, 30 * s}, Interval: 10 * s, Cooldown: 10 * s},
			[]time.Duration{0, 10 * s, 20 * s, 30 * s, 40 * s}},
		{"checkpoints_between_intervals", Plan{Schedule: []time.Duration{10 * s, 30 * s}, Interval: 15 * s},
			[]time.Duration{0, 10 * s, 25 * s, 30 * s}},
		{"warmup_end_is_a_round", Plan{Warmup: 7 * s, Schedule: []time.Duration{20 * s}, Interval: 5 * s},
			[]time.Duration{0, 5 * s, 7 * s, 12 * s, 17 * s, 20 * s}},
		{"cooldown_end_is_a_round", Plan{Schedule: []time.Duration{10 * s}, Interval: 4 * s, Cooldown: 5 * s},
			[]time.Duration{0, 4 * s, 8 * s, 10 * s, 14 * s, 15 * s}},
		{"interval_longer_than_schedule", Plan{Schedule: []time.Duration{1 * s, 2 * s}, Interval: time.Minute},
			[]time.Duration{0, 1 * s, 2 * s}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, rounds(tt.plan)); diff != "" {
				t.Errorf("rounds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPhaseOf(t *testing.T) {
	t.Parallel()
	p := Plan{Warmup: 10 * s, Schedule: []time.Duration{30 * s, 60 * s}, Interval: 10 * s, Cooldown: 30 * s}
	tests := []struct {
		at       time.Duration
		verified bool
		want     model.Phase
	}{
		{0, false, model.PhaseWarmup},
		{9 * s, false, model.PhaseWarmup},
		{10 * s, false, model.PhaseVerify},
		{20 * s, true, model.PhaseMonitor},
		{60 * s, true, model.PhaseMonitor},
		{61 * s, true, model.PhaseCooldown},
		{90 * s, true, model.PhaseCooldown},
	}
	for _, tt := range tests {
		if got := p.PhaseOf(tt.at, tt.verified); got != tt.want {
			t.Errorf("PhaseOf(%v, %v) = %s, want %s", tt.at, tt.verified, got, tt.want)
		}
	}
	if got := p.End(); got != 90*s {
		t.Errorf("End() = %v, want 90s", got)
	}
}

func TestCheckpointsDue(t *testing.T) {
	t.Parallel()
	p := Plan{Schedule: []time.Duration{10 * s, 30 * s, 60 * s}}
	if diff := cmp.Diff([]time.Duration{10 * s, 30 * s}, p.CheckpointsDue(5*s, 45*s)); diff != "" {
		t.Error(diff)
	}
	if got := p.CheckpointsDue(30*s, 59*s); got != nil {
		t.Errorf("got %v, want none", got)
	}
}
