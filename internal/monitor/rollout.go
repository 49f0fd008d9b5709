package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
)

// minRolloutGap is the least time between two rounds of the rollout phase.
const minRolloutGap = 100 * time.Millisecond

type rolloutOutcome int

const (
	rolloutDone rolloutOutcome = iota
	rolloutFailed
	rolloutCancelled
)

// rollout runs the rollout phase: a round of the rollout and pod checks every interval, and
// at once on every change of the rollout's progress, until the rollout is over, a check
// fails (a crash loop shows long before the rollout's deadline), the timeout passes or ctx
// ends.
func (r *runner) rollout(ctx context.Context) rolloutOutcome {
	r.enter(ctx, model.PhaseRollout)
	checks := append([]check.Check{r.o.Rollout}, r.o.RolloutChecks...)
	timeout := r.o.RolloutTimeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		// A change signalled before this round is seen by it: consume it, so it does not
		// trigger a second round at the same moment.
		select {
		case <-r.o.Rollout.Changed():
		default:
		}
		r.round(ctx, model.PhaseRollout, checks)
		switch {
		case ctx.Err() != nil:
			return rolloutCancelled
		case r.hasFatal():
			return rolloutFailed
		case isClosed(r.o.Rollout.Done()) && r.rolloutPassed():
			return rolloutDone
		case isClosed(r.o.Rollout.Done()) && r.rolloutGaveUp():
			// Over without passing and out of probe budget (the workload was deleted):
			// nothing will change before the timeout, so the run ends now, inconclusive.
			return rolloutFailed
		}
		lastRound := time.Now()
		tick := time.NewTimer(r.o.Plan.Interval)
		done := r.o.Rollout.Done()
		if isClosed(done) {
			// Over, but not passed (the workload was deleted, a probe error): rounds go on at
			// the interval until the probe budget or the timeout decides.
			done = nil
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				tick.Stop()
				return rolloutCancelled
			case <-deadline.C:
				tick.Stop()
				r.timeOut(ctx, timeout)
				return rolloutFailed
			case <-r.o.Rollout.Changed():
				// A change right after a round is read a moment later, not by a second round
				// at the same instant.
				if gap := time.Since(lastRound); gap < minRolloutGap {
					tick.Reset(minRolloutGap - gap)
					continue
				}
				break wait
			case <-done:
				if gap := time.Since(lastRound); gap < minRolloutGap {
					// The round just run may have read the end already; if not, the next does.
					done = nil
					tick.Reset(minRolloutGap - gap)
					continue
				}
				break wait
			case <-tick.C:
				break wait
			}
		}
		tick.Stop()
	}
}

func (r *runner) hasFatal() bool {
	_, fatal := r.eval.Fatal()
	return fatal
}

// rolloutPassed reports whether the rollout check's last word was a pass.
func (r *runner) rolloutPassed() bool {
	name := r.o.Rollout.Spec().Name
	for _, c := range r.eval.Checks() {
		if c.Spec.Name == name {
			return c.Last != nil && c.Last.Outcome == model.OutcomePass
		}
	}
	return false
}

// rolloutGaveUp reports whether the rollout check's probe errors exhausted their budget.
func (r *runner) rolloutGaveUp() bool {
	name := r.o.Rollout.Spec().Name
	for _, f := range r.eval.Findings() {
		if f.Check == name && f.Type == model.FindingProbeError && f.Active {
			return true
		}
	}
	return false
}

// timeOut records a rollout that outlived its timeout: a critical breach of the rollout
// check, whatever its persistence.
func (r *runner) timeOut(ctx context.Context, timeout time.Duration) {
	spec := r.o.Rollout.Spec()
	last := r.o.Rollout.Run(ctx)
	m := model.Measurement{
		Check: spec.Name, At: time.Now(), Breach: true, Severity: max(model.SeverityCritical, spec.Severity),
		Value: last.Value, Expected: "rolled out within " + shortDuration(timeout),
		Message: fmt.Sprintf("the rollout did not finish within %s: %s", shortDuration(timeout), last.Message),
	}
	// One breach is the whole evidence: repeat it up to the check's persistence.
	for range max(spec.Persistence, 1) {
		j, ok := r.judge(ctx, model.PhaseRollout, m)
		r.publish(ctx, []slot{{j: j, ok: ok}}, m.At)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
