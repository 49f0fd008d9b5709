package sink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Options tune a Dispatcher; zero fields take the production policy.
type Options struct {
	// MaxAttempts bounds the sends of one event (5).
	MaxAttempts int
	// BaseDelay is the first wait before a retry (1s), doubled per attempt up to MaxDelay
	// (30s); each wait is drawn between half and all of it, so runs that failed together
	// do not retry together.
	BaseDelay, MaxDelay time.Duration
	// MaxWait is the longest wait a server may ask for (2m); a sink asked to wait longer
	// gives up on the event rather than hold the run's end.
	MaxWait time.Duration
	// AnnounceTimeout bounds the announcers' part of the start (15s).
	AnnounceTimeout time.Duration
	// Jitter returns a number in [0, 1); nil uses math/rand/v2.
	Jitter func() float64
	// Log receives a line for each retry, for the CI log; nil drops them.
	Log func(string)
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	def(&o.BaseDelay, time.Second)
	def(&o.MaxDelay, 30*time.Second)
	def(&o.MaxWait, 2*time.Minute)
	def(&o.AnnounceTimeout, 15*time.Second)
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	return o
}

// Dispatcher fans events out to sinks: one worker and one queue per sink, retries with
// backoff that honours the server's requested wait, and warnings instead of failures.
type Dispatcher struct {
	o       Options
	ctx     context.Context
	cancel  context.CancelFunc
	workers []*worker
	wg      sync.WaitGroup

	mu       sync.Mutex
	handles  Handles
	warnings []string
}

// New starts a worker per sink. The workers live until Finish.
func New(sinks []Sink, o Options) *Dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{o: o.withDefaults(), ctx: ctx, cancel: cancel}
	for _, s := range sinks {
		w := &worker{d: d, s: s, wake: make(chan struct{}, 1)}
		w.snap, _ = s.(Snapshotter)
		d.workers = append(d.workers, w)
		d.wg.Add(1)
		go w.run()
	}
	return d
}

// Announce sends a start (KindStarted or KindResumed) to the announcers first, one after
// the other within AnnounceTimeout and ctx, each seeing the handles of those before it;
// then it queues the start for the other sinks. It returns the handles, so the run can
// show the deployment and the comment from its first line.
func (d *Dispatcher) Announce(ctx context.Context, ev Event) Handles {
	ctx, cancel := context.WithTimeout(ctx, d.o.AnnounceTimeout)
	defer cancel()
	stop := context.AfterFunc(d.ctx, cancel)
	defer stop()
	for _, w := range d.workers {
		if _, ok := w.s.(Announcer); ok && !w.deliver(ctx, ev) {
			// Too slow for the start (a hanging API, a long rate-limit wait): the worker
			// keeps trying while monitoring goes on.
			d.o.Log(fmt.Sprintf("%s: %s failed (no answer in time for the first check); retrying in the background", w.s.Name(), eventName(ev)))
			w.enqueue(ev)
		}
	}
	for _, w := range d.workers {
		if _, ok := w.s.(Announcer); !ok {
			w.enqueue(ev)
		}
	}
	return d.Handles()
}

// Publish queues ev for every sink. It never blocks.
func (d *Dispatcher) Publish(ev Event) {
	for _, w := range d.workers {
		w.enqueue(ev)
	}
}

// Finish queues the final event, then closes the dispatcher (see Close).
func (d *Dispatcher) Finish(ctx context.Context, ev Event) []string {
	d.Publish(ev)
	return d.Close(ctx)
}

// Close waits until every sink has sent all it had or ctx ends, then releases the sinks.
// It returns the run's sink warnings: one line per event a sink gave up on, and one per
// sink that turned itself off. Mode start closes without a final event.
func (d *Dispatcher) Close(ctx context.Context) []string {
	for _, w := range d.workers {
		w.close()
	}
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		d.cancel()
		<-done
	}
	d.cancel()
	for _, w := range d.workers {
		if c, ok := w.s.(Closer); ok {
			if err := c.Close(); err != nil {
				d.warn(fmt.Sprintf("%s: %v", w.s.Name(), err))
			}
		}
	}
	return d.Warnings()
}

// Handles returns what the announcers have made known so far.
func (d *Dispatcher) Handles() Handles {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.handles
	h.Links = slices.Clone(h.Links)
	h.History = slices.Clone(h.History)
	return h
}

// Warnings returns the sink warnings so far.
func (d *Dispatcher) Warnings() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.warnings)
}

func (d *Dispatcher) warn(line string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Contains(d.warnings, line) {
		d.warnings = append(d.warnings, line)
	}
}

// merge adds an announcer's handles: the first value of each wins, links add up.
func (d *Dispatcher) merge(h Handles) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.handles.DeploymentID == "" {
		d.handles.DeploymentID = h.DeploymentID
	}
	if d.handles.CommentURL == "" {
		d.handles.CommentURL = h.CommentURL
	}
	if len(d.handles.History) == 0 {
		d.handles.History = h.History
	}
	for _, l := range h.Links {
		if !slices.Contains(d.handles.Links, l) {
			d.handles.Links = append(d.handles.Links, l)
		}
	}
}

// withHandles fills the event's report with the handles known at the moment it is sent.
func (d *Dispatcher) withHandles(ev Event) Event {
	ev.Report = WithHandles(ev.Report, d.Handles())
	return ev
}

// WithHandles adds what announcers made known to a report: the deployment, the comment,
// the history where the report has none, and the links it lacks.
func WithHandles(r model.Report, h Handles) model.Report {
	if r.DeploymentID == "" {
		r.DeploymentID = h.DeploymentID
	}
	if r.CommentURL == "" {
		r.CommentURL = h.CommentURL
	}
	if len(r.History) == 0 {
		r.History = h.History
	}
	links := slices.Clone(r.Links)
	for _, l := range h.Links {
		if !slices.Contains(links, l) {
			links = append(links, l)
		}
	}
	r.Links = links
	return r
}

// backoff is the wait before attempt+1, with jitter.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	wait := d.o.BaseDelay << min(attempt-1, 20)
	if wait <= 0 || wait > d.o.MaxDelay {
		wait = d.o.MaxDelay
	}
	return time.Duration(float64(wait) * (0.5 + 0.5*d.o.Jitter()))
}

// eventName describes an event in warnings.
func eventName(ev Event) string {
	switch ev.Kind {
	case KindFinding, KindCleared:
		if ev.Finding != nil {
			return fmt.Sprintf("%s event (%s)", ev.Kind, ev.Finding.Check)
		}
	case KindProgress:
		return fmt.Sprintf("checkpoint +%s", ev.Checkpoint)
	}
	return string(ev.Kind) + " event"
}

// retryAfter is the wait an error asks for, if any.
func retryAfter(err error) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfter()
	}
	return 0
}
