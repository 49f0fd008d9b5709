package app

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/monitor"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// scripted is a check whose breaches follow a script of offsets from its first run.
type scripted struct {
	name  string
	start time.Time
	// breaching reports whether the service misbehaves at an offset.
	breaching func(time.Duration) bool
}

func (s *scripted) Spec() model.CheckSpec {
	return model.CheckSpec{Name: s.name, Kind: model.KindReadiness, Signal: model.SignalHealth, Severity: model.SeverityWarning,
		Persistence: 2, MaxProbeErrors: 3}
}

func (s *scripted) Run(context.Context) model.Measurement {
	if s.start.IsZero() {
		s.start = time.Now()
	}
	m := model.Measurement{Check: s.name, Value: "200"}
	if s.breaching(time.Since(s.start)) {
		m.Breach, m.Value, m.Expected, m.Message = true, "503", "2xx", "readiness returned 503"
	}
	return m
}

// TestGitHubAPIBudget runs the real monitor loop for the default 10 minutes (checkpoints
// at 10s, 30s, 1m, 5m, then the 5m cool-down, a round every 10s) in virtual time, with the
// run's event adapter, a real dispatcher and the GitHub sinks the default inputs turn on
// (deployment statuses, the comment), talking to the fake GitHub in memory. It counts the
// calls: at most 15, whether the run is quiet or a warning comes and goes.
func TestGitHubAPIBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		pullReq   int // 0: a push, the pull request found by commit
		breaching func(time.Duration) bool
	}{
		{name: "healthy_pull_request", pullReq: 42, breaching: func(time.Duration) bool { return false }},
		{name: "healthy_push", breaching: func(time.Duration) bool { return false }},
		{name: "warning_raised_and_cleared", pullReq: 42, breaching: func(d time.Duration) bool { return d >= 2*time.Minute && d < 3*time.Minute }},
		{name: "flapping_warning", pullReq: 42, breaching: func(d time.Duration) bool { return d >= time.Minute && d%(40*time.Second) < 20*time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				calls := budgetRun(t, tt.pullReq, tt.breaching)
				t.Logf("%d GitHub calls: %q", len(calls), calls)
				if len(calls) > 15 {
					t.Errorf("%d GitHub calls in a default 10-minute run, want at most 15", len(calls))
				}
			})
		})
	}
}

func budgetRun(t *testing.T, pullReq int, breaching func(time.Duration) bool) []string {
	t.Helper()
	const sha = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"
	gh := githubtest.New()
	gh.AddPullRequest(42, sha, "open")
	rc := model.RunContext{Platform: "github", Repository: "acme/shop", SHA: sha, PullRequest: pullReq, EventName: "push",
		RunURL: "https://github.com/acme/shop/actions/runs/1", ServerURL: "https://github.com", APIURL: "https://api.github.com"}
	if pullReq != 0 {
		rc.EventName, rc.HeadSHA = "pull_request", sha
	}
	cfg := &config.Config{Environment: "production", Description: "Deploy 3f9c2ab to production", FailOn: model.SeverityCritical,
		Sinks: config.Sinks{GitHubToken: githubtest.Token, DeploymentStatus: true, Comment: "auto", ProductionEnvironment: true}}
	// The fake is called in memory: the clock of a synctest bubble stops for nothing on
	// the network.
	c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, Repository: "acme/shop", Transport: gh.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	sinks, warnings := githubSinksOn(c, cfg)
	if len(warnings) > 0 || len(sinks) != 2 {
		t.Fatalf("sinks %d, warnings %q", len(sinks), warnings)
	}

	base := model.Report{Tool: "deploywatch", Version: "test", Mode: "run", Environment: cfg.Environment, Description: cfg.Description,
		ExpectedVersion: sha, FailOn: cfg.FailOn, Run: rc}
	ev := newEvents(sinks, base, func(string) {})
	chk := &scripted{name: "readiness", breaching: breaching}
	opts := monitor.Options{Checks: []check.Check{chk}, FailOn: cfg.FailOn, Publisher: ev, StartedAt: time.Now(),
		Plan: monitor.Plan{Schedule: []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute},
			Interval: 10 * time.Second, Cooldown: 5 * time.Minute}}
	ev.announce(t.Context(), sink.KindStarted, opts.StartedAt, []model.CheckSpec{chk.Spec()}, "monitoring 1 check until +10m")
	res := monitor.Run(t.Context(), opts)
	if got := res.FinishedAt.Sub(res.StartedAt); got < 10*time.Minute {
		t.Fatalf("the run lasted %s, want the default 10 minutes", got)
	}
	rep := base
	rep.Result = res
	rep = ev.finish(t.Context(), rep, false)
	if len(rep.Warnings) > 0 {
		t.Errorf("sink warnings: %q", rep.Warnings)
	}
	if cs := gh.IssueComments(42); len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — "+string(res.Verdict)) {
		t.Errorf("comments %+v, want one with the final verdict %s", cs, res.Verdict)
	}
	var out []string
	for _, call := range gh.Calls() {
		out = append(out, call.Method+" "+call.Path)
	}
	return out
}
