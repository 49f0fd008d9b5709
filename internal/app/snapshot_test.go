package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
)

// TestStartSnapshotIsTheScrapeBaseline runs `start` then `run` against the demo service's
// /metrics with no Prometheus: the run judges latency and throughput against what start
// sampled, instead of turning those checks off.
func TestStartSnapshotIsTheScrapeBaseline(t *testing.T) {
	t.Parallel()
	svc, err := demo.Start(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Traffic(ctx, 300) }()
	t.Cleanup(func() { stop(); <-done })

	e := newTestEnv(t, map[string]string{"INPUT_METRICS_URL": svc.URL() + "/metrics", "INPUT_ENVIRONMENT": "staging", "INPUT_BASELINE": "2s"})
	if code := e.run(t.Context(), "start"); code != ExitOK {
		t.Fatalf("start: exit %d\n%s", code, e.stdout.String())
	}
	if out := e.stdout.String(); !strings.Contains(out, "saved to "+filepath.Join(e.dir, ".deploywatch", "baseline-staging.json")) ||
		!strings.Contains(out, "since the old processes started; throughput") {
		t.Fatalf("no snapshot saved:\n%s", e.stdout.String())
	}
	e.stdout.Reset()
	if code := e.run(t.Context(), "run", "--schedule", "6s", "--interval", "500ms", "--cooldown", "0s"); code != ExitOK {
		t.Fatalf("run: exit %d\n%s", code, e.stdout.String())
	}
	if out := e.stdout.String(); strings.Contains(out, "check is off") {
		t.Errorf("a check was turned off despite the snapshot:\n%s", out)
	}
	var rep struct {
		Checks []struct {
			Name string `json:"name"`
			Last *struct {
				Metric *struct {
					Baseline *float64 `json:"baseline"`
				} `json:"metric"`
			} `json:"last"`
		} `json:"checks"`
	}
	b, err := os.ReadFile(filepath.Join(e.dir, "deploywatch-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	baselines := map[string]bool{}
	for _, c := range rep.Checks {
		baselines[c.Name] = c.Last != nil && c.Last.Metric != nil && c.Last.Metric.Baseline != nil
	}
	for _, name := range []string{"error rate", "p99 latency", "throughput"} {
		if !baselines[name] {
			t.Errorf("%s has no baseline in the report: %v", name, baselines)
		}
	}
	// Another environment's snapshot is not this one's baseline.
	e.stdout.Reset()
	e.vars["INPUT_ENVIRONMENT"] = "production"
	if code := e.run(t.Context(), "run", "--schedule", "1s", "--interval", "500ms", "--cooldown", "0s"); code == ExitInvalid {
		t.Fatalf("run: exit %d", code)
	}
	// Without its own snapshot, production's baseline is the run's first second (the demo
	// exposes no process start), and the run says so.
	if out := e.stdout.String(); !strings.Contains(out, "baseline: the first 1s of the run") || strings.Contains(out, "41,200") {
		t.Errorf("a staging snapshot served production:\n%s", out)
	}
}

// TestRunWithoutSnapshotUsesOldProcessCounters: with no start snapshot, a target whose
// process was up before the baseline window that ends at the run's start holds the old
// version's traffic in its counters: the run takes them as the baseline and says so.
func TestRunWithoutSnapshotUsesOldProcessCounters(t *testing.T) {
	t.Parallel()
	started := time.Now().Add(-2 * time.Hour)
	exposition := "# TYPE http_requests_total counter\n" +
		"http_requests_total{code=\"200\"} 41159\nhttp_requests_total{code=\"500\"} 41\n" +
		"# TYPE http_request_duration_seconds histogram\n" +
		"http_request_duration_seconds_bucket{le=\"0.1\"} 41000\nhttp_request_duration_seconds_bucket{le=\"+Inf\"} 41200\n" +
		"http_request_duration_seconds_sum 2000\nhttp_request_duration_seconds_count 41200\n" +
		"# TYPE process_start_time_seconds gauge\n" + fmt.Sprintf("process_start_time_seconds %d\n", started.Unix())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, exposition) }))
	t.Cleanup(srv.Close)
	e := newTestEnv(t, map[string]string{"INPUT_METRICS_URL": srv.URL + "/metrics"})
	e.run(t.Context(), "run", "--schedule", "1s", "--interval", "500ms", "--cooldown", "0s")
	out := e.stdout.String()
	for _, want := range []string{
		"baseline: 41,200 requests, 41 errors, p99 99.48ms since the old processes started; throughput from the run's first 1s (the counters at the run's first scrape)",
		"p99 latency", "throughput",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "check is off") {
		t.Errorf("a check was turned off:\n%s", out)
	}
}

// TestRunWithoutSnapshotDistrustsYoungProcesses: `run` starts after the deploy, so a
// process up for less than the baseline window before the run may be the new version:
// its counters are not taken as the old version's, and the run says why.
func TestRunWithoutSnapshotDistrustsYoungProcesses(t *testing.T) {
	t.Parallel()
	exposition := "# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 500\n" +
		"# TYPE process_start_time_seconds gauge\n" + fmt.Sprintf("process_start_time_seconds %d\n", time.Now().Add(-10*time.Minute).Unix())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, exposition) }))
	t.Cleanup(srv.Close)
	e := newTestEnv(t, map[string]string{"INPUT_METRICS_URL": srv.URL + "/metrics"})
	e.run(t.Context(), "run", "--schedule", "1s", "--interval", "500ms", "--cooldown", "0s")
	out := e.stdout.String()
	want := "baseline: the first 1s of the run (1 of 1 targets started less than 30m before the run, so they may be the new version)"
	if !strings.Contains(out, want) {
		t.Errorf("log lacks %q:\n%s", want, out)
	}
	if strings.Contains(out, "since the old processes started") {
		t.Errorf("a 10-minute-old process was taken for the old version:\n%s", out)
	}
}
