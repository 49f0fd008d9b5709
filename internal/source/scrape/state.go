package scrape

import (
	"maps"
	"slices"

	"github.com/deploywatch/deploywatch/internal/source"
)

// maxMisses is how many successful scrapes of a target may lack a series before its state
// is dropped; a series back after that counts as new.
const maxMisses = 3

// totals are the running, reset-corrected traffic of every target.
type totals struct {
	requests, errors float64
	buckets          map[float64]float64 // cumulative count by upper bound
}

func newTotals() totals { return totals{buckets: map[float64]float64{}} }

// traffic copies the totals out, buckets ascending.
func (t *totals) traffic() source.Traffic {
	tr := source.Traffic{Requests: t.requests, Errors: t.errors}
	for _, ub := range slices.Sorted(maps.Keys(t.buckets)) {
		tr.Buckets = append(tr.Buckets, source.Bucket{UpperBound: ub, Count: t.buckets[ub]})
	}
	return tr
}

// targetState remembers the last raw value of every series of one target.
type targetState struct {
	// scrapes counts the target's successful scrapes; a series last seen at an older one
	// is missing from the latest.
	scrapes  int
	counters map[string]*counterState
	hists    map[string]*histState
}

type counterState struct {
	liveness
	last float64
}

type histState struct {
	liveness
	bounds, last []float64
}

// liveness tracks when a series was last scraped.
type liveness struct {
	seenAt int // the target's scrape that last had the series
	misses int // successful scrapes in a row without it
}

func (l *liveness) live() *liveness { return l }

// saw records the series in the target's current scrape.
func (l *liveness) saw(scrape int) { l.seenAt, l.misses = scrape, 0 }

func newTargetState() *targetState {
	return &targetState{counters: map[string]*counterState{}, hists: map[string]*histState{}}
}

// apply adds what changed since the target's previous scrape to t. The target's first
// scrape is the starting point. A series that appears later was born since the previous
// scrape (client_golang creates a `code="500"` series at the first 500), so its whole
// value is new traffic: counting only its later increments, as PromQL's increase() does,
// would hide the first burst of errors. A value below the last one is a counter restarted
// from zero, and counts whole.
func (ts *targetState) apply(r reading, t *totals) {
	ts.scrapes++
	first := ts.scrapes == 1
	for _, c := range r.counters {
		st := ts.counters[c.key]
		if st == nil {
			ts.counters[c.key] = &counterState{liveness: liveness{seenAt: ts.scrapes}, last: c.value}
			if !first {
				t.requests += c.value
				if c.isError {
					t.errors += c.value
				}
			}
			continue
		}
		if st.seenAt == ts.scrapes {
			continue // a duplicate series in one exposition: the first one stands
		}
		d := increase(st.last, c.value)
		st.last = c.value
		st.saw(ts.scrapes)
		t.requests += d
		if c.isError {
			t.errors += d
		}
	}
	for _, h := range r.hists {
		ts.applyHist(h, t)
	}
	sweep(ts.counters, ts.scrapes)
	sweep(ts.hists, ts.scrapes)
}

// applyHist differences one histogram series. Its buckets are one series for resets: a
// restart that leaves one bucket above its old value still resets all of them.
func (ts *targetState) applyHist(h histSample, t *totals) {
	st := ts.hists[h.key]
	if st == nil || (st.seenAt != ts.scrapes && !slices.Equal(st.bounds, h.bounds)) {
		// New, or re-bucketed by a deploy: the old counts do not compare. A series born
		// after the first scrape counts whole, like a new counter.
		ts.hists[h.key] = &histState{liveness: liveness{seenAt: ts.scrapes}, bounds: h.bounds, last: h.counts}
		if st == nil && ts.scrapes > 1 {
			for i, c := range h.counts {
				t.buckets[h.bounds[i]] += c
			}
		}
		return
	}
	if st.seenAt == ts.scrapes {
		return
	}
	reset := false
	for i, c := range h.counts {
		if c < st.last[i] {
			reset = true
			break
		}
	}
	for i, c := range h.counts {
		d := c
		if !reset {
			d -= st.last[i]
		}
		t.buckets[h.bounds[i]] += d
	}
	st.last = h.counts
	st.saw(ts.scrapes)
}

// increase is a counter's growth from last to cur: all of cur when it went down, since a
// counter only goes down by restarting from zero.
func increase(last, cur float64) float64 {
	if cur < last {
		return cur
	}
	return cur - last
}

// sweep counts a miss for every series absent from the latest scrape and forgets those
// missing maxMisses times in a row, so the state only holds live series.
func sweep[S interface{ live() *liveness }](m map[string]S, scrape int) {
	for k, st := range m {
		l := st.live()
		if l.seenAt == scrape {
			continue
		}
		if l.misses++; l.misses >= maxMisses {
			delete(m, k)
		}
	}
}
