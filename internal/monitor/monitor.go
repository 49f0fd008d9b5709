// Package monitor runs the lifecycle of one deployment check-up: warm-up, verify, monitor
// with progressive checkpoints, cool-down and verdict. Time is driven by the context and
// timers only, so the loop runs unchanged under testing/synctest.
package monitor

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	// StartedAt is the start of monitoring, the origin of every offset in Plan and of
	// DetectedAfter; zero means now. A start in the past (mode monitor after mode start)
	// resumes at the right offset.
	StartedAt time.Time
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
		r.round(ctx, phase, checks)
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

// judged is a measurement with the findings it changed.
type judged struct {
	m       model.Measurement
	changes []analysis.Change
}

// arrival is the measurement of the i-th check of a round.
type arrival struct {
	i int
	m model.Measurement
}

// round runs every check once, concurrently. A breach at or above fail_on is judged the
// moment it arrives: when it confirms a fatal finding, that finding is published at once
// and the round ends, its slower siblings cancelled, since fail fast must not wait for a
// probe that hangs until its timeout. Every other measurement is judged with the round,
// in check order, so which finding comes first does not depend on which probe was faster.
// Each measurement is stamped when it arrived: that is when the monitor knew, so a service
// that hangs until the timeout is not reported as detected earlier than it was. A round
// is published as one instant (one snapshot, measurements in check order), so the cost
// per round stays linear in the number of checks.
func (r *runner) round(ctx context.Context, phase model.Phase, checks []check.Check) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	arrivals := make(chan arrival, len(checks))
	for i, c := range checks {
		go func() {
			var m model.Measurement
			defer func() {
				// A check bug must cost one measurement, never the run's final status.
				if p := recover(); p != nil {
					m = model.Measurement{Check: c.Spec().Name, ProbeError: fmt.Sprintf("check panicked: %v", p)}
				}
				arrivals <- arrival{i, m}
			}()
			m = c.Run(rctx)
		}()
	}
	slots := make([]slot, len(checks))
	// settle judges the measurements held for the round, in check order, and publishes.
	settle := func(at time.Time) {
		for i := range slots {
			if sl := &slots[i]; sl.held {
				sl.j, sl.ok = r.judge(ctx, phase, sl.j.m)
			}
		}
		r.publish(ctx, slots, at)
	}
	for range checks {
		var a arrival
		select {
		case a = <-arrivals:
		case <-ctx.Done():
			// Cancelled: the probes still out say nothing about the service.
			settle(time.Now())
			return
		}
		a.m.At = time.Now()
		sl := &slots[a.i]
		if r.eval.Outcome(a.m, checks[a.i].Spec()) != model.OutcomeFail {
			sl.j.m, sl.held = a.m, true
			continue
		}
		sl.j, sl.ok = r.judge(ctx, phase, a.m)
		if sl.ok && fatal(sl.j.changes) {
			cancel()
			settle(a.m.At)
			return
		}
	}
	settle(time.Now())
}

// slot is one check's part of a round: held for judging with the round, or judged (ok).
type slot struct {
	j        judged
	held, ok bool
}

// judge feeds one measurement to the evaluator; it reports false for one that says nothing.
func (r *runner) judge(ctx context.Context, phase model.Phase, m model.Measurement) (judged, bool) {
	if ctx.Err() != nil && m.ProbeError != "" {
		// The probe was cut short by cancellation; it says nothing about the service.
		return judged{}, false
	}
	m, changes, err := r.eval.Observe(m, phase)
	if err != nil {
		return judged{}, false
	}
	return judged{m, changes}, true
}

func fatal(changes []analysis.Change) bool {
	for _, c := range changes {
		if c.Kind == model.EventFinding && c.Finding.Fatal {
			return true
		}
	}
	return false
}

// publish sends a round's judged measurements and the findings they changed, in check
// order, with one snapshot of the run taken at.
func (r *runner) publish(ctx context.Context, round []slot, at time.Time) {
	if !slices.ContainsFunc(round, func(sl slot) bool { return sl.ok }) {
		return
	}
	status, d := r.snapshot(at)
	for _, sl := range round {
		if !sl.ok {
			continue
		}
		m := sl.j.m
		r.o.Publisher.Publish(ctx, model.Event{Kind: model.EventMeasured, At: m.At, Phase: r.phase, Measurement: &m, Status: status})
		for _, c := range sl.j.changes {
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
