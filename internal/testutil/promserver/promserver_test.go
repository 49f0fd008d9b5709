package promserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// waitGenerously bounds waits on live scrapes: the first comes about 5 s after start.
const waitGenerously = 30 * time.Second

func TestBinary(t *testing.T) {
	t.Parallel()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err) // CI must have it: never skip
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "prometheus, version") {
		t.Errorf("%s --version = %q, %v", bin, out, err)
	}
}

func TestMissingProgramSaysHowToInstall(t *testing.T) {
	t.Parallel()
	_, err := find("deploywatch-no-such-program")
	if err == nil || !strings.Contains(err.Error(), "apt-get install -y prometheus") {
		t.Errorf("find of a missing program: err = %v, want the install hint", err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	promtool, err := find("promtool")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		targets  []string
		interval time.Duration
		want     string
	}{
		{name: "no_targets", interval: time.Second,
			want: "global:\n  scrape_interval: 1000ms\n  scrape_timeout: 1000ms\n  evaluation_interval: 1000ms\nscrape_configs: []\n"},
		{name: "two_targets", targets: []string{"127.0.0.1:8080", "localhost:9100"}, interval: 2500 * time.Millisecond,
			want: "global:\n  scrape_interval: 2500ms\n  scrape_timeout: 2500ms\n  evaluation_interval: 2500ms\n" +
				"scrape_configs:\n  - job_name: \"deploywatch-test\"\n    static_configs:\n      - targets:\n" +
				"          - \"127.0.0.1:8080\"\n          - \"localhost:9100\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := config(tt.targets, tt.interval)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			// The real judge of the file: promtool.
			file := filepath.Join(t.TempDir(), "prometheus.yml")
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(promtool, "check", "config", file).CombinedOutput(); err != nil {
				t.Errorf("promtool check config: %v\n%s", err, out)
			}
		})
	}
}

func TestStartWithoutTargets(t *testing.T) {
	t.Parallel()
	began := time.Now()
	s := Start(t, Options{})
	t.Logf("ready after %v", time.Since(began))
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want a loopback URL", s.URL)
	}
	s.WaitFor(t, "1", 5*time.Second)
	r, err := s.instant(t.Context(), "1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Data.ResultType != "scalar" || !strings.HasSuffix(string(r.Data.Result), `,"1"]`) {
		t.Errorf("query 1 answered %s", r.raw)
	}
}

func TestScrapesTarget(t *testing.T) {
	t.Parallel()
	var scrapes atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := scrapes.Add(1)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE deploywatch_test_requests_total counter\ndeploywatch_test_requests_total %d\n", n*10)
	}))
	defer target.Close()

	began := time.Now()
	s := Start(t, Options{Targets: []string{strings.TrimPrefix(target.URL, "http://")}})
	s.WaitFor(t, `up{job="deploywatch-test"} == 1`, waitGenerously)
	t.Logf("first scrape seen after %v", time.Since(began))
	s.WaitFor(t, `rate(deploywatch_test_requests_total{job="deploywatch-test"}[10s]) > 0`, waitGenerously)
	t.Logf("rate() non-empty after %v (%d scrapes)", time.Since(began), scrapes.Load())
	if scrapes.Load() < 2 {
		t.Errorf("target scraped %d times, rate() needs 2", scrapes.Load())
	}
}

func TestBackfill(t *testing.T) {
	t.Parallel()
	// Fixed timestamps in 2020, 10 s apart: 18 requests/s with status 200, 2/s with 503.
	start := time.Unix(1600000000, 0)
	var om strings.Builder
	om.WriteString("# TYPE demo_requests counter\n")
	for i := range 61 {
		ts := start.Unix() + int64(i)*10
		fmt.Fprintf(&om, "demo_requests_total{status=\"200\"} %d %d\n", i*180, ts)
		fmt.Fprintf(&om, "demo_requests_total{status=\"503\"} %d %d\n", i*20, ts)
	}
	om.WriteString("# EOF\n")
	s := Start(t, Options{Backfill: om.String()})

	const ratio = `sum(rate(demo_requests_total{status="503"}[1m])) / sum(rate(demo_requests_total[1m]))`
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{name: "inside_the_range", at: start.Add(10 * time.Minute), want: `[{"metric":{},"value":[1600000600,"0.1"]}]`},
		{name: "at_now_is_empty", want: `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := s.instant(t.Context(), ratio, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(r.Data.Result)); diff != "" {
				t.Errorf("result (-want +got):\n%s\nanswer: %s", diff, r.raw)
			}
		})
	}
}

func TestStopEndsTheProcess(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{})
	pid := s.cmd.Process.Pid
	s.Stop()
	s.Stop() // idempotent
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(%d, 0) after Stop = %v, want ESRCH", pid, err)
	}
	if st := s.cmd.ProcessState; st == nil || !st.Success() {
		t.Errorf("process state = %v, want a clean exit on SIGTERM", st)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err := s.get(ctx, "/-/ready"); err == nil {
		t.Errorf("%s still answers after Stop", s.URL)
	}
}

func TestRetriesTakenPort(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var calls atomic.Int64
	port := func() (int, error) {
		if calls.Add(1) == 1 {
			return taken.Addr().(*net.TCPAddr).Port, nil
		}
		return freePort()
	}
	s := start(t, Options{}, port)
	if calls.Load() != 2 {
		t.Errorf("port picked %d times, want 2 (one retry)", calls.Load())
	}
	if s.URL == "http://"+taken.Addr().String() {
		t.Errorf("URL %s is the taken port", s.URL)
	}
	r, err := s.instant(t.Context(), "1", time.Time{})
	if err != nil || r.Status != "success" {
		b, _ := json.Marshal(r.Data)
		t.Errorf("query after retry = %s, %v", b, err)
	}
}
