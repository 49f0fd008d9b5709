package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	if !strings.Contains(e.stdout.String(), "saved to "+filepath.Join(e.dir, ".deploywatch", "baseline-staging.json")) {
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
	if !strings.Contains(e.stdout.String(), "throughput check is off") {
		t.Errorf("a staging snapshot served production:\n%s", e.stdout.String())
	}
}
