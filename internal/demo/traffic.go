package demo

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Limits of the traffic generator. 64 requests in flight carry 500 rps at the orders
// API's ~30ms latency with room for its slow tail.
const (
	maxInFlight     = 64
	trafficTimeout  = 2 * time.Second
	maxRPS          = 1000
	latencyRingSize = 2000
)

// TrafficStats summarises the requests sent by Traffic, over every call so far.
type TrafficStats struct {
	// Requests is how many requests completed (answered or failed).
	Requests int64
	// Errors counts 5xx answers and transport errors (refused, reset, timed out).
	Errors int64
	// P50 and P99 are latency percentiles of the recent answered requests (the last 2,000).
	P50, P99 time.Duration
}

// trafficRequest is one kind of request in the traffic mix.
type trafficRequest struct {
	method, path, body string
	weight             int
}

// trafficMix is the shape of the background traffic: mostly reads.
var trafficMix = []trafficRequest{
	{method: http.MethodGet, path: "/api/v1/orders", weight: 6},
	{method: http.MethodGet, path: "/api/v1/status", weight: 1},
	{method: http.MethodPost, path: "/api/v1/orders", body: `{"sku":"SKU-1042","quantity":2}`, weight: 3},
}

// Traffic sends realistic background traffic to the service's API until ctx ends: about
// rps requests per second (at least 1, at most 1000), at most 64 in flight, each with a 2s
// timeout. Every request hits an instrumented API route, so http_requests_total grows. It returns once ctx has ended and every request in flight has finished; the
// results show in Stats.
func (s *Service) Traffic(ctx context.Context, rps int) {
	rps = min(max(rps, 1), maxRPS)
	transport := &http.Transport{MaxIdleConnsPerHost: maxInFlight, IdleConnTimeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	var total int
	for _, m := range trafficMix {
		total += m.weight
	}
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(time.Second / time.Duration(rps))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		select {
		case <-ctx.Done():
			return
		case slots <- struct{}{}:
		}
		req := pick(trafficMix, s.intn(total))
		wg.Go(func() {
			defer func() { <-slots }()
			s.sendOne(ctx, client, req)
		})
	}
}

// pick returns the request whose weight range holds n, for n in [0, total weight).
func pick(mix []trafficRequest, n int) trafficRequest {
	for _, m := range mix {
		if n < m.weight {
			return m
		}
		n -= m.weight
	}
	return mix[len(mix)-1]
}

// sendOne sends one request and records its outcome. A request cut short because the
// traffic itself stopped is not counted.
func (s *Service) sendOne(ctx context.Context, client *http.Client, m trafficRequest) {
	rctx, cancel := context.WithTimeout(ctx, trafficTimeout)
	defer cancel()
	var body io.Reader
	if m.body != "" {
		body = strings.NewReader(m.body)
	}
	req, err := http.NewRequestWithContext(rctx, m.method, s.URL()+m.path, body)
	if err != nil {
		s.traffic.record(0, false, true)
		return
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	began := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err != nil && ctx.Err() != nil {
		return
	}
	if err != nil {
		s.traffic.record(0, false, true)
		return
	}
	s.traffic.record(time.Since(began), true, resp.StatusCode >= 500)
}

// Stats summarises the traffic sent by Traffic so far.
func (s *Service) Stats() TrafficStats { return s.traffic.snapshot() }

// trafficStats counts requests and keeps the latest latencies in a ring.
type trafficStats struct {
	mu        sync.Mutex
	requests  int64
	errors    int64
	latencies []time.Duration // ring of the latest answered requests
	next      int
}

func newTrafficStats(size int) trafficStats {
	return trafficStats{latencies: make([]time.Duration, 0, size)}
}

// record counts one request; answered ones contribute their latency.
func (t *trafficStats) record(d time.Duration, answered, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if failed {
		t.errors++
	}
	if !answered {
		return
	}
	if len(t.latencies) < cap(t.latencies) {
		t.latencies = append(t.latencies, d)
		return
	}
	t.latencies[t.next] = d
	t.next = (t.next + 1) % len(t.latencies)
}

// snapshot computes the stats; percentiles use the nearest rank.
func (t *trafficStats) snapshot() TrafficStats {
	t.mu.Lock()
	st := TrafficStats{Requests: t.requests, Errors: t.errors}
	sorted := slices.Clone(t.latencies)
	t.mu.Unlock()
	slices.Sort(sorted)
	st.P50, st.P99 = percentile(sorted, 50), percentile(sorted, 99)
	return st
}

// percentile is the nearest-rank p-th percentile of sorted latencies, 0 when there are none.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}
