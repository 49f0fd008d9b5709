// Package monitor runs the lifecycle of one deployment check-up: warm-up, verify, monitor
// with progressive checkpoints, cool-down and verdict. Time is driven by the context and
// timers only, so the loop runs unchanged under testing/synctest.
package monitor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
)

// Publisher receives lifecycle events as they happen. The monitor calls it inline, so an
// implementation must hand slow work (network sinks) to its own goroutines.
type Publisher interface {
	Publish(ctx context.Context, ev model.Event)
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(ctx context.Context, ev model.Event)

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, ev model.Event) { f(ctx, ev) }

// Options configure a run.
type Options struct {
	Checks []check.Check
	Plan   Plan
	FailOn model.Severity
	// Publisher gets every event; nil discards them.
	Publisher Publisher
	// StartedAt is the start of monitoring, the origin of every offset in Plan; zero means
	// now. A start in the past (mode monitor after mode start) resumes at the right offset.
	StartedAt time.Time
	// Origin, when set, is when the plan's offsets count from (zero means StartedAt). A run
	// that spent time before monitoring (preflight, announcing the deployment to a slow
	// sink) sets it to the moment monitoring begins: that time must not cost it rounds.
	Origin time.Time
	// Rollout, when set, is waited for first (the rollout phase); the plan then counts from
	// the moment the new version is rolled out. RolloutChecks run during the rollout as well
	// as after it: pod signals exist long before the rollout ends.
	Rollout        Rollout
	RolloutChecks  []check.Check
	RolloutTimeout time.Duration
}

// Rollout is a check that follows a rollout and says when it is over.
type Rollout interface {
	check.Check
	// Done is closed when the rollout completed or failed.
	Done() <-chan struct{}
	// Changed receives on every change of the rollout's progress.
	Changed() <-chan struct{}
}

// maxTimeline bounds the history kept for the report over long or flapping runs.
const maxTimeline = 1000

type runner struct {
	o     Options
	eval  *analysis.Evaluator
	start time.Time
	// origin is when the plan's offsets start: the start, or the end of the rollout.
	origin   time.Time
	phase    model.Phase
	timeline []model.TimelineEntry
	dropped  int
}

// Run monitors until the plan ends, a fatal finding is confirmed (fail fast) or ctx is
// cancelled, and returns the result. It publishes a started event first and a finished
// event last, whatever happens in between.
func Run(ctx context.Context, o Options) model.Result {
	var specs []model.CheckSpec
	for _, c := range o.all() {
		specs = append(specs, c.Spec())
	}
	if o.Publisher == nil {
		o.Publisher = PublisherFunc(func(context.Context, model.Event) {})
	}
	r := &runner{o: o, eval: analysis.New(specs, analysis.Rules{FailOn: o.FailOn}), start: o.StartedAt, phase: model.PhaseStart}
	if r.start.IsZero() {
		r.start = time.Now()
	}
	r.emit(ctx, model.Event{Kind: model.EventStarted}, fmt.Sprintf("monitoring %d checks until +%s", len(specs), shortDuration(o.Plan.End())))
	r.origin = r.start
	if !o.Origin.IsZero() {
		r.origin = o.Origin
	}
	if o.Rollout != nil {
		switch outcome := r.rollout(ctx); outcome {
		case rolloutCancelled:
			return r.finish(ctx, true)
		case rolloutFailed:
			return r.finish(ctx, false)
		}
		// The progressive schedule starts once the new version is out.
		r.origin = time.Now()
	}
	cancelled := r.loop(ctx)
	return r.finish(ctx, cancelled)
}

// all lists every check of the run: the rollout, the checks running from the rollout on,
// then the others.
func (o Options) all() []check.Check {
	var out []check.Check
	if o.Rollout != nil {
		out = append(out, o.Rollout)
	}
	return append(append(out, o.RolloutChecks...), o.Checks...)
}

// loop runs rounds of checks until the plan ends; it reports whether ctx ended it.
func (r *runner) loop(ctx context.Context) bool {
	var at time.Duration
	if !r.o.StartedAt.IsZero() || r.o.Rollout != nil {
		at = max(time.Since(r.origin), 0)
	}
	verified := false
	var published time.Duration = -1
	checks := r.o.all()
	for {
		if !sleepUntil(ctx, r.origin.Add(at)) {
			return true
		}
		phase := r.o.Plan.PhaseOf(at, verified)
		r.enter(ctx, phase)
		verified = verified || phase == model.PhaseVerify
		r.observe(ctx, phase, r.round(ctx, checks))
		if ctx.Err() != nil {
			return true
		}
		if _, fatal := r.eval.Fatal(); fatal {
			return false
		}
		for _, cp := range r.o.Plan.CheckpointsDue(published, at) {
			r.checkpoint(ctx, cp)
			published = cp
		}
		next, ok := r.o.Plan.NextRound(at)
		if !ok {
			return false
		}
		// A round that overran its interval is followed at once, not skipped.
		at = max(next, min(time.Since(r.origin), r.o.Plan.End()))
	}
}

// round runs every check once, concurrently, and returns the measurements in check order.
// Each is stamped when its probe completed: that is when the monitor knew, so a service
// that hangs until the timeout is not reported as detected earlier than it was.
func (r *runner) round(ctx context.Context, checks []check.Check) []model.Measurement {
	out := make([]model.Measurement, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			defer func() {
				// A check bug must cost one measurement, never the run's final status.
				if p := recover(); p != nil {
					out[i] = model.Measurement{Check: c.Spec().Name, ProbeError: fmt.Sprintf("check panicked: %v", p)}
				}
				out[i].At = time.Now()
			}()
			out[i] = c.Run(ctx)
		})
	}
	wg.Wait()
	return out
}

// observe judges a round's measurements, then publishes them and the findings they changed.
// The round is one instant: its events share one snapshot of the run, taken after it, so
// the cost per round stays linear in the number of checks.
func (r *runner) observe(ctx context.Context, phase model.Phase, ms []model.Measurement) {
	type judged struct {
		m       model.Measurement
		changes []analysis.Change
	}
	var round []judged
	for _, m := range ms {
		if ctx.Err() != nil && m.ProbeError != "" {
			// The probe was cut short by cancellation; it says nothing about the service.
			continue
		}
		m, changes, err := r.eval.Observe(m, phase)
		if err != nil {
			continue
		}
		round = append(round, judged{m, changes})
	}
	if len(round) == 0 {
		return
	}
	status, d := r.snapshot(time.Now())
	for _, j := range round {
		m := j.m
		r.o.Publisher.Publish(ctx, model.Event{Kind: model.EventMeasured, At: m.At, Phase: r.phase, Measurement: &m, Status: status})
		for _, c := range j.changes {
			f := c.Finding
			r.record(ctx, model.Event{Kind: c.Kind, At: m.At, Phase: r.phase, Finding: &f, Status: status}, d, findingText(c))
		}
	}
}

func findingText(c analysis.Change) string {
	f := c.Finding
	if c.Kind == model.EventCleared {
		return fmt.Sprintf("%s passing again", f.Check)
	}
	if f.Type == model.FindingProbeError {
		return fmt.Sprintf("%s: %s", f.Check, f.Message)
	}
	fatal := ""
	if f.Fatal {
		fatal = " (fatal)"
	}
	return fmt.Sprintf("%s %s: %s%s", f.Severity, f.Check, f.Message, fatal)
}

func (r *runner) enter(ctx context.Context, phase model.Phase) {
	if phase == r.phase {
		return
	}
	r.phase = phase
	r.emit(ctx, model.Event{Kind: model.EventPhase}, "entering "+phase.Title())
}

func (r *runner) checkpoint(ctx context.Context, cp time.Duration) {
	at := time.Now()
	status, d := r.snapshot(at)
	active := 0
	for _, f := range status.Findings {
		if f.Active {
			active++
		}
	}
	text := fmt.Sprintf("checkpoint %s: %d active finding(s), %s so far", shortDuration(cp), active, d.Verdict)
	r.record(ctx, model.Event{Kind: model.EventCheckpoint, At: at, Phase: r.phase, Checkpoint: cp, Status: status}, d, text)
}

func (r *runner) finish(ctx context.Context, cancelled bool) model.Result {
	findings, checks := r.eval.Findings(), r.eval.Checks()
	d := analysis.Decide(findings, checks, cancelled)
	r.phase = model.PhaseVerdict
	now := time.Now()
	status, _ := r.snapshot(now)
	status.Verdict, status.Reason = d.Verdict, d.Reason
	r.record(ctx, model.Event{Kind: model.EventFinished, At: now, Phase: r.phase, Status: status}, d, fmt.Sprintf("%s: %s", d.Verdict, d.Reason))
	res := model.Result{
		StartedAt: r.start, FinishedAt: now, Verdict: d.Verdict, Reason: d.Reason,
		Checks: checks, Findings: findings, Timeline: r.timeline,
	}
	if f, ok := r.eval.Fatal(); ok {
		after := f.ConfirmedAt.Sub(r.start)
		res.DetectedAfter = &after
	}
	if r.dropped > 0 {
		res.Timeline = append(res.Timeline, model.TimelineEntry{At: now, Elapsed: now.Sub(r.start), Kind: model.EventFinished,
			Phase: r.phase, Verdict: d.Verdict, Text: fmt.Sprintf("%d earlier timeline entries were dropped", r.dropped)})
	}
	return res
}

// emit publishes an event with a fresh status snapshot and records it in the timeline.
func (r *runner) emit(ctx context.Context, ev model.Event, text string) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	status, d := r.snapshot(ev.At)
	ev.Phase, ev.Status = r.phase, status
	r.record(ctx, ev, d, text)
}

// record keeps an event in the timeline and publishes it.
func (r *runner) record(ctx context.Context, ev model.Event, d analysis.Decision, text string) {
	ev.Text = text
	entry := model.TimelineEntry{At: ev.At, Elapsed: ev.At.Sub(r.start), Kind: ev.Kind, Phase: ev.Phase, Verdict: d.Verdict, Text: text}
	if len(r.timeline) < maxTimeline {
		r.timeline = append(r.timeline, entry)
	} else {
		// Keep the beginning and the latest entries: both explain a run.
		copy(r.timeline[maxTimeline/2:], r.timeline[maxTimeline/2+1:])
		r.timeline[maxTimeline-1] = entry
		r.dropped++
	}
	r.o.Publisher.Publish(ctx, ev)
}

// snapshot is the state of the run at, with its provisional verdict.
func (r *runner) snapshot(at time.Time) (model.Status, analysis.Decision) {
	findings, checks := r.eval.Findings(), r.eval.Checks()
	d := analysis.Provisional(findings, checks)
	return model.Status{
		StartedAt: r.start, Elapsed: at.Sub(r.start), Phase: r.phase, Verdict: d.Verdict, Reason: d.Reason,
		Checks: checks, Findings: findings,
	}, d
}

// sleepUntil waits for the wall-clock instant t or the end of ctx; it reports whether t
// was reached.
func sleepUntil(ctx context.Context, t time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// shortDuration drops the zero units Go prints ("1m0s" reads "1m").
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
