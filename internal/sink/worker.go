package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// worker delivers one sink's events in order.
type worker struct {
	d    *Dispatcher
	s    Sink
	snap Snapshotter // nil unless the sink renders snapshots

	mu       sync.Mutex
	queue    []Event
	closed   bool
	disabled bool
	// warnedDrop is set once the backlog overflowed and the run was told.
	warnedDrop bool
	// lastSent is when the sink last took an event, for a snapshotter's MinGap.
	lastSent time.Time
	// peak is the highest severity of the findings a snapshotter has shown so far.
	peak model.Severity
	// abort cancels the send under way when it is a snapshot, which the final event makes
	// stale; nil otherwise.
	abort context.CancelFunc
	wake  chan struct{}
}

func (w *worker) lock()   { w.mu.Lock() }
func (w *worker) unlock() { w.mu.Unlock() }

// maxQueue bounds a sink's backlog: a sink slower than the run (a chat webhook answering
// in seconds to a flapping check) must not hold every event's report in memory.
const maxQueue = 64

// abortGrace is how long a snapshot request under way may still finish once the final
// event is waiting behind it.
const abortGrace = time.Second

func (w *worker) enqueue(ev Event) {
	w.lock()
	warn := false
	if !w.closed && !w.disabled {
		if len(w.queue) >= maxQueue && w.dropOne() && !w.warnedDrop {
			w.warnedDrop, warn = true, true
		}
		w.queue = append(w.queue, ev)
		if ev.Kind == KindFinished && w.abort != nil {
			// The snapshot being sent says less than the final event: a hung request must
			// not hold the final status up, least of all in a cancelled run's short budget.
			// It gets abortGrace first: a request cut while the server applies it could
			// land after the final one (a deployment's last status would then read
			// "in progress"); one that answers in time keeps the order.
			time.AfterFunc(abortGrace, w.abort)
		}
	}
	w.unlock()
	if warn { // outside the worker's lock: the dispatcher's is taken in there
		w.d.warn(fmt.Sprintf("%s: is slower than the run; intermediate events were dropped, the start and the end are kept", w.s.Name()))
	}
	w.poke()
}

// dropOne removes the oldest intermediate event (a progress, a finding, a clearance) from
// the backlog; the start, a rollback and the end always stay.
func (w *worker) dropOne() bool {
	for i, q := range w.queue {
		switch q.Kind {
		case KindStarted, KindResumed, KindRolledBack, KindFinished:
			continue
		}
		w.queue = append(w.queue[:i], w.queue[i+1:]...)
		return true
	}
	return false
}

func (w *worker) close() {
	w.lock()
	w.closed = true
	w.unlock()
	w.poke()
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run() {
	defer w.d.wg.Done()
	for {
		ev, ok := w.next()
		if !ok {
			return
		}
		if !w.deliver(w.d.ctx, ev) {
			w.d.warn(fmt.Sprintf("%s: %s not delivered: the run's time to report ran out", w.s.Name(), eventName(ev)))
		}
	}
}

// next waits for the event to send: the oldest, except that a snapshotter skips to the
// newest snapshot and waits out its MinGap. It reports false once the queue is closed
// and empty, or the dispatcher was stopped (whatever is left is reported undelivered).
func (w *worker) next() (Event, bool) {
	ctx := w.d.ctx
	for {
		w.lock()
		if ctx.Err() != nil {
			left := len(w.queue)
			w.queue = nil
			w.unlock()
			if left > 0 {
				w.d.warn(fmt.Sprintf("%s: %d event(s) not delivered: the run's time to report ran out", w.s.Name(), left))
			}
			return Event{}, false
		}
		if len(w.queue) == 0 {
			closed := w.closed
			w.unlock()
			if closed {
				return Event{}, false
			}
			select {
			case <-w.wake:
			case <-ctx.Done():
			}
			continue
		}
		if w.snap != nil {
			w.coalesce()
		}
		ev := w.queue[0]
		if w.snap != nil && len(w.queue) == 1 && !w.urgent(ev) {
			// A finding that escalates nothing waits for the next checkpoint or the end,
			// which will show it: a flapping check costs no API calls.
			w.unlock()
			select {
			case <-w.wake:
			case <-ctx.Done():
			}
			continue
		}
		if w.snap != nil && ev.Kind.snapshot() {
			if wait := time.Until(w.lastSent.Add(w.snap.MinGap())); wait > 0 {
				w.unlock()
				w.pause(ctx, wait)
				continue
			}
		}
		w.queue = w.queue[1:]
		w.unlock()
		return ev, true
	}
}

// urgent reports whether a snapshotter shows ev now: every event but a finding raised or
// cleared, and of those a fatal finding or one above every severity shown so far.
// w.mu must be held.
func (w *worker) urgent(ev Event) bool {
	switch ev.Kind {
	case KindFinding:
		return ev.Finding == nil || ev.Finding.Fatal || FindingSeverity(*ev.Finding) > w.peak
	case KindCleared:
		return false
	}
	return true
}

// pause waits d, or less when a new event arrives or ctx ends.
func (w *worker) pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.wake:
	case <-ctx.Done():
	}
}

// coalesce drops every snapshot event that a later snapshot or the final event makes
// stale. w.mu must be held.
func (w *worker) coalesce() {
	kept := w.queue[:0]
	for i, ev := range w.queue {
		if ev.Kind.snapshot() && w.staleAt(i) {
			continue
		}
		kept = append(kept, ev)
	}
	clear(w.queue[len(kept):])
	w.queue = kept
}

// staleAt reports whether a snapshot or final event follows position i. w.mu must be held.
func (w *worker) staleAt(i int) bool {
	for _, later := range w.queue[i+1:] {
		if later.Kind.snapshot() || later.Kind == KindFinished {
			return true
		}
	}
	return false
}

// superseded reports whether ev, being retried, is made stale by what was queued since.
func (w *worker) superseded(ev Event) bool {
	if w.snap == nil || !ev.Kind.snapshot() {
		return false
	}
	w.lock()
	defer w.unlock()
	return w.staleAt(-1)
}

// deliver sends ev, retrying as the error allows, and records a warning when it gives up.
// It reports false when ctx ended first: the caller decides whether that loses the event.
func (w *worker) deliver(ctx context.Context, ev Event) bool {
	if w.isDisabled() {
		return true
	}
	name := w.s.Name()
	for attempt := 1; ; attempt++ {
		sctx, done := w.sendContext(ctx, ev)
		retry, err := w.send(sctx, w.d.withHandles(ev))
		superseded := sctx.Err() != nil && ctx.Err() == nil
		done()
		if err == nil {
			if a, ok := w.s.(Announcer); ok {
				w.d.merge(a.Handles())
			}
			w.lock()
			w.lastSent = time.Now()
			for _, f := range ev.Report.Findings {
				w.peak = max(w.peak, FindingSeverity(f))
			}
			w.unlock()
			return true
		}
		if superseded {
			// Aborted for the final event, which is queued: nothing is lost.
			return true
		}
		var se *Error
		if errors.As(err, &se) && se.Disable {
			w.disable()
			w.d.warn(fmt.Sprintf("%s: turned off for the rest of this run: %v", name, err))
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if !retry || attempt >= w.d.o.MaxAttempts {
			w.d.warn(fmt.Sprintf("%s: %s not delivered after %d attempt(s): %v", name, eventName(ev), attempt, err))
			return true
		}
		wait := w.d.backoff(attempt)
		if after := retryAfter(err); after > 0 {
			if after > w.d.o.MaxWait {
				w.d.warn(fmt.Sprintf("%s: %s not delivered: asked to wait %s, longer than %s: %v", name, eventName(ev), after, w.d.o.MaxWait, err))
				return true
			}
			wait = max(wait, after)
		}
		w.d.o.Log(fmt.Sprintf("%s: %s failed (%v); retrying in %s", name, eventName(ev), err, wait.Round(10*time.Millisecond)))
		switch w.sleep(ctx, wait, ev) {
		case sleptInterrupted:
			return false
		case sleptSuperseded:
			return true
		}
	}
}

type sleepOutcome int

const (
	slept sleepOutcome = iota
	sleptInterrupted
	sleptSuperseded
)

// sleep waits before a retry; it ends early when ctx ends or a newer snapshot replaced ev
// (nothing is lost then: the newer one says more).
func (w *worker) sleep(ctx context.Context, d time.Duration, ev Event) sleepOutcome {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return slept
		case <-ctx.Done():
			return sleptInterrupted
		case <-w.wake:
			if w.superseded(ev) {
				return sleptSuperseded
			}
		}
	}
}

// sendContext is the context of one send of ev: for a snapshotter's snapshot event one
// that the final event's arrival cancels (see enqueue). done releases it.
func (w *worker) sendContext(ctx context.Context, ev Event) (context.Context, func()) {
	if w.snap == nil || !ev.Kind.snapshot() {
		return ctx, func() {}
	}
	sctx, cancel := context.WithCancel(ctx)
	w.lock()
	w.abort = cancel
	for _, later := range w.queue {
		if later.Kind == KindFinished {
			cancel()
		}
	}
	w.unlock()
	return sctx, func() {
		w.lock()
		w.abort = nil
		w.unlock()
		cancel()
	}
}

// send calls the sink; a panic in it costs the event, never the run.
func (w *worker) send(ctx context.Context, ev Event) (retry bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			retry, err = false, fmt.Errorf("sink panicked: %v", p)
		}
	}()
	return w.s.Send(ctx, ev)
}

func (w *worker) isDisabled() bool {
	w.lock()
	defer w.unlock()
	return w.disabled
}

func (w *worker) disable() {
	w.lock()
	w.disabled = true
	w.queue = nil
	w.unlock()
}
