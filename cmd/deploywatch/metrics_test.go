package main_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/testutil/promserver"
)

// The metric end-to-end tests run the binary against a REAL Prometheus (the Debian
// package, installed by `make test` when missing) scraping the demo service every second.
// The pre-deploy baseline comes from history backfilled into Prometheus with promtool:
// 30 minutes of a healthy service, ending two minutes ago.

// backfill writes 30 minutes of a healthy service's metrics as OpenMetrics: 100 requests/s,
// 0.1% errors, latency with a p99 of about 100 ms, one sample every 10 s.
func backfill(end time.Time) string {
	return history(window{end: end, errShare: func(int) float64 { return 0.001 }, share: healthyShare})
}

// healthyShare is the cumulative share of requests at or under each bound of
// histogramBounds: a p99 of 100 ms.
var (
	histogramBounds = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	healthyShare    = []float64{.01, .05, .45, .85, .99, .999, 1, 1, 1, 1, 1}
)

// window is 30 minutes of backfilled traffic at 100 requests/s ending at end: errShare
// gives the share of 500s of each 10 s step, share the latency histogram.
type window struct {
	end      time.Time
	errShare func(step int) float64
	share    []float64
}

// history writes windows (in time order) as OpenMetrics; each window's counters start at
// zero, as after a restart.
func history(windows ...window) string {
	var b strings.Builder
	const step, n, rps = 10, 180, 100 // seconds, samples, requests/s
	labels := `job="` + promserver.Job + `",instance="history",method="GET",route="/api/v1/orders"`
	b.WriteString("# TYPE http_requests counter\n")
	for _, w := range windows {
		start := w.end.Add(-n * step * time.Second)
		errs := 0.0
		for i := range n + 1 {
			ts := start.Add(time.Duration(i*step) * time.Second).Unix()
			total := float64(i * step * rps)
			if i > 0 {
				errs += step * rps * w.errShare(i)
			}
			fmt.Fprintf(&b, "http_requests_total{%s,status=\"200\"} %g %d\n", labels, total-errs, ts)
			fmt.Fprintf(&b, "http_requests_total{%s,status=\"500\"} %g %d\n", labels, errs, ts)
		}
	}
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for _, w := range windows {
		start := w.end.Add(-n * step * time.Second)
		for i := range n + 1 {
			ts := start.Add(time.Duration(i*step) * time.Second).Unix()
			total := float64(i * step * rps)
			for j, ub := range histogramBounds {
				fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=\"%s\"} %g %d\n", labels, strconv.FormatFloat(ub, 'g', -1, 64), math.Round(total*w.share[j]), ts)
			}
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %g %d\n", labels, total, ts)
			fmt.Fprintf(&b, "http_request_duration_seconds_count{%s} %g %d\n", labels, total, ts)
			fmt.Fprintf(&b, "http_request_duration_seconds_sum{%s} %g %d\n", labels, total*0.03, ts)
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// promService is a demo service with traffic, scraped by a real Prometheus that also holds
// its history.
func promService(t *testing.T) (*demo.Service, *promserver.Server) {
	t.Helper()
	return promServiceWith(t, backfill(time.Now().Add(-2*time.Minute)))
}

// promServiceWith is promService with the given history (OpenMetrics) backfilled.
func promServiceWith(t *testing.T, om string) (*demo.Service, *promserver.Server) {
	t.Helper()
	svc := service(t)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Traffic(ctx, 100) }()
	t.Cleanup(func() { stop(); <-done })
	u, err := url.Parse(svc.URL())
	if err != nil {
		t.Fatal(err)
	}
	prom := promserver.Start(t, promserver.Options{Targets: []string{u.Host}, Backfill: om})
	// Live scrapes begin ~5 s after Prometheus starts; the run needs two of them.
	prom.WaitFor(t, `rate(http_requests_total{job="`+promserver.Job+`",instance="`+u.Host+`"}[5s]) > 0`, 30*time.Second)
	return svc, prom
}

func metricInputs(prom *promserver.Server) map[string]string {
	return map[string]string{
		"prometheus_url": prom.URL, "selector": `job="` + promserver.Job + `"`,
		// A round every second, checkpoints at 2s and 20s: the run lasts about 22 s unless a
		// failure ends it first.
		"schedule": "2s,20s", "interval": "1s", "cooldown": "2s", "baseline": "30m",
	}
}

func TestMetricsWithPrometheus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      demo.Fault
		with       map[string]string
		wantExit   int
		wantStatus string
		wantTrue   []string
		wantLog    string
	}{
		{name: "error_spike_fails_fast", fault: demo.FaultErrors, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"error_rate_exceeded"}, wantLog: annotation("error", "deploywatch: critical error rate")},
		{name: "latency_regression_is_a_warning", fault: demo.FaultLatency, wantExit: 0, wantStatus: "degraded",
			wantTrue: []string{"latency_exceeded"}, wantLog: annotation("warning", "deploywatch: warning p99 latency")},
		{name: "latency_regression_fails_at_fail_on_warning", fault: demo.FaultLatency, with: map[string]string{"fail_on": "warning"},
			wantExit: 1, wantStatus: "failed", wantTrue: []string{"latency_exceeded"}},
		{name: "healthy_noisy_traffic_passes", fault: demo.FaultNone, wantExit: 0, wantStatus: "healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, prom := promService(t)
			with := metricInputs(prom)
			for k, v := range tt.with {
				with[k] = v
			}
			s := newStep(t, with)
			s.start()
			faultAt := time.Now().Add(4 * time.Second)
			timer := time.AfterFunc(time.Until(faultAt), func() { svc.SetFault(tt.fault) })
			t.Cleanup(func() { timer.Stop() })
			code := s.wait(90 * time.Second)
			log := s.stdout.String()
			outs := s.outputs()
			if code != tt.wantExit || outs["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q; summary %q\n%s", code, outs["status"], tt.wantExit, tt.wantStatus, outs["summary"], log)
			}
			for _, sig := range signals {
				if want := contains(tt.wantTrue, sig); outs[sig] != strconv.FormatBool(want) {
					t.Errorf("%s = %q, want %v", sig, outs[sig], want)
				}
			}
			if tt.wantLog != "" && !strings.Contains(log, tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, log)
			}
			if outs["error_rate"] == "" || outs["p99_latency_ms"] == "" || outs["baseline_p99_latency_ms"] == "" {
				t.Errorf("metric outputs empty: error_rate %q p99 %q baseline %q", outs["error_rate"], outs["p99_latency_ms"], outs["baseline_p99_latency_ms"])
			}
			sum := s.summaryText()
			if !strings.Contains(sum, "#### Metrics") || !strings.Contains(sum, "```mermaid\nxychart-beta") {
				t.Errorf("summary lacks the metrics table or chart:\n%s", sum)
			}
			if tt.wantStatus == "failed" {
				confirmed, _ := firstFatal(t, s.report())
				t.Logf("detection delay from fault onset: %s", confirmed.Sub(faultAt).Round(time.Millisecond))
			}
		})
	}
}

func TestMetricsPreflight(t *testing.T) {
	t.Parallel()
	t.Run("prometheus_down_at_start", func(t *testing.T) {
		t.Parallel()
		with := map[string]string{"prometheus_url": "http://127.0.0.1:1", "schedule": "1m", "interval": "1s"}
		s := newStep(t, with)
		s.start()
		code := s.wait(30 * time.Second)
		outs := s.outputs()
		if code != 3 || outs["status"] != "inconclusive" || !strings.Contains(outs["summary"], "cannot reach Prometheus") {
			t.Errorf("exit %d, outputs %v\n%s", code, outs, s.stdout.String())
		}
		if s.report()["status"] != "inconclusive" {
			t.Error("report not written")
		}
	})
	t.Run("invalid_query_rejected_by_prometheus", func(t *testing.T) {
		t.Parallel()
		_, prom := promService(t)
		with := metricInputs(prom)
		with["queries"] = "queue: sum(rate(queue_depth[1m]) by (queue) > 10\nfine: sum(up) < 1"
		s := newStep(t, with)
		s.start()
		code := s.wait(30 * time.Second)
		log := s.stdout.String()
		if code != 2 || !strings.Contains(log, annotation("error", "deploywatch: invalid input queries line 1")) {
			t.Errorf("exit %d, want 2 naming queries line 1:\n%s", code, log)
		}
	})
	t.Run("selector_matching_nothing", func(t *testing.T) {
		t.Parallel()
		_, prom := promService(t)
		with := metricInputs(prom)
		with["selector"] = `job="nope"`
		s := newStep(t, with)
		s.start()
		code := s.wait(30 * time.Second)
		if outs := s.outputs(); code != 3 || !strings.Contains(outs["summary"], `no series match http_requests_total{job="nope"}`) {
			t.Errorf("exit %d, summary %q", code, outs["summary"])
		}
	})
}

func TestMetricsDirectScrape(t *testing.T) {
	t.Parallel()
	svc := service(t)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Traffic(ctx, 100) }()
	t.Cleanup(func() { stop(); <-done })
	s := newStep(t, map[string]string{"metrics_url": svc.URL() + "/metrics", "schedule": "2s,20s", "interval": "1s", "cooldown": "2s"})
	s.start()
	faultAt := time.Now().Add(3 * time.Second)
	timer := time.AfterFunc(time.Until(faultAt), func() { svc.SetFault(demo.FaultErrors) })
	t.Cleanup(func() { timer.Stop() })
	code := s.wait(60 * time.Second)
	outs := s.outputs()
	log := s.stdout.String()
	if code != 1 || outs["error_rate_exceeded"] != "true" {
		t.Fatalf("exit %d, outputs %v\n%s", code, outs, log)
	}
	// Without history or a start snapshot, the baseline is the run's first scrapes (the
	// demo exposes no process start, so its counters may be the new version's): the checks
	// judged against a baseline run, and the report says what they compare with.
	for _, unwanted := range []string{"p99 latency check is off", "throughput check is off"} {
		if strings.Contains(log, unwanted) {
			t.Errorf("log says %q", unwanted)
		}
	}
	rep := s.report()
	note := "baseline: the first 2s of the run (" + svc.URL() + "/metrics exposes no process_start_time_seconds"
	if !strings.Contains(log, note) || !strings.Contains(fmt.Sprint(rep["warnings"]), "run `deploywatch start` before the deploy to compare with the old version") {
		t.Errorf("the baseline is not explained in the log and the report:\n%s\nwarnings: %v", log, rep["warnings"])
	}
	checks := map[string]map[string]any{}
	for _, c := range rep["checks"].([]any) {
		c := c.(map[string]any)
		if last, ok := c["last"].(map[string]any); ok {
			checks[c["name"].(string)] = last
		}
	}
	for _, name := range []string{"p99 latency", "throughput"} {
		last := checks[name]
		if last == nil {
			t.Errorf("%s did not run: %v", name, rep["checks"])
			continue
		}
		metric, _ := last["metric"].(map[string]any)
		if msg, _ := last["message"].(string); metric["baseline"] == nil && !strings.HasPrefix(msg, "waiting for its baseline") {
			t.Errorf("%s has neither a baseline nor says it waits for one: %v", name, last)
		}
	}
	confirmed, _ := firstFatal(t, rep)
	t.Logf("detection delay from fault onset (direct scrape): %s", confirmed.Sub(faultAt).Round(time.Millisecond))
}
