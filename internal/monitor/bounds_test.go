package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/app"
	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/monitor"
)

// The bounds tests are not parallel: heap bytes and goroutine counts are the process's,
// and another test running beside them would be measured too.

// What a report keeps at most, whatever the length of the run: the timeline's first and
// latest entries (1,000, plus one saying how many were dropped), the latest findings, a
// downsampled series per metric.
const (
	maxTimeline = 1000 + 1
	maxFindings = 500
	maxSeries   = 240
	// maxGrowth is how much the heap may grow from the first hour to the sixth: far less
	// than the 5 h of timeline entries, findings and points an unbounded run would add.
	maxGrowth = 1 << 20
)

// TestBoundsSixHours runs six hours of virtual time, a round every 10 s (2,161 rounds of
// five checks, three flapping every round so findings and timeline entries pile up at the
// highest rate), and shows the run's memory is flat after the first hour and that no
// goroutine outlives it.
func TestBoundsSixHours(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	var heap1h, heap6h uint64
	var res model.Result
	var counts boundsCounts
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		probe := &boundsProbe{counts: &counts, measure: map[time.Duration]*uint64{time.Hour: &heap1h}, final: &heap6h}
		res = monitor.Run(t.Context(), monitor.Options{
			Checks: boundsChecks(start), FailOn: model.SeverityCritical, Publisher: probe,
			Plan: monitor.Plan{Schedule: []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, time.Hour},
				Interval: 10 * time.Second, Cooldown: 5 * time.Hour},
		})
		if got := time.Since(start); got != 6*time.Hour {
			t.Errorf("the run took %s of virtual time, want 6h", got)
		}
	})
	t.Logf("heap after GC: %d KiB at 1 h, %d KiB at 6 h (%+d bytes); %d events: %d findings raised, %d timeline entries offered",
		heap1h>>10, heap6h>>10, int64(heap6h)-int64(heap1h), counts.events, counts.findings, counts.timeline)
	if heap1h == 0 || heap6h == 0 {
		t.Fatal("the heap was not measured at 1 h and 6 h")
	}
	if growth := int64(heap6h) - int64(heap1h); growth > maxGrowth {
		t.Errorf("the heap grew by %d bytes from 1 h to 6 h, want under %d", growth, maxGrowth)
	}
	if res.Verdict != model.VerdictDegraded {
		t.Errorf("verdict %s (%s), want degraded: warnings only", res.Verdict, res.Reason)
	}
	// The report keeps counts of everything and the latest of the rest.
	if len(res.Timeline) > maxTimeline || counts.timeline < 5*maxTimeline {
		t.Errorf("timeline: %d entries kept of %d, want at most %d of many more", len(res.Timeline), counts.timeline, maxTimeline)
	}
	if len(res.Findings) > maxFindings || counts.findings < 5*maxFindings {
		t.Errorf("findings: %d kept of %d raised, want at most %d of many more", len(res.Findings), counts.findings, maxFindings)
	}
	first, last := res.StartedAt.Add(time.Minute), res.FinishedAt.Add(-time.Minute)
	for _, c := range res.Checks {
		if c.Runs != 2161 || c.Latency.Count != 2161 {
			t.Errorf("%s: %d runs and %d latencies counted, want 2161", c.Spec.Name, c.Runs, c.Latency.Count)
		}
		n := len(c.Series)
		if strings.HasPrefix(c.Spec.Name, "flap") && (n > maxSeries || n < maxSeries/2 || c.Series[0].At.After(first) || c.Series[n-1].At.Before(last)) {
			t.Errorf("%s: %d points, want at most %d spanning the run", c.Spec.Name, n, maxSeries)
		}
	}
	after := settledGoroutines(goroutines)
	t.Logf("%d goroutines before the run, %d after", goroutines, after)
	if after > goroutines {
		t.Errorf("%d goroutines before the run, %d after", goroutines, after)
	}
}

// TestBoundsAppMainGoroutines runs deploywatch in-process, as the binary does, against a
// loopback service and a loopback webhook, and counts goroutines before and after: a
// healthy run, a failed one, one cancelled as the runner cancels a step, and one whose
// configuration turns out invalid after the sinks were built.
func TestBoundsAppMainGoroutines(t *testing.T) {
	release := demo.NewRelease("2.0.0")
	tests := []struct {
		name     string
		fault    demo.Fault
		args     []string
		cancel   time.Duration // cancel the run after this long
		wantExit int
	}{
		{name: "healthy", wantExit: app.ExitOK},
		// No traffic: the error rate cannot be judged.
		{name: "metrics_scraped", args: []string{"--metrics-url", "/metrics"}, wantExit: app.ExitInconclusive},
		{name: "failed", fault: demo.FaultReadiness, wantExit: app.ExitFailed},
		{name: "cancelled", cancel: 700 * time.Millisecond, wantExit: app.ExitInconclusive},
		{name: "invalid_kubeconfig", args: []string{"--kubeconfig", "apiVersion: v1\nclusters: [", "--deployment", "api"}, wantExit: app.ExitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := demo.Start(demo.Options{Initial: release})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = svc.Stop() })
			svc.SetFault(tt.fault)
			var delivered atomic.Int32
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
				delivered.Add(1)
				_, _ = io.WriteString(w, "{}")
			}))
			t.Cleanup(hook.Close)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			u := svc.URL()
			for i, a := range tt.args {
				if strings.HasPrefix(a, "/") {
					tt.args[i] = u + a
				}
			}
			before := runtime.NumGoroutine()
			var out bytes.Buffer
			code := app.Main(ctx, app.Env{
				Args: append([]string{"run", "--health-url", u + "/health/ready", "--live-url", u + "/health/live", "--info-url", u + "/health/info",
					"--expected-version", release.Commit, "--schedule", "1s", "--interval", "200ms", "--cooldown", "500ms",
					"--webhook-url", hook.URL, "--webhook-token", "bounds-t0ken"}, tt.args...),
				Stdout: &out, Stderr: &out, Dir: t.TempDir(),
			})
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.wantExit, out.String())
			}
			if n := delivered.Load(); tt.wantExit != app.ExitInvalid && n < 2 {
				t.Errorf("the webhook got %d events, want the start and the end:\n%s", n, out.String())
			}
			// The scraper keeps an idle connection in the process's shared pool, for the next
			// scrape of the host; it is not the run's to close.
			http.DefaultTransport.(*http.Transport).CloseIdleConnections()
			after := settledGoroutines(before)
			t.Logf("%d goroutines before the run, %d after", before, after)
			if after > before {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines before the run, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// settledGoroutines waits a little for goroutines that are ending (a closed connection's
// reader) and returns the count once it is at most want, or after the wait.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// boundsCounts are what the probe saw: numbers only, so the probe itself holds nothing.
type boundsCounts struct {
	events, findings, timeline int
}

// boundsProbe counts events and measures the heap after a GC at the given checkpoints and
// at the end.
type boundsProbe struct {
	counts  *boundsCounts
	measure map[time.Duration]*uint64
	final   *uint64
}

func (p *boundsProbe) Publish(_ context.Context, ev model.Event) {
	p.counts.events++
	if ev.Kind == model.EventFinding && ev.Finding != nil && ev.Finding.Active {
		p.counts.findings++
	}
	if ev.Kind != model.EventMeasured {
		p.counts.timeline++
	}
	switch {
	case ev.Kind == model.EventCheckpoint && p.measure[ev.Checkpoint] != nil:
		*p.measure[ev.Checkpoint] = heapAfterGC()
	case ev.Kind == model.EventFinished:
		*p.final = heapAfterGC()
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// boundsChecks are the run's checks: a real readiness check whose service fails every
// other round, with a dependency map, and a real liveness check, both over an in-memory
// transport (network I/O would stop synctest's clock); and three metric checks whose
// value breaches every other round, each with its own message.
func boundsChecks(start time.Time) []check.Check {
	round := func() int { return int(time.Since(start) / (10 * time.Second)) }
	service := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health/ready" && round()%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, `{"status":"down","checks":{"db":{"status":"down","error":"timeout in round %d"},"cache":"ok"}}`, round())
			return
		}
		_, _ = io.WriteString(w, `{"status":"ok","checks":{"db":"ok","cache":"ok"}}`)
	})
	h := check.HTTPConfig{Client: &http.Client{Transport: handlerTransport{service}}}
	spec := func(name string, kind model.CheckKind) model.CheckSpec {
		return model.CheckSpec{Name: name, Kind: kind, Signal: model.SignalHealth, Severity: model.SeverityWarning, Persistence: 1, MaxProbeErrors: 3}
	}
	checks := []check.Check{
		check.NewReadiness(spec("readiness", model.KindReadiness), "http://service.test/health/ready", h),
		check.NewLiveness(spec("liveness", model.KindLiveness), "http://service.test/health/live", h),
	}
	for i := range 3 {
		checks = append(checks, &flapping{spec: spec(fmt.Sprintf("flap-%d", i), model.KindQuery), round: round})
	}
	return checks
}

// flapping is a metric check breaching (a warning) every other round.
type flapping struct {
	spec  model.CheckSpec
	round func() int
}

func (c *flapping) Spec() model.CheckSpec { return c.spec }

func (c *flapping) Run(context.Context) model.Measurement {
	n := c.round()
	v := 0.001 * float64(n%7)
	if n%2 == 1 {
		v += 0.05
	}
	m := model.Measurement{Check: c.spec.Name, Latency: time.Duration(n%50) * time.Millisecond, Value: fmt.Sprintf("%.3f", v), Expected: "<= 0.020",
		Metric: &model.MetricValue{Unit: model.UnitRatio, Value: v, HasValue: true, Limit: 0.02, Op: ">"}}
	if v > 0.02 {
		m.Breach, m.Severity = true, model.SeverityWarning
		m.Message = fmt.Sprintf("%s at %.3f in round %d, above 0.020", c.spec.Name, v, n)
	}
	return m
}

// handlerTransport answers a request with h, in memory.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
