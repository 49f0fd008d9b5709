package app

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/monitor"
	"github.com/deploywatch/deploywatch/internal/platform/local"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// hangingAPI is a GitHub API that takes every request and never answers it, as one behind
// a dead load balancer does. When a request gives up (its context ends), it notes whether
// the run's report and outputs were on disk at that moment.
type hangingAPI struct {
	files []string

	mu    sync.Mutex
	calls []string
	// ended is, per request given up, when it was and whether every file existed then.
	ended     []time.Time
	filesThen []bool
}

func (h *hangingAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.calls = append(h.calls, r.Method+" "+r.URL.Path)
	h.mu.Unlock()
	<-r.Context().Done()
	all := true
	for _, f := range h.files {
		if _, err := os.Stat(f); err != nil {
			all = false
		}
	}
	h.mu.Lock()
	h.ended, h.filesThen = append(h.ended, time.Now()), append(h.filesThen, all)
	h.mu.Unlock()
	return nil, r.Context().Err()
}

// firstBreach is a version check that fails from its first run, remembering when that was.
type firstBreach struct{ first time.Time }

func (c *firstBreach) Spec() model.CheckSpec {
	return model.CheckSpec{Name: "version", Kind: model.KindVersion, Signal: model.SignalVersion,
		Severity: model.SeverityCritical, Persistence: 1, MaxProbeErrors: 3}
}

func (c *firstBreach) Run(context.Context) model.Measurement {
	if c.first.IsZero() {
		c.first = time.Now()
	}
	return model.Measurement{Check: "version", Breach: true, Value: "1.0.0", Expected: "2.0.0", Message: "reports 1.0.0"}
}

// TestHangingAPIDelaysNeitherChecksNorOutputs runs a run's lifecycle (announce, monitor,
// finalize) in virtual time against a GitHub API that hangs on every request, as the
// deployment status and comment sinks meet it. The first check runs once the announce's
// short budget is spent, not after the sinks' 15 s; detected_after counts from that
// first check, so a failure seen by it is detected after 0 s; the verdict's report and
// outputs are on disk before the sinks are waited for, and the wait after the verdict
// stops at finishBudget.
func TestHangingAPIDelaysNeitherChecksNorOutputs(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const sha = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"
		dir := t.TempDir()
		api := &hangingAPI{files: []string{filepath.Join(dir, "deploywatch-report.json"), filepath.Join(dir, "deploywatch.env")}}
		rc := model.RunContext{Platform: "github", Repository: "acme/shop", SHA: sha, EventName: "push",
			RunURL: "https://github.com/acme/shop/actions/runs/1", ServerURL: "https://github.com", APIURL: "https://api.github.com"}
		cfg := &config.Config{Mode: config.ModeRun, Environment: "production", Description: "Deploy 3f9c2ab to production",
			ExpectedVersion: sha, FailOn: model.SeverityCritical, ReportPath: "deploywatch-report.json", DotenvPath: "deploywatch.env",
			Sinks: config.Sinks{GitHubToken: githubtest.Token, DeploymentStatus: true, Comment: "auto", ProductionEnvironment: true}}
		c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, Repository: "acme/shop", Transport: api})
		if err != nil {
			t.Fatal(err)
		}
		sinks, warnings := githubSinksOn(c, cfg)
		if len(warnings) > 0 || len(sinks) == 0 {
			t.Fatalf("sinks %d, warnings %q", len(sinks), warnings)
		}
		var log bytes.Buffer
		r := &runner{env: Env{Dir: dir, Version: "test"}, cfg: cfg,
			p: redacting{p: local.New(local.Options{Stdout: &log, Context: rc}), r: redact.New()}}
		r.cons = newConsole(r.p)
		r.ev = newEvents(sinks, r.report(model.Result{}), r.cons.note)

		start := time.Now()
		chk := &firstBreach{}
		opts := monitor.Options{Checks: []check.Check{chk}, FailOn: cfg.FailOn, Publisher: fanout{r.cons, r.ev}, StartedAt: start,
			Plan: monitor.Plan{Schedule: []time.Duration{10 * time.Second, time.Minute}, Interval: 10 * time.Second, Cooldown: time.Minute}}
		r.begin(t.Context(), start, &opts)
		res := monitor.Run(t.Context(), opts)
		if got := chk.first.Sub(start); got != announceBudget {
			t.Errorf("the first check ran %s after the start, want after the announce's budget (%s)", got, announceBudget)
		}
		if res.Verdict != model.VerdictFailed || res.DetectedAfter == nil || *res.DetectedAfter != 0 {
			t.Fatalf("verdict %s, detected after %v: want failed, detected by the first check (0s)", res.Verdict, res.DetectedAfter)
		}
		if !res.StartedAt.Equal(chk.first) {
			t.Errorf("monitoring began at +%s, its first check ran at +%s", res.StartedAt.Sub(start), chk.first.Sub(start))
		}

		verdict := time.Now()
		rep := r.finalize(t.Context(), r.report(res))
		if got := time.Since(verdict); got > finishBudget {
			t.Errorf("finalize took %s after the verdict, want at most %s", got, finishBudget)
		}
		env, err := os.ReadFile(filepath.Join(dir, "deploywatch.env"))
		if err != nil || !strings.Contains(string(env), "status=failed") || !strings.Contains(string(env), "detected_after_s=0") {
			t.Errorf("outputs %q (%v), want status=failed and detected_after_s=0", env, err)
		}
		if len(rep.Warnings) == 0 {
			t.Errorf("no warning for the sinks that could not deliver:\n%s", log.String())
		}
		api.mu.Lock()
		defer api.mu.Unlock()
		if len(api.calls) == 0 || len(api.ended) == 0 {
			t.Fatalf("the API saw %q, %d requests given up", api.calls, len(api.ended))
		}
		// The requests still hanging when the sinks' budget ran out were cut then, and the
		// report and outputs had been written before: the wait is after them.
		cut := 0
		for i, at := range api.ended {
			if !at.After(verdict) {
				continue
			}
			cut++
			if !api.filesThen[i] {
				t.Errorf("a request given up at +%s after the verdict: the report and outputs were not written yet", at.Sub(verdict))
			}
		}
		if cut == 0 {
			t.Errorf("no request hung past the verdict (ended %v, verdict at %v)", api.ended, verdict)
		}
	})
}
