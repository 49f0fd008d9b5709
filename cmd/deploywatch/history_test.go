package main_test

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/testutil/promserver"
)

// queueDepth is the usual value of the test's gauge at t: 40 at night, 80 from 08:00 to
// 20:00 UTC, 30 at weekends, with a little noise. A week of it is the history.
func queueDepth(t time.Time, i int) float64 {
	v := 40.0
	switch {
	case t.Weekday() == time.Saturday || t.Weekday() == time.Sunday:
		v = 30
	case t.Hour() >= 8 && t.Hour() < 20:
		v = 80
	}
	return v * (1 + 0.04*math.Sin(float64(i)*1.7))
}

// weekOfQueue is a week of the gauge every 5 minutes, ending at end, as OpenMetrics.
func weekOfQueue(end time.Time) string {
	var b strings.Builder
	b.WriteString("# TYPE app_queue_depth gauge\n")
	i := 0
	for t := end.Add(-7 * 24 * time.Hour); !t.After(end); t = t.Add(5 * time.Minute) {
		fmt.Fprintf(&b, "app_queue_depth{job=%q,instance=\"history\"} %g %d\n", promserver.Job, queueDepth(t.UTC(), i), t.Unix())
		i++
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// gauge is a service exposing app_queue_depth with a value the test sets.
type gauge struct {
	*httptest.Server
	milli atomic.Int64
}

func startGauge(t *testing.T, v float64) *gauge {
	t.Helper()
	g := &gauge{}
	g.set(v)
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE app_queue_depth gauge\napp_queue_depth %g\n", float64(g.milli.Load())/1000)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gauge) set(v float64) { g.milli.Store(int64(v * 1000)) }

// TestHistoryBandsOnRealPrometheus backfills a week of a metric into the real Prometheus
// (promtool tsdb create-blocks-from openmetrics), then runs the binary with a check that
// learns from that history: the usual value passes, an unusual one is a finding that
// states the band it left, and the summary sets the run beside the last healthy deploy.
func TestHistoryBandsOnRealPrometheus(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	usual := queueDepth(now, 0)
	tests := []struct {
		name       string
		value      float64
		wantStatus string
		wantLog    string
	}{
		{name: "usual_value_passes", value: usual, wantStatus: "healthy"},
		{name: "unusual_value_is_a_finding", value: usual * 6, wantStatus: "degraded", wantLog: "queue depth vs history: "},
		// The detector finds a collapse as unusual as a surge, but the check's operator
		// says only a high value is bad: no finding.
		{name: "unusually_low_is_no_regression", value: usual / 6, wantStatus: "healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The gauge keeps its usual value until the deploy is being watched: the
			// history ends at the deploy, and what happens after it is the news.
			g := startGauge(t, usual)
			u, _ := url.Parse(g.URL)
			prom := promserver.Start(t, promserver.Options{Targets: []string{u.Host}, Backfill: weekOfQueue(now.Add(-3 * time.Minute))})
			prom.WaitFor(t, `app_queue_depth{job="`+promserver.Job+`",instance="`+u.Host+`"}`, 30*time.Second)
			s := newStep(t, map[string]string{
				"prometheus_url": prom.URL, "config": "deploywatch.yml",
				"schedule": "2s,4s", "interval": "500ms", "cooldown": "0s",
			})
			writeConfig(t, s, `checks:
  - type: prometheus
    name: queue depth
    query: max(app_queue_depth{job="`+promserver.Job+`"})
    threshold: 100000
    anomaly: true
`)
			// The last healthy deploy of the environment, a day ago, in the deployment history.
			s.github.AddDeployment(githubtest.Deployment{SHA: strings.Repeat("c", 40), Environment: "production", Task: "deploy",
				CreatedAt: now.Add(-24 * time.Hour), Statuses: []githubtest.DeploymentStatus{{State: "success", Description: "healthy"}}})
			s.start()
			s.waitLog("Verify", 30*time.Second)
			g.set(tt.value)
			code := s.wait(60 * time.Second)
			log := s.stdout.String()
			outs := s.outputs()
			if outs["status"] != tt.wantStatus || code != 0 {
				t.Fatalf("exit %d status %q, want 0 %q\n%s", code, outs["status"], tt.wantStatus, log)
			}
			if strings.Contains(log, "queue depth vs history check is off") {
				t.Fatalf("the history check did not learn from the backfilled week:\n%s", log)
			}
			sum := s.summaryText()
			if tt.wantLog != "" {
				if !strings.Contains(log, tt.wantLog) {
					t.Errorf("log lacks %q:\n%s", tt.wantLog, log)
				}
				// The finding states the band it left: the usual range at this hour.
				if !strings.Contains(sum, "expected ") || !strings.Contains(sum, "at this hour on ") {
					t.Errorf("summary lacks the band:\n%s", sum)
				}
				// And the anomaly detector, warmed with the same week, explains its score.
				if !strings.Contains(sum, "anomaly score 1.00: beyond the range of its last ") {
					t.Errorf("summary lacks the anomaly finding:\n%s", sum)
				}
			}
			if !strings.Contains(sum, "Compared with the last healthy deploy (`ccccccc`") || !strings.Contains(sum, "| queue depth |") {
				t.Errorf("summary lacks the comparison with the last healthy deploy:\n%s", sum)
			}
		})
	}
}

// writeConfig writes the step's deploywatch.yml in its workspace.
func writeConfig(t *testing.T, s *step, yml string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(s.workspace, "deploywatch.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
}
