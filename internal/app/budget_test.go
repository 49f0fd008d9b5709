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

// budgetEvent is the kind of run the budget is measured on, which decides where the
// comment goes and whether its pull request must be looked up.
type budgetEvent int

const (
	// onPullRequest is a pull_request event: the payload names the pull request.
	onPullRequest budgetEvent = iota
	// pushWithPR is a push whose commit is the head of an open pull request, found with
	// the deployments in the first query.
	pushWithPR
	// pushWithoutPR is a push whose commit has no pull request: the comment goes on it.
	pushWithoutPR
)

// TestGitHubAPIBudget runs the real monitor loop for the default 10 minutes (checkpoints
// at 10s, 30s, 1m, 5m, then the 5m cool-down, a round every 10s) in virtual time, with the
// run's event adapter, a real dispatcher and the GitHub sinks the default inputs turn on
// (deployment statuses, the comment), talking to the fake GitHub in memory. It counts the
// calls of each kind of run (a pull request, a push with and without a pull request) when
// the run is quiet, when a warning comes and goes and when one flaps: at most 15 each.
// The counts are pinned so that a change of cost shows; the README gives them.
func TestGitHubAPIBudget(t *testing.T) {
	t.Parallel()
	quiet := func(time.Duration) bool { return false }
	once := func(d time.Duration) bool { return d >= 2*time.Minute && d < 3*time.Minute }
	flapping := func(d time.Duration) bool { return d >= time.Minute && d%(40*time.Second) < 20*time.Second }
	tests := []struct {
		name      string
		event     budgetEvent
		breaching func(time.Duration) bool
		want      int
	}{
		{name: "healthy_pull_request", event: onPullRequest, breaching: quiet, want: 12},
		{name: "healthy_push_with_pull_request", event: pushWithPR, breaching: quiet, want: 12},
		{name: "healthy_push_without_pull_request", event: pushWithoutPR, breaching: quiet, want: 12},
		{name: "warning_raised_and_cleared_pull_request", event: onPullRequest, breaching: once, want: 14},
		{name: "warning_raised_and_cleared_push_with_pull_request", event: pushWithPR, breaching: once, want: 14},
		{name: "warning_raised_and_cleared_push_without_pull_request", event: pushWithoutPR, breaching: once, want: 14},
		{name: "flapping_warning_pull_request", event: onPullRequest, breaching: flapping, want: 14},
		{name: "flapping_warning_push_with_pull_request", event: pushWithPR, breaching: flapping, want: 14},
		{name: "flapping_warning_push_without_pull_request", event: pushWithoutPR, breaching: flapping, want: 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				calls := budgetRun(t, tt.event, tt.breaching)
				t.Logf("%d GitHub calls: %q", len(calls), calls)
				if len(calls) > 15 {
					t.Errorf("%d GitHub calls in a default 10-minute run, want at most 15", len(calls))
				}
				if len(calls) != tt.want {
					t.Errorf("%d GitHub calls, want %d (update the README's table when the cost changes on purpose)", len(calls), tt.want)
				}
			})
		})
	}
}

func budgetRun(t *testing.T, event budgetEvent, breaching func(time.Duration) bool) []string {
	t.Helper()
	const sha = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"
	gh := githubtest.New()
	if event != pushWithoutPR {
		gh.AddPullRequest(42, sha, "open")
	}
	rc := model.RunContext{Platform: "github", Repository: "acme/shop", SHA: sha, EventName: "push",
		RunURL: "https://github.com/acme/shop/actions/runs/1", ServerURL: "https://github.com", APIURL: "https://api.github.com"}
	if event == onPullRequest {
		// GITHUB_SHA is the merge commit; the head is what is deployed.
		rc.EventName, rc.SHA, rc.HeadSHA, rc.PullRequest = "pull_request", "9999999999999999999999999999999999999999", sha, 42
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
	// The deployment, the comment, and the report of missing permissions.
	if len(warnings) > 0 || len(sinks) != 3 {
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
	cs := gh.IssueComments(42)
	if event == pushWithoutPR {
		cs = gh.CommitComments(sha)
	}
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — "+string(res.Verdict)) {
		t.Errorf("comments %+v, want one with the final verdict %s", cs, res.Verdict)
	}
	if deps := gh.Deployments(); len(deps) != 1 || deps[0].SHA != sha {
		t.Errorf("deployments %+v, want one for the deployed commit", deps)
	}
	var out []string
	for _, call := range gh.Calls() {
		out = append(out, call.Method+" "+call.Path)
	}
	return out
}

// A pull_request run from a fork has a read-only token: the GitHub sinks are not built,
// no call is made, and one warning says why and what they would need.
func TestForkPullRequestMakesNoGitHubCall(t *testing.T) {
	t.Parallel()
	gh := githubtest.Start(t)
	cfg := &config.Config{Environment: "production", Sinks: config.Sinks{GitHubToken: githubtest.Token,
		DeploymentStatus: true, Comment: "auto", CommitStatus: true}}
	rc := model.RunContext{Platform: "github", Repository: "acme/shop", SHA: strings.Repeat("9", 40), EventName: "pull_request",
		PullRequest: 42, HeadSHA: strings.Repeat("3", 40), HeadRepository: "mallory/shop", Fork: true, APIURL: gh.URL}
	sinks, warnings := githubSinks(Env{Version: "test"}, cfg, rc, nil)
	want := "pull request #42 comes from the fork mallory/shop: GitHub gives this workflow a read-only token, so the GitHub " +
		"deployment, comment and commit status are off for this run and no call was made (reporting there needs deployments: write, " +
		"pull-requests: write, statuses: write, which a fork's pull_request run cannot get); the verdict and the job summary are unaffected"
	if len(sinks) != 0 || len(warnings) != 1 || warnings[0] != want {
		t.Errorf("%d sinks, warnings %q; want none and\n%q", len(sinks), warnings, want)
	}
	// pull_request_target runs with the base repository's token: reported as usual.
	rc.EventName = "pull_request_target"
	if sinks, warnings := githubSinks(Env{Version: "test"}, cfg, rc, nil); len(sinks) != 4 || len(warnings) != 0 {
		t.Errorf("pull_request_target: %d sinks, warnings %q; want the three and the permission report", len(sinks), warnings)
	}
	if n := len(gh.Calls()); n != 0 {
		t.Errorf("%d GitHub calls, want none", n)
	}
}
