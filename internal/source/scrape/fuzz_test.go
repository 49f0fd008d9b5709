package scrape

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/source"
)

// FuzzScrape serves two expositions in turn from a /metrics endpoint on loopback, scrapes
// it as a run would (a Ping, then the first body, the second, the second again) and checks
// the traffic and the signals taken from it: counts and buckets are finite and never
// negative, errors never outnumber requests, totals never decrease, an unchanged exposition
// adds no traffic, and a window with observations in finite buckets has a p99. With useCount the request
// counter is the latency histogram's _count.
func FuzzScrape(f *testing.F) {
	code := func(series map[string]float64) string { return counter("http_requests_total", series) }
	lat := func(counts ...float64) string {
		return histogram("http_request_duration_seconds", hist{`method="get"`, []float64{0.1, 0.5, math.Inf(1)}, counts})
	}
	f.Add(fixture(f, "service.prom"), fixture(f, "service.prom"), false)
	f.Add(fixture(f, "status_label.prom"), fixture(f, "service.prom"), false)
	f.Add(fixture(f, "invalid.prom"), fixture(f, "status_label.prom"), false)
	f.Add(code(map[string]float64{`code="200"`: 100, `code="503"`: 8}), code(map[string]float64{`code="200"`: 4, `code="503"`: 2}), false)
	f.Add(code(map[string]float64{`code="200"`: 10}), code(map[string]float64{`code="200"`: 12, `code="500"`: 5}), false)
	f.Add(code(map[string]float64{`code="5xx"`: 1, `status="504"`: 1}), code(map[string]float64{`code="5xx"`: 2, `status="504"`: 3}), false)
	f.Add(lat(1, 5, 100)+code(map[string]float64{`code="200"`: 1}), lat(3, 6, 7)+code(map[string]float64{`code="200"`: 9}), false)
	f.Add(lat(1, 2, 3), lat(2, 4, 9), true)
	f.Add("http_requests_total 5\n", "http_requests_total{code=\"500\"} 1e308\nhttp_requests_total{code=\"501\"} 1e308\n", false)
	f.Add("# TYPE http_requests_total gauge\nhttp_requests_total 1\n", "", false)
	svc := newService(f, "")
	f.Fuzz(func(t *testing.T, first, second string, useCount bool) {
		opts := Options{Targets: []string{svc.url()}, Timeout: 10 * time.Second}
		if useCount {
			opts.RequestsMetric = DefaultDurationMetric + "_count"
		}
		s := mustNew(t, opts)
		ctx := context.Background()
		svc.set(first)
		if err := s.Ping(ctx); err != nil && !strings.Contains(err.Error(), "scrape "+svc.url()) {
			t.Fatalf("Ping error %q does not name the target", err)
		}
		var snaps []Snapshot
		for i, body := range []string{first, second, second} {
			svc.set(body)
			snap, err := s.Scrape(ctx)
			if err != nil && (snap.Answered != 0 || len(snap.Failures) != 1 || !strings.Contains(err.Error(), "scrape "+svc.url())) {
				t.Fatalf("scrape %d: error %q, snapshot %+v: a failure must name the target", i+1, err, snap)
			}
			checkTraffic(t, "totals", snap.Totals)
			if i > 0 {
				checkGrowth(t, snaps[i-1].Totals, snap.Totals)
				checkSignals(t, Window(snaps[i-1], snap))
			}
			snaps = append(snaps, snap)
		}
		if w := Window(snaps[1], snaps[2]); w.Requests != 0 || w.Errors != 0 || histogramObservations(w) != 0 {
			t.Fatalf("the same exposition scraped twice made traffic %+v", w)
		}
	})
}

// checkTraffic checks what source.Traffic promises: finite counts, never negative, errors
// among the requests, buckets ascending by bound and ending with +Inf.
func checkTraffic(t *testing.T, what string, tr source.Traffic) {
	t.Helper()
	if !usable(tr.Requests) || !usable(tr.Errors) || tr.Errors > tr.Requests {
		t.Fatalf("%s: %v requests, %v errors", what, tr.Requests, tr.Errors)
	}
	for i, b := range tr.Buckets {
		if math.IsNaN(b.UpperBound) || !usable(b.Count) || i > 0 && b.UpperBound <= tr.Buckets[i-1].UpperBound {
			t.Fatalf("%s: bucket %d of %+v", what, i, tr.Buckets)
		}
	}
	if n := len(tr.Buckets); n > 0 && !math.IsInf(tr.Buckets[n-1].UpperBound, 1) {
		t.Fatalf("%s: buckets %+v do not end with +Inf", what, tr.Buckets)
	}
}

// checkGrowth checks that cumulative totals never decrease, bucket by bucket.
func checkGrowth(t *testing.T, prev, cur source.Traffic) {
	t.Helper()
	if cur.Requests < prev.Requests || cur.Errors < prev.Errors {
		t.Fatalf("totals went down: %+v then %+v", prev, cur)
	}
	now := map[float64]float64{}
	for _, b := range cur.Buckets {
		now[b.UpperBound] = b.Count
	}
	for _, b := range prev.Buckets {
		if c, ok := now[b.UpperBound]; !ok || c < b.Count {
			t.Fatalf("bucket le=%v went from %v to %v (present %v)", b.UpperBound, b.Count, c, ok)
		}
	}
}

// checkSignals checks a window and what the traffic checks compute from it: an error
// ratio between 0 and 1, and a p99 whenever there are observations in finite buckets.
func checkSignals(t *testing.T, w source.Traffic) {
	t.Helper()
	checkTraffic(t, "window", w)
	if w.Requests > 0 {
		if r := w.Errors / w.Requests; math.IsNaN(r) || r < 0 || r > 1 {
			t.Fatalf("window %+v: error ratio %v", w, r)
		}
	}
	// A histogram of the +Inf bucket alone says nothing about latency: no p99, as in PromQL.
	if histogramObservations(w) > 0 && len(w.Buckets) > 1 {
		if p99 := source.Quantile(0.99, w.Buckets); math.IsNaN(p99) {
			t.Fatalf("window %+v has observations but no p99", w)
		}
	}
}

// histogramObservations is the +Inf bucket of a window's histogram, 0 without one.
func histogramObservations(w source.Traffic) float64 {
	if n := len(w.Buckets); n > 0 {
		return w.Buckets[n-1].Count
	}
	return 0
}

func usable(v float64) bool { return v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }
