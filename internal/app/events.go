package app

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Time the sinks get once the verdict is known. The outputs and the report are written
// before they are waited for, so this only bounds how long an API that is down holds the
// step's end: a few seconds, fewer when the run was cancelled (the runner kills the
// container 7.5 s after its SIGINT). Mode start, whose whole work is the announce, waits
// for it up to sinkBudget.
const (
	sinkBudget          = 30 * time.Second
	finishBudget        = 5 * time.Second
	sinkBudgetCancelled = 3 * time.Second
)

// events carries a run to its sinks: it announces the deployment, turns the monitor's
// events into sink events with a snapshot of the run, and sends the final event. With no
// sink configured every method is a no-op.
type events struct {
	d    *sink.Dispatcher
	base model.Report

	// transport carries the sinks' requests; release closes its idle connections.
	transport *http.Transport

	mu        sync.Mutex
	timeline  []model.TimelineEntry
	announced bool
	// done is set once the sinks were finished or closed.
	done bool
}

func newEvents(sinks []sink.Sink, base model.Report, log func(string)) *events {
	e := &events{base: base}
	if len(sinks) > 0 {
		e.d = sink.New(sinks, sink.Options{Log: log})
	}
	return e
}

// announce sends the start: KindStarted for a new deployment, KindResumed when mode
// monitor continues one an earlier start announced. checks are listed as not yet run.
func (e *events) announce(ctx context.Context, kind sink.Kind, startedAt time.Time, checks []model.CheckSpec, reason string) {
	if e.d == nil {
		return
	}
	r := e.base
	r.InProgress = true
	r.Result = model.Result{StartedAt: startedAt, Reason: reason}
	for _, c := range checks {
		r.Checks = append(r.Checks, model.CheckStatus{Spec: c})
	}
	e.mu.Lock()
	e.announced = true
	e.mu.Unlock()
	e.d.Announce(ctx, sink.Event{Kind: kind, At: time.Now(), Report: r})
}

// Publish implements monitor.Publisher: checkpoints and findings go to the sinks with a
// snapshot of the run; every event with a line feeds the snapshot's timeline. The start
// and the end are sent by the run itself (announce, finish), around the rollout and the
// rollback.
func (e *events) Publish(_ context.Context, ev model.Event) {
	if e.d == nil || ev.Kind == model.EventMeasured {
		return
	}
	e.mu.Lock()
	e.timeline = append(e.timeline, model.TimelineEntry{At: ev.At, Elapsed: ev.At.Sub(ev.Status.StartedAt),
		Kind: ev.Kind, Phase: ev.Phase, Verdict: ev.Status.Verdict, Text: ev.Text})
	if len(e.timeline) > maxSnapshotTimeline {
		e.timeline = slices.Delete(e.timeline, maxSnapshotTimeline/2, maxSnapshotTimeline/2+1)
	}
	timeline := slices.Clone(e.timeline)
	e.mu.Unlock()
	var kind sink.Kind
	switch ev.Kind {
	case model.EventCheckpoint:
		kind = sink.KindProgress
	case model.EventFinding:
		kind = sink.KindFinding
	case model.EventCleared:
		kind = sink.KindCleared
	default:
		return
	}
	r := e.base
	r.InProgress = true
	r.Result = model.Result{StartedAt: ev.Status.StartedAt, Verdict: ev.Status.Verdict, Reason: ev.Status.Reason,
		Checks: ev.Status.Checks, Findings: ev.Status.Findings, Timeline: timeline}
	r.Signals = signalsOf(ev.Status.Findings)
	e.d.Publish(sink.Event{Kind: kind, At: ev.At, Report: r, Finding: ev.Finding, Checkpoint: ev.Checkpoint})
}

// maxSnapshotTimeline bounds the timeline a progress snapshot carries, as the monitor
// bounds the final one.
const maxSnapshotTimeline = 1000

// rolledBack reports a rollback before the final event.
func (e *events) rolledBack(rep model.Report) {
	if e.d == nil || rep.Rollback == nil {
		return
	}
	rep.InProgress, rep.FinishedAt = true, time.Time{}
	e.d.Publish(sink.Event{Kind: sink.KindRolledBack, At: time.Now(), Report: rep})
}

// finish sends the final event and waits for the sinks within their budget, then returns
// the report with what the sinks made known: the deployment, the comment, links, history,
// and a warning per sink problem. A run that never announced (its preflight failed)
// announces first, so the deployment it could not monitor still gets a final status.
func (e *events) finish(ctx context.Context, rep model.Report, cancelled bool) model.Report {
	if e.d == nil {
		return rep
	}
	budget := finishBudget
	if cancelled {
		budget = sinkBudgetCancelled
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	e.mu.Lock()
	announced := e.announced
	e.mu.Unlock()
	if !announced && rep.Mode != "finish" {
		e.announce(ctx, sink.KindStarted, rep.StartedAt, nil, rep.Reason)
	}
	warnings := e.d.Finish(ctx, sink.Event{Kind: sink.KindFinished, At: time.Now(), Report: sink.WithHandles(rep, e.d.Handles())})
	e.setDone()
	rep = sink.WithHandles(rep, e.d.Handles())
	rep.Warnings = append(rep.Warnings, warnings...)
	return rep
}

// handles returns what the announcers made known so far.
func (e *events) handles() sink.Handles {
	if e.d == nil {
		return sink.Handles{}
	}
	return e.d.Handles()
}

// close flushes what was queued without a final event (mode start).
func (e *events) close(ctx context.Context) (sink.Handles, []string) {
	if e.d == nil {
		return sink.Handles{}, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sinkBudget)
	defer cancel()
	warnings := e.d.Close(ctx)
	e.setDone()
	return e.d.Handles(), warnings
}

func (e *events) setDone() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.done = true
}

// release ends the run's reporting: sinks a run left unfinished (its configuration proved
// invalid after they were built) are stopped without sending, and the idle connections
// are closed. A run in-process leaves no goroutine or connection behind.
func (e *events) release() {
	e.mu.Lock()
	done := e.done
	e.mu.Unlock()
	if e.d != nil && !done {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // nothing was announced: nothing to wait for
		e.d.Close(ctx)
	}
	if e.transport != nil {
		e.transport.CloseIdleConnections()
	}
}
