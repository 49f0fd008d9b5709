package monitor

import (
	"context"
	"sync"
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
	mu      sync.Mutex
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
		// The rollout ends at +25s (woken by it, not at the next interval); the plan (40s) follows.
		if got := time.Since(start); got != 65*s {
			t.Errorf("run took %v, want 65s", got)
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
		want := []time.Duration{0, 5 * s, 15 * s, 25 * s}
		if len(rolloutRounds) != len(want) {
			t.Fatalf("rollout rounds at %v, want %v", rolloutRounds, want)
		}
		for i := range want {
			if rolloutRounds[i] != want[i] {
				t.Errorf("rollout rounds at %v, want %v", rolloutRounds, want)
				break
			}
		}
		var cps []time.Duration
		for _, ev := range rec.kinds(model.EventCheckpoint) {
			cps = append(cps, ev.Status.Elapsed)
		}
		if len(cps) != 2 || cps[0] != 35*s || cps[1] != 55*s {
			t.Errorf("checkpoints at %v, want 10s and 30s after the rollout (+35s, +55s)", cps)
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
