package monitor

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
)

// fakeRollout progresses at the given offsets and completes (or fails) at the last one.
type fakeRollout struct {
	start   time.Time
	steps   []time.Duration
	fail    bool
	done    chan struct{}
	changed chan struct{}
}

func newFakeRollout(start time.Time, fail bool, steps ...time.Duration) *fakeRollout {
	r := &fakeRollout{start: start, steps: steps, fail: fail, done: make(chan struct{}), changed: make(chan struct{}, 1)}
	for i, s := range steps {
		time.AfterFunc(s, func() {
			select {
			case r.changed <- struct{}{}:
			default:
			}
			if i == len(steps)-1 {
				close(r.done)
			}
		})
	}
	return r
}

func (r *fakeRollout) Spec() model.CheckSpec {
	return model.CheckSpec{Name: "rollout", Kind: model.KindRollout, Signal: model.SignalPods, Severity: model.SeverityCritical, Persistence: 1, MaxProbeErrors: 3}
}

func (r *fakeRollout) Run(context.Context) model.Measurement {
	e := time.Since(r.start)
	n := 0
	for _, s := range r.steps {
		if e >= s {
			n++
		}
	}
	m := model.Measurement{Check: "rollout"}
	switch {
	case n == len(r.steps) && r.fail:
		m.Breach, m.Message = true, `deployment "api" exceeded its progress deadline`
	case n == len(r.steps):
		m.Message = `deployment "api" successfully rolled out`
	default:
		m.Insufficient, m.Message = true, "rolling out"
	}
	return m
}

func (r *fakeRollout) Done() <-chan struct{}    { return r.done }
func (r *fakeRollout) Changed() <-chan struct{} { return r.changed }

var rolloutPlan = Plan{Schedule: []time.Duration{10 * s, 30 * s}, Interval: 10 * s, Cooldown: 10 * s}

func TestRolloutPhaseThenPlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ro := newFakeRollout(start, false, 5*s, 15*s, 25*s)
		rec := &recorder{}
		http := readiness(start, failingFrom(time.Hour, model.SeverityCritical))
		res := Run(t.Context(), Options{Checks: []check.Check{http}, Plan: rolloutPlan, FailOn: model.SeverityCritical, Publisher: rec,
			Rollout: ro, RolloutTimeout: time.Minute})
		if res.Verdict != model.VerdictHealthy {
			t.Fatalf("verdict %s (%s)", res.Verdict, res.Reason)
		}
		// The rollout ends at +25s (woken by it, not at the next interval; when the end and
		// a round coincide, the end is read at most minRolloutGap later); the plan follows.
		end := rec.kinds(model.EventPhase)[1].Status.Elapsed
		if end < 25*s || end > 25*s+minRolloutGap {
			t.Errorf("rollout phase ended at +%v, want +25s", end)
		}
		if got := time.Since(start); got != end+40*s {
			t.Errorf("run took %v, want the rollout (%v) and the plan (40s)", got, end)
		}
		var rolloutRounds []time.Duration
		for _, ev := range rec.kinds(model.EventMeasured) {
			if ev.Measurement.Check == "rollout" && ev.Phase == model.PhaseRollout {
				rolloutRounds = append(rolloutRounds, ev.Status.Elapsed)
			}
			if ev.Measurement.Check == "readiness" && ev.Status.Elapsed < 25*s {
				t.Errorf("an HTTP check ran during the rollout, at +%v", ev.Status.Elapsed)
			}
		}
		// Rounds at the start, at every change of the rollout (+5s, +15s, +25s) and at the
		// interval; never two at one moment.
		for _, at := range []time.Duration{0, 5 * s, 15 * s} {
			if !containsDuration(rolloutRounds, at) {
				t.Errorf("no rollout round at +%v: %v", at, rolloutRounds)
			}
		}
		if last := rolloutRounds[len(rolloutRounds)-1]; last != end {
			t.Errorf("last rollout round at +%v, want at the end of the phase (+%v): %v", last, end, rolloutRounds)
		}
		for i := 1; i < len(rolloutRounds); i++ {
			if rolloutRounds[i]-rolloutRounds[i-1] < minRolloutGap {
				t.Errorf("two rollout rounds %v apart: %v", rolloutRounds[i]-rolloutRounds[i-1], rolloutRounds)
			}
		}
		var cps []time.Duration
		for _, ev := range rec.kinds(model.EventCheckpoint) {
			cps = append(cps, ev.Status.Elapsed)
		}
		if len(cps) != 2 || cps[0] != end+10*s || cps[1] != end+30*s {
			t.Errorf("checkpoints at %v, want 10s and 30s after the rollout (+%v)", cps, end)
		}
	})
}

func TestRolloutPodCheckFailsFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ro := newFakeRollout(start, false, 5*time.Minute)
		pods := &scripted{spec: model.CheckSpec{Name: "pods", Kind: model.KindPods, Signal: model.SignalPods, Severity: model.SeverityCritical, Persistence: 1},
			start: start, fn: func(e time.Duration) model.Measurement {
				if e < 8*s {
					return model.Measurement{Value: "0/3 ready"}
				}
				return model.Measurement{Breach: true, Message: "pod api-x: container api in CrashLoopBackOff"}
			}}
		res := Run(t.Context(), Options{Plan: rolloutPlan, FailOn: model.SeverityCritical, Rollout: ro, RolloutChecks: []check.Check{pods}, RolloutTimeout: time.Hour})
		if res.Verdict != model.VerdictFailed || res.DetectedAfter == nil || *res.DetectedAfter != 10*s {
			t.Fatalf("verdict %s after %v, want failed at the +10s round, long before the rollout's end", res.Verdict, res.DetectedAfter)
		}
		if res.Findings[0].Phase != model.PhaseRollout {
			t.Errorf("finding phase %s", res.Findings[0].Phase)
		}
	})
}

func TestRolloutFailuresAndCancel(t *testing.T) {
	t.Run("progress_deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			res := Run(t.Context(), Options{Plan: rolloutPlan, FailOn: model.SeverityCritical, Rollout: newFakeRollout(start, true, 42*s), RolloutTimeout: time.Hour})
			if res.Verdict != model.VerdictFailed || *res.DetectedAfter != 42*s || res.Findings[0].Message != `deployment "api" exceeded its progress deadline` {
				t.Errorf("verdict %s at %v: %+v", res.Verdict, res.DetectedAfter, res.Findings)
			}
		})
	})
	t.Run("timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			res := Run(t.Context(), Options{Plan: rolloutPlan, FailOn: model.SeverityCritical, Rollout: newFakeRollout(start, false, time.Hour), RolloutTimeout: 2 * time.Minute})
			if res.Verdict != model.VerdictFailed || *res.DetectedAfter != 2*time.Minute {
				t.Fatalf("verdict %s at %v", res.Verdict, res.DetectedAfter)
			}
			if f := res.Findings[0]; f.Message != "the rollout did not finish within 2m: rolling out" || f.Severity != model.SeverityCritical {
				t.Errorf("finding %+v", f)
			}
		})
	})
	t.Run("cancel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(7*s, cancel)
			res := Run(ctx, Options{Plan: rolloutPlan, FailOn: model.SeverityCritical, Rollout: newFakeRollout(start, false, time.Hour), RolloutTimeout: 2 * time.Hour})
			if res.Verdict != model.VerdictCancelled || time.Since(start) != 7*s {
				t.Errorf("verdict %s after %v", res.Verdict, time.Since(start))
			}
		})
	})
}

func containsDuration(ds []time.Duration, d time.Duration) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}
