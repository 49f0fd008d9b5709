package demo

import (
	"context"
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
