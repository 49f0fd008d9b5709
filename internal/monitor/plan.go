package monitor

import (
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Plan is the timing of a run, every offset measured from the start of monitoring.
type Plan struct {
	// Warmup is the grace period at the start.
	Warmup time.Duration
	// Schedule holds the progressive checkpoints, ascending.
	Schedule []time.Duration
	// Interval is the period between rounds of checks.
	Interval time.Duration
	// Cooldown is how long checks go on after the last checkpoint.
	Cooldown time.Duration
}

// LastCheckpoint is the offset of the final checkpoint (zero without a schedule).
func (p Plan) LastCheckpoint() time.Duration {
	if len(p.Schedule) == 0 {
		return 0
	}
	return p.Schedule[len(p.Schedule)-1]
}

// End is the offset at which monitoring stops.
func (p Plan) End() time.Duration { return max(p.LastCheckpoint(), p.Warmup) + p.Cooldown }

// NextRound returns the offset of the round after one that started at last, or false when
// that round was the final one. Rounds come every Interval, and also exactly at the end of
// warm-up, at every checkpoint and at the end, so a checkpoint always reports fresh
// measurements and a failure is never more than one interval from being seen.
func (p Plan) NextRound(last time.Duration) (time.Duration, bool) {
	end := p.End()
	if last >= end {
		return 0, false
	}
	next := min(last+p.Interval, end)
	if p.Warmup > last {
		next = min(next, p.Warmup)
	}
	for _, cp := range p.Schedule {
		if cp > last {
			next = min(next, cp)
			break
		}
	}
	return next, true
}

// PhaseOf returns the phase of a round at offset at; verified reports whether a round has
// already run in the verify phase.
func (p Plan) PhaseOf(at time.Duration, verified bool) model.Phase {
	switch {
	case at < p.Warmup:
		return model.PhaseWarmup
	case !verified:
		return model.PhaseVerify
	case at <= p.LastCheckpoint():
		return model.PhaseMonitor
	default:
		return model.PhaseCooldown
	}
}

// CheckpointsDue returns the checkpoints in (after, upTo], in order.
func (p Plan) CheckpointsDue(after, upTo time.Duration) []time.Duration {
	var due []time.Duration
	for _, cp := range p.Schedule {
		if cp > after && cp <= upTo {
			due = append(due, cp)
		}
	}
	return due
}
