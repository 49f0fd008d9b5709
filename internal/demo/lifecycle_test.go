package demo

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hangGuard bounds waits that would otherwise deadlock a broken test; it is not a
// performance assertion.
const hangGuard = 5 * time.Second

func TestCrashRefusesAndHealRestartsOnTheSameURL(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	url := s.URL()

	// An open connection with a request the service is sitting on.
	s.SetFault(FaultHang)
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /health/live HTTP/1.1\r\nHost: demo\r\n\r\n")); err != nil {
		t.Fatalf("write: %v", err)
	}

	s.SetFault(FaultCrash)
	if err := conn.SetReadDeadline(time.Now().Add(hangGuard)); err != nil {
		t.Fatalf("deadline: %v", err)
	}
	n, err := conn.Read(make([]byte, 512))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("open connection read %d bytes, err %v; want it closed by the crash", n, err)
	}

	_, err = http.Get(url + "/health/live")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET after crash: err = %v, want connection refused", err)
	}
	if s.Fault() != FaultCrash {
		t.Errorf("Fault() = %q, want crash", s.Fault())
	}

	s.SetFault(FaultNone)
	if s.URL() != url {
		t.Errorf("URL after heal = %q, want %q", s.URL(), url)
	}
	got := mustDo(t, http.MethodGet, url+"/health/live")
	if got.code != http.StatusOK {
		t.Errorf("GET after heal = %d, want 200", got.code)
	}
}

func TestOtherFaultAfterCrashRestarts(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	s.SetFault(FaultCrash)
	s.SetFault(FaultReadiness)
	got := mustDo(t, http.MethodGet, s.URL()+"/health/ready")
	if got.code != http.StatusServiceUnavailable {
		t.Errorf("ready after restart into readiness fault = %d, want 503", got.code)
	}
}

func TestHangTimesOutAndStopReleases(t *testing.T) {
	t.Parallel()
	s, err := start(Options{}, 1)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	s.SetFault(FaultHang)

	client := &http.Client{Timeout: 200 * time.Millisecond}
	_, err = client.Get(s.URL() + "/health/live")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("GET while hung: err = %v, want a client timeout", err)
	}

	// A request still waiting when Stop is called.
	waiting := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/health/ready")
		if err == nil {
			resp.Body.Close()
		}
		waiting <- err
	}()

	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop: %v", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Stop did not return while a handler was hung")
	}
	select {
	case err := <-waiting:
		if err == nil {
			t.Error("hung request got an answer, want the connection dropped")
		}
	case <-time.After(hangGuard):
		t.Fatal("hung request never ended after Stop")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := (&http.Client{Timeout: hangGuard}).Get(s.URL() + "/health/live"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET after Stop: err = %v, want connection refused", err)
	}
}

func TestSetFaultAfterStopDoesNotListen(t *testing.T) {
	t.Parallel()
	s, err := start(Options{}, 1)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	s.SetFault(FaultCrash)
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	s.SetFault(FaultNone)
	if _, err := http.Get(s.URL() + "/health/live"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET after Stop and heal: err = %v, want connection refused", err)
	}
}

func TestLogfOneLinePerChange(t *testing.T) {
	t.Parallel()
	var rec logRecorder
	s := newService(Options{Initial: oldRelease, Logf: rec.logf}, 1)
	s.SetFault(FaultReadiness)
	s.SetFault(FaultReadiness)
	s.SetFault(FaultNone)
	s.Deploy(newRelease)
	want := []string{
		"demo: fault none -> readiness",
		"demo: fault readiness -> none",
		"demo: deployed 1.4.2 (" + newRelease.Commit[:7] + ")",
	}
	if diff := cmp.Diff(want, rec.get()); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
}

func TestStartValidatesAddress(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { busy.Close() }) // parallel subtests run after this function returns
	tests := []struct {
		name    string
		addr    string
		wantErr string
	}{
		{name: "not_loopback", addr: "0.0.0.0:0", wantErr: "host must be loopback"},
		{name: "remote", addr: "10.1.2.3:8000", wantErr: "host must be loopback"},
		{name: "no_port", addr: "127.0.0.1", wantErr: "missing port"},
		{name: "bad_port", addr: "127.0.0.1:99999", wantErr: "bad port"},
		{name: "port_in_use", addr: busy.Addr().String(), wantErr: "address already in use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Start(Options{Addr: tc.addr})
			if err == nil {
				s.Stop()
				t.Fatalf("Start(%q) succeeded, want error", tc.addr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Start(%q) error = %v, want it to mention %q", tc.addr, err, tc.wantErr)
			}
		})
	}
}

func TestLoopbackAddr(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{name: "empty", in: "", want: "127.0.0.1:0"},
		{name: "port_only", in: ":8080", want: "127.0.0.1:8080"},
		{name: "localhost", in: "localhost:0", want: "localhost:0"},
		{name: "ipv6_loopback", in: "[::1]:0", want: "[::1]:0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := loopbackAddr(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("loopbackAddr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestConcurrentFaultChanges(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	client := &http.Client{Timeout: 300 * time.Millisecond}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, p := range []string{"/health/ready", "/health/info", "/api/v1/status"} {
					if resp, err := client.Get(s.URL() + p); err == nil {
						resp.Body.Close()
					}
				}
			}
		})
	}
	faults := []Fault{FaultReadiness, FaultCrash, FaultVersion, FaultHang, FaultSmoke, FaultBadInfo,
		FaultCrash, FaultDependency, FaultNone}
	for range 3 {
		for _, f := range faults {
			s.SetFault(f)
			s.Deploy(newRelease)
			if resp, err := client.Get(s.URL() + "/health/live"); err == nil { // interleave with the workers
				resp.Body.Close()
			}
		}
	}
	close(done)
	wg.Wait()
	if got := mustDo(t, http.MethodGet, s.URL()+"/health/live"); got.code != http.StatusOK {
		t.Errorf("live after the storm = %d, want 200", got.code)
	}
}
