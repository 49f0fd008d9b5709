package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// healthProbes are the requests a monitor sends that the metric-only faults must not touch.
var healthProbes = []struct{ method, path string }{
	{http.MethodGet, "/health/live"},
	{http.MethodGet, "/health/ready"},
	{http.MethodGet, "/health/info"},
	{http.MethodPost, "/auth/health"},
	{http.MethodGet, "/api/v1/status"},
}

func TestErrorsFault(t *testing.T) {
	t.Parallel()
	const n = 20000 // enough for a band of about ±10% around the rate
	tests := []struct {
		name string
		set  bool // call SetErrorRate(rate); otherwise the default applies
		rate float64
	}{
		{name: "default_eight_percent", rate: defaultErrorRate},
		{name: "five_percent", set: true, rate: 0.05},
		{name: "zero_leaves_the_background_rate", set: true, rate: 0},
		{name: "all", set: true, rate: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) { // the fake clock skips the drawn latencies
				s := newService(Options{}, 3)
				if tc.set {
					s.SetErrorRate(tc.rate)
				}
				s.SetFault(FaultErrors)
				codes := map[int]int{}
				for i := range n {
					method := http.MethodGet
					if i%2 == 1 {
						method = http.MethodPost
					}
					rec := serveDirect(s, method, "/api/v1/orders")
					codes[rec.Code]++
					if rec.Code == http.StatusInternalServerError {
						var body errorBody
						if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
							t.Fatalf("500 body = %q, want {\"error\":\"...\"}", rec.Body.String())
						}
					}
				}
				// A request fails by the fault or, failing that, by the background rate;
				// 4 standard deviations of a binomial is a band no fixed seed leaves by chance.
				p := tc.rate + (1-tc.rate)*baseErrorRate
				mean, sd := n*p, math.Sqrt(n*p*(1-p))
				if got := float64(codes[http.StatusInternalServerError]); got < mean-4*sd-1 || got > mean+4*sd+1 {
					t.Errorf("%v of %d orders requests failed, want %.0f±%.0f", got, n, mean, 4*sd)
				}
				if others := n - codes[http.StatusInternalServerError] - codes[http.StatusOK] - codes[http.StatusCreated]; others != 0 {
					t.Errorf("status codes %v, want only 200, 201 and 500", codes)
				}
				for _, p := range healthProbes {
					for range 50 {
						if rec := serveDirect(s, p.method, p.path); rec.Code != http.StatusOK {
							t.Fatalf("%s %s = %d under FaultErrors, want 200", p.method, p.path, rec.Code)
						}
					}
				}
				got := samples(scrapeDirect(t, s))
				failed := got[`http_requests_total{method="GET",route="/api/v1/orders",status="500"}`] +
					got[`http_requests_total{method="POST",route="/api/v1/orders",status="500"}`]
				if int(failed) != codes[http.StatusInternalServerError] {
					t.Errorf("metrics count %v failed orders requests, the answers %d", failed, codes[http.StatusInternalServerError])
				}
				for _, p := range healthProbes {
					key := fmt.Sprintf(`http_requests_total{method=%q,route=%q,status="200"}`, p.method, p.path)
					if got[key] != 50 {
						t.Errorf("%s = %v, want 50", key, got[key])
					}
				}
			})
		})
	}
}

func TestLatencyFault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		set    bool // call SetLatencyFactor(factor); otherwise the default applies
		factor float64
	}{
		{name: "default_three_times", factor: defaultLatencyFactor},
		{name: "five_times", set: true, factor: 5},
	}
	requests := []struct {
		method, path string
		api          bool
	}{
		{http.MethodGet, "/health/live", false},
		{http.MethodGet, "/health/ready", false},
		{http.MethodGet, "/health/info", false},
		{http.MethodPost, "/auth/health", false},
		{http.MethodGet, "/api/v1/status", true},
		{http.MethodGet, "/api/v1/orders", true},
		{http.MethodPost, "/api/v1/orders", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				// Same seed, same requests: both services draw the same latencies, so the
				// healthy one's answer times are the drawn latencies of the slowed one.
				healthy, slowed := newService(Options{}, 5), newService(Options{}, 5)
				if tc.set {
					slowed.SetLatencyFactor(tc.factor)
				}
				slowed.SetFault(FaultLatency)
				took := func(s *Service, method, path string) time.Duration {
					began := time.Now()
					if rec := serveDirect(s, method, path); rec.Code >= 300 {
						t.Fatalf("%s %s = %d, want success", method, path, rec.Code)
					}
					return time.Since(began)
				}
				spent := map[string]time.Duration{} // by route, on the slowed service
				for range 30 {
					for _, r := range requests {
						drawn, got := took(healthy, r.method, r.path), took(slowed, r.method, r.path)
						want := drawn
						if r.api {
							want = time.Duration(float64(drawn) * tc.factor)
						}
						if got != want {
							t.Fatalf("%s %s took %v, want %v (drawn %v)", r.method, r.path, got, want, drawn)
						}
						spent[fmt.Sprintf(`http_request_duration_seconds_sum{method=%q,route=%q}`, r.method, r.path)] += got
					}
				}
				// The histogram records the answer time, simulated latency included.
				want := map[string]float64{}
				for k, d := range spent {
					want[k] = d.Seconds()
				}
				if diff := cmp.Diff(want, sums(scrapeDirect(t, slowed)), cmp.Comparer(func(a, b float64) bool {
					return math.Abs(a-b) < 1e-9
				})); diff != "" {
					t.Errorf("duration sums (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestFaultTuningIsClamped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		errorRate  float64
		factor     float64
		wantRate   float64
		wantFactor float64
	}{
		{name: "in_range", errorRate: 0.3, factor: 2.5, wantRate: 0.3, wantFactor: 2.5},
		{name: "below", errorRate: -1, factor: 0.5, wantRate: 0, wantFactor: 1},
		{name: "above", errorRate: 2, factor: 1e6, wantRate: 1, wantFactor: maxLatencyFactor},
		{name: "nan", errorRate: math.NaN(), factor: math.NaN(), wantRate: 0, wantFactor: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newService(Options{}, 1)
			s.SetErrorRate(tc.errorRate)
			s.SetLatencyFactor(tc.factor)
			s.mu.Lock()
			rate, factor := s.errorRate, s.latencyFactor
			s.mu.Unlock()
			if rate != tc.wantRate || factor != tc.wantFactor {
				t.Errorf("error rate %v, factor %v; want %v, %v", rate, factor, tc.wantRate, tc.wantFactor)
			}
		})
	}
}
