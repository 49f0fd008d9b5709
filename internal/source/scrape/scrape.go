// Package scrape computes a service's traffic from its own Prometheus /metrics endpoints,
// for teams without a Prometheus server: it reads the request counter and the latency
// histogram of every target each interval and turns counter deltas between scrapes into
// the same numbers a PromQL backend's increase() would give, counter resets included.
package scrape

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/source"
)

// Scraper scrapes a fixed set of targets and keeps the running, reset-corrected totals of
// their traffic. It is safe for concurrent use; scrapes are serialized.
type Scraper struct {
	targets  []string
	timeout  time.Duration
	headers  http.Header
	client   *http.Client
	requests string
	duration string
	maxBody  int64
	agent    string
	// scrub hides header values in text quoted from a target's answer.
	scrub *redact.Redactor

	mu     sync.Mutex
	states []*targetState
	totals totals
}

// Snapshot is the cumulative traffic seen by a Scraper at one scrape.
type Snapshot struct {
	// At is when the scrape completed.
	At time.Time
	// Totals is the traffic since each series was first scraped, corrected for counter
	// resets and summed over targets. It never decreases from one snapshot to the next.
	Totals source.Traffic
	// Answered counts the targets that answered this scrape.
	Answered int
	// Processes holds what each answering target's own counters say: the traffic of its
	// process since it started, the baseline a run without a start snapshot can use.
	Processes []Process
	// Failures holds one error per target that did not answer this scrape; each names
	// its target (redacted).
	Failures []error
}

// New validates o and returns a Scraper for it.
func New(o Options) (*Scraper, error) {
	if len(o.Targets) == 0 {
		return nil, errors.New("scrape: no target")
	}
	seen := map[string]bool{}
	for i, t := range o.Targets {
		if err := checkTarget(t); err != nil {
			return nil, fmt.Errorf("scrape: target %d (%s): %w", i+1, redact.URL(t), err)
		}
		if seen[t] {
			// The same endpoint twice would count its traffic twice.
			return nil, fmt.Errorf("scrape: target %s listed twice", redact.URL(t))
		}
		seen[t] = true
	}
	s := &Scraper{
		targets:  append([]string(nil), o.Targets...),
		timeout:  o.Timeout,
		headers:  o.Headers.Clone(),
		client:   o.Client,
		requests: o.RequestsMetric,
		duration: o.DurationMetric,
		maxBody:  o.MaxBody,
		agent:    o.UserAgent,
		totals:   newTotals(),
	}
	if s.timeout < 0 {
		return nil, fmt.Errorf("scrape: negative timeout %s", s.timeout)
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxBody < 0 {
		return nil, fmt.Errorf("scrape: negative body limit %d", s.maxBody)
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBody
	}
	if s.agent == "" {
		s.agent = DefaultUserAgent
	}
	if s.requests == "" {
		s.requests = DefaultRequestsMetric
	}
	if s.duration == "" {
		s.duration = DefaultDurationMetric
	}
	if err := checkMetricName(s.requests); err != nil {
		return nil, fmt.Errorf("scrape: requests metric: %w", err)
	}
	if err := checkMetricName(s.duration); err != nil {
		return nil, fmt.Errorf("scrape: duration metric: %w", err)
	}
	if strings.HasSuffix(s.duration, "_bucket") {
		return nil, fmt.Errorf("scrape: duration metric %q: give the histogram's name, without _bucket", s.duration)
	}
	if s.client == nil {
		s.client = &http.Client{CheckRedirect: sameHostRedirect}
	}
	var secrets []string
	for _, vs := range s.headers {
		secrets = append(secrets, vs...)
	}
	s.scrub = redact.New(secrets...)
	s.states = make([]*targetState, len(s.targets))
	for i := range s.states {
		s.states[i] = newTargetState()
	}
	return s, nil
}

// Scrape reads every target once, concurrently, and returns the cumulative traffic since
// the scraper's first scrape of each series, corrected for counter resets. Targets that
// fail are listed in the snapshot's Failures; the error is non-nil only when no target
// answered, and wraps the first failure (the snapshot then carries the unchanged totals).
func (s *Scraper) Scrape(ctx context.Context) (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	readings, errs := s.readAll(ctx)
	snap := Snapshot{}
	for i, r := range readings {
		if errs[i] != nil {
			snap.Failures = append(snap.Failures, errs[i])
			continue
		}
		snap.Answered++
		s.states[i].apply(r, &s.totals)
		snap.Processes = append(snap.Processes, r.process(s.targets[i]))
	}
	snap.At = time.Now()
	snap.Totals = s.totals.traffic()
	switch {
	case snap.Answered > 0:
		return snap, nil
	case len(s.targets) == 1:
		return snap, snap.Failures[0]
	default:
		return snap, fmt.Errorf("none of %d targets answered: %w", len(s.targets), snap.Failures[0])
	}
}

// readAll scrapes every target concurrently; readings and errors are by target index.
func (s *Scraper) readAll(ctx context.Context) ([]reading, []error) {
	readings := make([]reading, len(s.targets))
	errs := make([]error, len(s.targets))
	var wg sync.WaitGroup
	for i, t := range s.targets {
		wg.Go(func() {
			fams, err := s.fetch(ctx, t)
			if err != nil {
				errs[i] = err
				return
			}
			readings[i] = extract(fams, s.requests, s.duration)
		})
	}
	wg.Wait()
	return readings, errs
}

// Window is the traffic between two snapshots of one Scraper: cur's totals minus prev's,
// bucket by bucket, never negative.
func Window(prev, cur Snapshot) source.Traffic {
	w := source.Traffic{
		Requests: max(cur.Totals.Requests-prev.Totals.Requests, 0),
		Errors:   max(cur.Totals.Errors-prev.Totals.Errors, 0),
	}
	before := make(map[float64]float64, len(prev.Totals.Buckets))
	for _, b := range prev.Totals.Buckets {
		before[b.UpperBound] += b.Count
	}
	for _, b := range cur.Totals.Buckets {
		w.Buckets = append(w.Buckets, source.Bucket{UpperBound: b.UpperBound, Count: max(b.Count-before[b.UpperBound], 0)})
	}
	return w
}
