package demo

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serveDirect calls the handler without a network, so it runs inside a synctest bubble on
// the fake clock.
func serveDirect(s *Service, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// serveOrDrop calls the handler as net/http would, reporting whether it dropped the
// request (the ErrAbortHandler panic net/http turns into a closed connection).
func serveOrDrop(s *Service, w http.ResponseWriter, r *http.Request) (dropped bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			dropped = true
		}
	}()
	s.ServeHTTP(w, r)
	return false
}

func TestInfoTimes(t *testing.T) {
	t.Parallel()
	// The bubble's clock starts at 2000-01-01T00:00:00Z.
	tests := []struct {
		name string
		run  func(s *Service)
		want string
	}{
		{
			name: "deploy_resets_deployed_at_and_uptime",
			run: func(s *Service) {
				time.Sleep(10 * time.Second)
				s.Deploy(newRelease)
				time.Sleep(12300 * time.Millisecond)
			},
			want: `{"version":"1.4.2","commit":"` + newRelease.Commit + `","deployed_at":"2000-01-01T00:00:10Z","uptime_seconds":12.3}`,
		},
		{
			name: "version_fault_reports_the_old_process",
			run: func(s *Service) {
				time.Sleep(10 * time.Second)
				s.Deploy(newRelease)
				s.SetFault(FaultVersion)
				time.Sleep(5 * time.Second)
			},
			want: `{"version":"1.4.1","commit":"` + oldRelease.Commit + `","deployed_at":"2000-01-01T00:00:00Z","uptime_seconds":15}`,
		},
		{
			name: "restart_after_crash_resets_uptime_only",
			run: func(s *Service) {
				s.Deploy(newRelease)
				time.Sleep(20 * time.Second)
				s.SetFault(FaultCrash)
				time.Sleep(3 * time.Second)
				s.SetFault(FaultNone)
				time.Sleep(2 * time.Second)
			},
			want: `{"version":"1.4.2","commit":"` + newRelease.Commit + `","deployed_at":"2000-01-01T00:00:00Z","uptime_seconds":2}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newService(Options{Initial: oldRelease}, 1)
				tc.run(s)
				rec := serveDirect(s, http.MethodGet, "/health/info")
				if rec.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200", rec.Code)
				}
				if diff := cmp.Diff(decode(t, tc.want), decode(t, rec.Body.String())); diff != "" {
					t.Errorf("info (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestSlowAddsLatency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fault    Fault
		min, max time.Duration
	}{
		{name: "healthy_is_fast", fault: FaultNone, min: 0, max: 100 * time.Millisecond},
		{name: "slow_takes_1_5s_more", fault: FaultSlow, min: slowDelay, max: slowDelay + 100*time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newService(Options{}, 1)
				s.SetFault(tc.fault)
				for _, p := range []string{"/health/live", "/health/ready", "/api/v1/status"} {
					began := time.Now()
					rec := serveDirect(s, http.MethodGet, p)
					took := time.Since(began)
					if rec.Code != http.StatusOK {
						t.Errorf("%s = %d, want 200", p, rec.Code)
					}
					if took < tc.min || took > tc.max {
						t.Errorf("%s took %v on the fake clock, want %v..%v", p, took, tc.min, tc.max)
					}
				}
			})
		})
	}
}

func TestHangReleases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		release  func(s *Service)
		wantCode int
		wantBody string
	}{
		{name: "fault_change_answers_with_the_new_state",
			release: func(s *Service) { s.SetFault(FaultReadiness) }, wantCode: http.StatusServiceUnavailable,
			wantBody: `{"status":"not_ready","checks":{"database":"error: connection pool exhausted","redis":"ok"}}`},
		{name: "stop_drops_the_request",
			release: func(s *Service) { s.Stop() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newService(Options{}, 1)
				s.SetFault(FaultHang)
				rec := httptest.NewRecorder()
				done := make(chan struct{})
				var aborted bool
				go func() {
					defer close(done)
					aborted = serveOrDrop(s, rec, httptest.NewRequest(http.MethodGet, "/health/ready", nil))
				}()
				time.Sleep(time.Hour)
				synctest.Wait()
				select {
				case <-done:
					t.Fatal("handler answered while hung")
				default:
				}
				tc.release(s)
				<-done
				if aborted != (tc.wantBody == "") {
					t.Errorf("handler aborted %v, want %v", aborted, tc.wantBody == "")
				}
				if tc.wantBody == "" {
					if rec.Body.Len() != 0 {
						t.Errorf("dropped request got a body: %q", rec.Body.String())
					}
					return
				}
				if rec.Code != tc.wantCode {
					t.Errorf("status = %d, want %d", rec.Code, tc.wantCode)
				}
				if diff := cmp.Diff(decode(t, tc.wantBody), decode(t, rec.Body.String())); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			})
		})
	}
}
