package check

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/source"
)

// TrafficReader gives a service's HTTP traffic since the start of monitoring: cumulative
// request and 5xx counts and latency buckets, corrected for counter resets.
type TrafficReader interface {
	Read(ctx context.Context) (source.Traffic, error)
}

// BaselineReader gives the traffic of a window before the start.
type BaselineReader interface {
	// Baseline returns the traffic of (end−window, end].
	Baseline(ctx context.Context, end time.Time, window time.Duration) (source.Traffic, error)
}

// Feed shares one reader between the traffic checks of a run: a reading is reused within
// a round, and recent readings are kept to cut sliding windows (the last minute) from them.
type Feed struct {
	r  TrafficReader
	mu sync.Mutex
	// readings are cumulative, oldest first, bounded by keep.
	readings []reading
	err      error
	errAt    time.Time
}

type reading struct {
	// at is the data's time (source.Traffic.At, or when it was read); readAt when it was read.
	at, readAt time.Time
	t          source.Traffic
}

// feedFresh is how fresh a reading is reused instead of reading again: the checks of one
// round run together, within milliseconds; the shortest interval is 100 ms.
const feedFresh = 50 * time.Millisecond

// feedKeep is how far back readings are kept: enough for the one-minute latency window.
const feedKeep = 2 * time.Minute

// NewFeed wraps a reader.
func NewFeed(r TrafficReader) *Feed { return &Feed{r: r} }

// Latest returns the cumulative traffic now and the time of its data, reading once per
// round.
func (f *Feed) Latest(ctx context.Context) (time.Time, source.Traffic, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if n := len(f.readings); n > 0 && now.Sub(f.readings[n-1].readAt) < feedFresh {
		last := f.readings[n-1]
		return last.at, last.t, nil
	}
	// A failed read is shared like a good one, also once readings exist: the checks queued
	// behind a read that hung until its timeout must not each wait for one more.
	if n := len(f.readings); f.err != nil && now.Sub(f.errAt) < feedFresh && (n == 0 || f.errAt.After(f.readings[n-1].readAt)) {
		return time.Time{}, source.Traffic{}, f.err
	}
	t, err := f.r.Read(ctx)
	// Stamped when the read is done: the checks queued behind a slow read reuse it.
	now = time.Now()
	if err != nil {
		f.err, f.errAt = err, now
		return time.Time{}, source.Traffic{}, err
	}
	at := t.At
	if at.IsZero() {
		at = now
	}
	// Data time never runs backwards: a backend's newest sample can be older than the last
	// one seen when the freshest series went away.
	if n := len(f.readings); n > 0 && at.Before(f.readings[n-1].at) {
		at = f.readings[n-1].at
	}
	f.readings = append(f.readings, reading{at: at, readAt: now, t: t})
	for len(f.readings) > 2 && at.Sub(f.readings[1].at) > feedKeep {
		f.readings = f.readings[1:]
	}
	return at, t, nil
}

// Since returns the traffic from the last reading at or before t (the first reading when
// none is that old) up to the latest, and how long that is.
func (f *Feed) Since(t time.Time) (source.Traffic, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.readings) < 2 {
		return source.Traffic{}, 0
	}
	from := f.readings[0]
	for _, r := range f.readings {
		if r.at.After(t) {
			break
		}
		from = r
	}
	last := f.readings[len(f.readings)-1]
	return Sub(last.t, from.t), last.at.Sub(from.at)
}

// Sub is the traffic between two cumulative readings, never negative.
func Sub(cur, prev source.Traffic) source.Traffic {
	out := source.Traffic{
		Requests: math.Max(cur.Requests-prev.Requests, 0),
		Errors:   math.Max(cur.Errors-prev.Errors, 0),
	}
	before := map[float64]float64{}
	for _, b := range prev.Buckets {
		before[b.UpperBound] = b.Count
	}
	for _, b := range cur.Buckets {
		out.Buckets = append(out.Buckets, source.Bucket{UpperBound: b.UpperBound, Count: math.Max(b.Count-before[b.UpperBound], 0)})
	}
	return out
}
