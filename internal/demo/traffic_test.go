package demo

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// runTraffic sends traffic for d and waits, under a hang guard, for Traffic to return.
func runTraffic(t *testing.T, s *Service, d time.Duration, rps int) TrafficStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Traffic(ctx, rps)
	}()
	select {
	case <-done:
	case <-time.After(d + hangGuard):
		t.Fatal("Traffic did not return after its context ended")
	}
	st := s.Stats()
	t.Logf("traffic for %v at %d rps: %+v", d, rps, st)
	return st
}

func TestTraffic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, st TrafficStats)
	}{
		{name: "healthy", fault: FaultNone, check: func(t *testing.T, st TrafficStats) {
			if st.Requests == 0 || st.Errors*10 > st.Requests {
				t.Errorf("stats %+v, want requests with few errors", st)
			}
			if st.P50 <= 0 || st.P99 < st.P50 {
				t.Errorf("percentiles P50 %v P99 %v, want 0 < P50 <= P99", st.P50, st.P99)
			}
		}},
		{name: "database_failing", fault: FaultReadiness, check: func(t *testing.T, st TrafficStats) {
			// About half the orders requests fail; none failing in dozens would be a 1e-6 fluke.
			if st.Errors == 0 || st.Errors == st.Requests {
				t.Errorf("stats %+v, want some requests failing", st)
			}
		}},
		{name: "crashed", fault: FaultCrash, check: func(t *testing.T, st TrafficStats) {
			if st.Requests == 0 || st.Errors != st.Requests || st.P50 != 0 {
				t.Errorf("stats %+v, want every request refused and no latencies", st)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startTest(t)
			s.SetFault(tc.fault)
			st := runTraffic(t, s, 300*time.Millisecond, 100)
			tc.check(t, st)
		})
	}
}

func TestTrafficHungServiceStopsOnCancel(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	s.SetFault(FaultHang)
	st := runTraffic(t, s, 100*time.Millisecond, 100)
	// Requests cut short by the end of the traffic are not failures of the service.
	if st.Requests != 0 || st.Errors != 0 {
		t.Errorf("stats %+v, want nothing counted for requests abandoned at the end", st)
	}
}

func TestTrafficCancelledContextSendsNothing(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s.Traffic(ctx, 100)
	if st := s.Stats(); st.Requests != 0 {
		t.Errorf("stats %+v after a cancelled context, want no requests", st)
	}
}

// TestTrafficAt500RPS is not parallel on purpose: it counts the process's goroutines, so no
// other test may be running (parallel tests start only after every sequential one).
func TestTrafficAt500RPS(t *testing.T) {
	const (
		rps = 500
		d   = 300 * time.Millisecond
		// The ticker cannot fire more often than this; cancelled requests are not counted.
		most = int64(rps*d/time.Second) + 1
	)
	s := startTest(t)
	baseline := runtime.NumGoroutine()
	st := runTraffic(t, s, d, rps)

	// A behaviour check, not a performance one: half the schedule shows the generator runs
	// at hundreds of requests per second; TestTrafficInFlightBound pins the bound itself.
	if st.Requests < most/2 || st.Requests > most {
		t.Errorf("%d requests in %v at %d rps, want %d..%d", st.Requests, d, rps, most/2, most)
	}
	if st.Errors*10 > st.Requests {
		t.Errorf("stats %+v, want few errors from a healthy service", st)
	}
	// Every answered request was recorded before its answer left the server.
	var api float64
	for key, v := range samples(scrape(t, s)) {
		if !strings.HasPrefix(key, requestsTotal+"{") {
			continue
		}
		if !strings.Contains(key, `route="/api/v1/`) {
			t.Errorf("traffic hit %s, want only API routes", key)
		}
		api += v
	}
	if api < float64(st.Requests) || api > float64(most) {
		t.Errorf("http_requests_total sums to %v, want %d..%d", api, st.Requests, most)
	}

	if n := trafficGoroutines(); n != 0 {
		t.Errorf("%d traffic goroutines still running after Traffic returned", n)
	}
	// Connections close asynchronously once Traffic has closed them; wait for them under a
	// hang guard, then require the count back where it started.
	deadline := time.Now().Add(hangGuard)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after Traffic, %d before:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// trafficGoroutines counts goroutines inside the traffic generator.
func trafficGoroutines() int {
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(stacks, "demo.(*Service).Traffic") + strings.Count(stacks, "demo.(*Service).sendOne")
}

// TestTrafficInFlightBound fills the in-flight bound against a hung service: the generator
// must reach it (500 rps needs that many) and never pass it. Not parallel: it counts the
// process's hung handlers.
func TestTrafficInFlightBound(t *testing.T) {
	s := startTest(t)
	s.SetFault(FaultHang)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Traffic(ctx, 500)
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(hangGuard)
	for hungHandlers() < maxInFlight && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// At 500 rps, a generator without a bound would add ~10 requests per 20ms poll.
	for range 10 {
		if n := hungHandlers(); n != maxInFlight {
			t.Fatalf("%d requests in flight, want the bound %d", n, maxInFlight)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hungHandlers counts the service's handlers waiting out FaultHang.
func hungHandlers() int {
	buf := make([]byte, 4<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "demo.(*Service).waitWhileHung")
}
