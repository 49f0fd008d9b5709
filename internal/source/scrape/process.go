package scrape

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/source"
)

// Process is one target's counters as it exposes them at one scrape: cumulative since its
// process started, so the first scrape of a process that served the old version holds that
// version's whole traffic, a far larger sample than any window deploywatch could wait for.
type Process struct {
	// Target is the target's URL, password redacted.
	Target string
	// Started is the process's process_start_time_seconds; zero when not exposed.
	Started time.Time
	// Lifetime is the traffic the counters hold: requests, 5xx and latency histogram.
	Lifetime source.Traffic
}

func (r reading) process(target string) Process {
	p := Process{Target: redact.URL(target), Lifetime: r.lifetime()}
	if r.started > 0 {
		sec, frac := math.Modf(r.started)
		p.Started = time.Unix(int64(sec), int64(frac*1e9))
	}
	return p
}

// Lifetime sums the answering targets' counters: the traffic of their processes since each
// started.
func (s Snapshot) Lifetime() source.Traffic {
	var t source.Traffic
	sums := map[float64]float64{}
	for _, p := range s.Processes {
		t.Requests += p.Lifetime.Requests
		t.Errors += p.Lifetime.Errors
		for _, b := range p.Lifetime.Buckets {
			sums[b.UpperBound] += b.Count
		}
	}
	for _, ub := range slices.Sorted(maps.Keys(sums)) {
		t.Buckets = append(t.Buckets, source.Bucket{UpperBound: ub, Count: sums[ub]})
	}
	return t
}

// Started returns the earliest and the latest process start of the answering targets; ok
// is false when a target does not expose process_start_time_seconds or none answered.
func (s Snapshot) Started() (oldest, newest time.Time, ok bool) {
	for _, p := range s.Processes {
		if p.Started.IsZero() {
			return time.Time{}, time.Time{}, false
		}
		if oldest.IsZero() || p.Started.Before(oldest) {
			oldest = p.Started
		}
		if p.Started.After(newest) {
			newest = p.Started
		}
	}
	return oldest, newest, len(s.Processes) > 0
}

// StartedBefore reports whether the counters of this scrape are all from processes that
// started before t (a moment before the deploy): then they are the old version's traffic.
// Otherwise why says what is not known or not old.
func (s Snapshot) StartedBefore(t time.Time) (old bool, why string) {
	if len(s.Processes) == 0 {
		return false, "no target answered the first scrape"
	}
	young := 0
	for _, p := range s.Processes {
		if p.Started.IsZero() {
			return false, fmt.Sprintf("%s exposes no %s, so its counters may be the new version's", p.Target, processStartMetric)
		}
		if !p.Started.Before(t) {
			young++
		}
	}
	if young > 0 {
		return false, fmt.Sprintf("%d of %d targets started after the deploy start", young, len(s.Processes))
	}
	return true, ""
}

// LifetimeRate is the processes' request rate since they started: each target's requests
// over its process's age at the scrape, summed. ok is false unless every answering target
// exposes its start.
func (s Snapshot) LifetimeRate() (rate float64, ok bool) {
	if _, _, ok := s.Started(); !ok {
		return 0, false
	}
	for _, p := range s.Processes {
		age := s.At.Sub(p.Started).Seconds()
		if !(age > 0) {
			return 0, false
		}
		rate += p.Lifetime.Requests / age
	}
	return rate, true
}
