package githubdeploy_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/githubdeploy"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	mergeSHA = "9999999999999999999999999999999999999999"
	otherSHA = "1111111111111111111111111111111111111111"
	envURL   = "https://shop.example.com"
	runURL   = "https://github.com/acme/shop/actions/runs/123456789"
)

func newSink(t *testing.T, apiURL string, cfg githubdeploy.Config) *githubdeploy.Sink {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: apiURL, Repository: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Client = c
	if cfg.Environment == "" {
		cfg.Environment = "production"
	}
	s, err := githubdeploy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The golden file is regenerated with: go test ./internal/sink/githubdeploy -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New: func(t *testing.T, baseURL string) sink.Sink {
			return newSink(t, baseURL, githubdeploy.Config{EnvironmentURL: envURL, Production: true})
		},
		API:     githubtest.New(),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Authorization", "Content-Type"},
		Secrets: []string{githubtest.Token},
	})
}

// body decodes a recorded JSON body.
func body(t *testing.T, c githubtest.Call) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(c.Body), &doc); err != nil {
		t.Fatalf("%s %s body %q: %v", c.Method, c.Path, c.Body, err)
	}
	return doc
}

// started is the start of a run for a pull request: GITHUB_SHA is the merge commit, the
// pull request's head is what was deployed.
func started() sink.Event {
	ev := sinktest.Events()[0]
	ev.Report.Run.EventName, ev.Report.Run.SHA, ev.Report.Run.HeadSHA, ev.Report.Run.PullRequest = "pull_request", mergeSHA, sinktest.SHA, 41
	return ev
}

func TestCreatesTheDeploymentForTheDeployedCommit(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	// Our own pending status must not block the deployment: required_contexts is [].
	srv.AddCommitStatus(sinktest.SHA, "deploywatch/production", "pending")
	s := newSink(t, srv.URL, githubdeploy.Config{EnvironmentURL: envURL, Production: true})
	if _, err := s.Send(t.Context(), started()); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	var got []string
	for _, c := range calls {
		got = append(got, c.Method+" "+c.Path)
	}
	deps := srv.Deployments()
	if len(deps) != 1 {
		t.Fatalf("%d deployments, want 1", len(deps))
	}
	id := deps[0].ID
	want := []string{"POST /graphql", "POST /repos/acme/shop/deployments", fmt.Sprintf("POST /repos/acme/shop/deployments/%d/statuses", id)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("calls (-want +got):\n%s", diff)
	}
	wantCreate := map[string]any{
		"ref": sinktest.SHA, "task": "deploy:monitor", "auto_merge": false, "required_contexts": []any{},
		"environment": "production", "description": "Deploy 3f9c2ab to production",
		"production_environment": true, "transient_environment": false,
	}
	if diff := cmp.Diff(wantCreate, body(t, calls[1])); diff != "" {
		t.Errorf("create body (-want +got):\n%s", diff)
	}
	wantStatus := map[string]any{"state": "in_progress", "description": "Monitoring 2 checks", "log_url": runURL, "environment_url": envURL}
	if diff := cmp.Diff(wantStatus, body(t, calls[2])); diff != "" {
		t.Errorf("status body (-want +got):\n%s", diff)
	}
	wantHandles := sink.Handles{DeploymentID: strconv.FormatInt(id, 10),
		Links: []model.Link{{Label: "deployment", URL: "https://github.com/acme/shop/deployments/production"}}}
	if diff := cmp.Diff(wantHandles, s.Handles()); diff != "" {
		t.Errorf("handles (-want +got):\n%s", diff)
	}
}

func TestReuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// seed prepares the fake and returns the id the sink must use (0: a new one).
		seed       func(srv *githubtest.Server) int64
		cfgID      bool // pass the seeded id as Config.DeploymentID
		eventID    bool // pass it as the run's deployment (a deployment event)
		wantCreate bool
	}{
		{name: "actions_deployment_for_the_commit", seed: func(srv *githubtest.Server) int64 {
			srv.AddDeployment(githubtest.Deployment{SHA: otherSHA})
			// A job with `environment: production` made it and marked it done.
			return srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA, Statuses: []githubtest.DeploymentStatus{{State: "success"}}})
		}},
		{name: "newest_is_another_commit", wantCreate: true, seed: func(srv *githubtest.Server) int64 {
			srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA})
			srv.AddDeployment(githubtest.Deployment{SHA: otherSHA})
			return 0
		}},
		{name: "same_commit_other_environment", wantCreate: true, seed: func(srv *githubtest.Server) int64 {
			srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA, Environment: "staging"})
			return 0
		}},
		{name: "deployment_event", eventID: true, seed: func(srv *githubtest.Server) int64 {
			id := srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA, Creator: "octocat"})
			srv.AddDeployment(githubtest.Deployment{SHA: otherSHA})
			return id
		}},
		{name: "given_by_start", cfgID: true, seed: func(srv *githubtest.Server) int64 {
			id := srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA, Task: "deploy:monitor"})
			srv.AddDeployment(githubtest.Deployment{SHA: otherSHA})
			return id
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			want := tt.seed(srv)
			cfg := githubdeploy.Config{}
			ev := started()
			if tt.cfgID {
				cfg.DeploymentID = strconv.FormatInt(want, 10)
			}
			if tt.eventID {
				ev.Report.Run.EventName, ev.Report.Run.DeploymentID = "deployment", strconv.FormatInt(want, 10)
			}
			s := newSink(t, srv.URL, cfg)
			if _, err := s.Send(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
			created := srv.CallsTo(http.MethodPost, "/repos/acme/shop/deployments")
			if got := len(created) == 1; got != tt.wantCreate {
				t.Fatalf("created a deployment: %v, want %v", got, tt.wantCreate)
			}
			if tt.wantCreate {
				deps := srv.Deployments()
				want = deps[len(deps)-1].ID
			}
			if got := s.Handles().DeploymentID; got != strconv.FormatInt(want, 10) {
				t.Errorf("deployment %s, want %d", got, want)
			}
			if n := len(srv.CallsTo(http.MethodPost, fmt.Sprintf("/repos/acme/shop/deployments/%d/statuses", want))); n != 1 {
				t.Errorf("%d statuses on deployment %d, want 1", n, want)
			}
		})
	}
}

// statuses returns the state and description of each status posted.
func statuses(t *testing.T, srv *githubtest.Server) [][2]string {
	t.Helper()
	var out [][2]string
	for _, c := range srv.CallsTo(http.MethodPost, "/repos/acme/shop/deployments/*/statuses") {
		b := body(t, c)
		out = append(out, [2]string{b["state"].(string), b["description"].(string)})
	}
	return out
}

func TestStatusFollowsTheRun(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	s := newSink(t, srv.URL, githubdeploy.Config{EnvironmentURL: envURL})
	events := sinktest.Events()
	// A second checkpoint with nothing new posts nothing.
	again := events[1]
	again.Checkpoint, again.At = 30*time.Second, again.At.Add(20*time.Second)
	events = append(events[:2], append([]sink.Event{again}, events[2:]...)...)
	for _, ev := range events {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
	}
	want := [][2]string{
		{"in_progress", "Monitoring 2 checks"},
		{"in_progress", "Healthy so far: 2 checks passing"},
		{"in_progress", "Degraded so far: warning p99_latency: p99 latency 410ms over 2x the baseline"},
		{"in_progress", "Healthy so far: 2 checks passing"},
		{"in_progress", "Failing: critical error_rate: error rate 4.2% over the 1% limit"},
		{"in_progress", "Rolled back: deployment/shop rolled back from revision 7 to 6; its pods are healthy"},
		{"failure", "failed: critical error_rate: error rate 4.2% over the 1% limit — detected after 1m35s"},
	}
	if diff := cmp.Diff(want, statuses(t, srv)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	posted := srv.CallsTo(http.MethodPost, "/repos/acme/shop/deployments/*/statuses")
	final := body(t, posted[len(posted)-1])
	if final["log_url"] != runURL || final["environment_url"] != envURL {
		t.Errorf("final status %v, want log_url %s and environment_url %s", final, runURL, envURL)
	}
	if n := len(srv.CallsTo(http.MethodPost, "/repos/acme/shop/deployments")); n != 1 {
		t.Errorf("%d deployments created, want 1", n)
	}
}

// A flapping check changes the details of the state so far at every flap (how many
// findings, which one) but not the state: the status is posted when the state changes,
// not for each new wording, so flapping cannot spend the API budget.
func TestStatusIgnoresNewWordingOfTheSameState(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	s := newSink(t, srv.URL, githubdeploy.Config{})
	degraded := func(at time.Duration, reason string, dry bool) sink.Event {
		r := sinktest.InProgress(at)
		r.Verdict, r.Reason, r.DryRun = model.VerdictDegraded, reason, dry
		return sink.Event{Kind: sink.KindProgress, At: sinktest.Start.Add(at), Checkpoint: at, Report: r}
	}
	first := sinktest.Events()[0]
	for _, ev := range []sink.Event{
		first,
		degraded(time.Minute, "1 finding(s) below fail_on: warning readiness", false),
		degraded(2*time.Minute, "6 finding(s) below fail_on: warning readiness; warning readiness", false),
		degraded(3*time.Minute, "7 finding(s) below fail_on: warning p99_latency", false),
		degraded(4*time.Minute, "7 finding(s) below fail_on: warning p99_latency", true),
	} {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
	}
	want := [][2]string{
		{"in_progress", "Monitoring 2 checks"},
		{"in_progress", "Degraded so far: 1 finding(s) below fail_on: warning readiness"},
		// The dry-run mark is part of the state.
		{"in_progress", "dry run: Degraded so far: 7 finding(s) below fail_on: warning p99_latency"},
	}
	if diff := cmp.Diff(want, statuses(t, srv)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestFinalState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		verdict   model.Verdict
		dryRun    bool
		wantState string
		wantDesc  string
	}{
		{name: "healthy", verdict: model.VerdictHealthy, wantState: "success", wantDesc: "healthy: 2 checks passed for 1m36s in production (2 findings cleared)"},
		{name: "degraded", verdict: model.VerdictDegraded, wantState: "success", wantDesc: "degraded: critical error_rate"},
		{name: "failed", verdict: model.VerdictFailed, wantState: "failure", wantDesc: "failed: critical error_rate"},
		{name: "failed_dry_run", verdict: model.VerdictFailed, dryRun: true, wantState: "failure", wantDesc: "dry run: failed: critical error_rate"},
		{name: "inconclusive", verdict: model.VerdictInconclusive, wantState: "error", wantDesc: "inconclusive: "},
		{name: "cancelled", verdict: model.VerdictCancelled, wantState: "inactive", wantDesc: "cancelled after 1m36s: 2 findings so far"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := sinktest.Finished()
			ev.Report.Verdict, ev.Report.DryRun = tt.verdict, tt.dryRun
			ev.Report.Reason = strings.Repeat("critical error_rate: far too many errors ", 10)
			if got := githubdeploy.State(tt.verdict); got != tt.wantState {
				t.Errorf("State = %q, want %q", got, tt.wantState)
			}
			desc := githubdeploy.FinalDescription(ev.Report)
			if !strings.HasPrefix(desc, tt.wantDesc) || len([]rune(desc)) > githubapi.MaxDescription {
				t.Errorf("description %q (%d characters), want it to start with %q within 140", desc, len([]rune(desc)), tt.wantDesc)
			}
		})
	}
}

// Mode finish sends the final event alone.
func TestModeFinish(t *testing.T) {
	t.Parallel()
	t.Run("given_deployment", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		id := srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA, Task: "deploy:monitor",
			Statuses: []githubtest.DeploymentStatus{{State: "in_progress", Description: "Monitoring 2 checks"}}})
		s := newSink(t, srv.URL, githubdeploy.Config{DeploymentID: strconv.FormatInt(id, 10)})
		if _, err := s.Send(t.Context(), sinktest.Finished()); err != nil {
			t.Fatal(err)
		}
		want := []string{"POST /graphql", fmt.Sprintf("POST /repos/acme/shop/deployments/%d/statuses", id)}
		var got []string
		for _, c := range srv.Calls() {
			got = append(got, c.Method+" "+c.Path)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("no_deployment_yet", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		s := newSink(t, srv.URL, githubdeploy.Config{})
		if _, err := s.Send(t.Context(), sinktest.Finished()); err != nil {
			t.Fatal(err)
		}
		deps := srv.Deployments()
		if len(deps) != 1 || len(deps[0].Statuses) != 1 || deps[0].Statuses[0].State != "failure" {
			t.Errorf("deployments %+v, want one created with the failure", deps)
		}
	})
}

// Mode monitor resumes what `start` announced: no deployment made, no status repeated.
func TestResumed(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	mine := srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA, Task: "deploy:monitor",
		Statuses: []githubtest.DeploymentStatus{{State: "in_progress", Description: "Monitoring 2 checks"}}})
	// Another deploy went out since the start.
	srv.AddDeployment(githubtest.Deployment{SHA: otherSHA})
	s := newSink(t, srv.URL, githubdeploy.Config{})
	ev := started()
	ev.Kind = sink.KindResumed
	if _, err := s.Send(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if got := s.Handles().DeploymentID; got != strconv.FormatInt(mine, 10) {
		t.Errorf("resumed deployment %s, want %d", got, mine)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want the lookup only", n)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	at := func(h int) time.Time { return sinktest.Start.Add(-time.Duration(h) * time.Hour) }
	oldest := srv.AddDeployment(githubtest.Deployment{SHA: otherSHA, Creator: "octocat", Description: "Deploy 1111111", CreatedAt: at(3)})
	failed := srv.AddDeployment(githubtest.Deployment{SHA: mergeSHA, Ref: "main", CreatedAt: at(2),
		Statuses: []githubtest.DeploymentStatus{{State: "failure", Description: "failed: readiness", LogURL: "https://github.com/acme/shop/actions/runs/1", CreatedAt: at(2)}}})
	srv.AddDeployment(githubtest.Deployment{SHA: otherSHA, Environment: "staging", CreatedAt: at(1)})
	current := srv.AddDeployment(githubtest.Deployment{SHA: sinktest.SHA, CreatedAt: at(0)})
	s := newSink(t, srv.URL, githubdeploy.Config{HistorySize: 5})
	if _, err := s.Send(t.Context(), started()); err != nil {
		t.Fatal(err)
	}
	h := s.Handles()
	if h.DeploymentID != strconv.FormatInt(current, 10) {
		t.Errorf("deployment %s, want the reused %d", h.DeploymentID, current)
	}
	want := []model.PastDeployment{
		{ID: strconv.FormatInt(failed, 10), SHA: mergeSHA, Ref: "main", State: "failure", Description: "failed: readiness",
			CreatedAt: at(2), Creator: "github-actions", URL: "https://github.com/acme/shop/actions/runs/1"},
		{ID: strconv.FormatInt(oldest, 10), SHA: otherSHA, Description: "Deploy 1111111", CreatedAt: at(3), Creator: "octocat"},
	}
	if diff := cmp.Diff(want, h.History); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// A create whose answer was lost is found again, not made twice.
func TestRetriedCreateFindsTheFirst(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	srv.FailAfterNext(http.MethodPost, "/repos/acme/shop/deployments", http.StatusBadGateway, nil, `{"message":"Bad Gateway"}`)
	s := newSink(t, srv.URL, githubdeploy.Config{})
	retry, err := s.Send(t.Context(), started())
	if err == nil || !retry {
		t.Fatalf("after a 502: retry %v, err %v", retry, err)
	}
	if _, err := s.Send(t.Context(), started()); err != nil {
		t.Fatal(err)
	}
	if deps := srv.Deployments(); len(deps) != 1 || len(deps[0].Statuses) != 1 {
		t.Errorf("deployments %+v, want one with one status", deps)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	c, err := githubapi.New(githubapi.Config{Token: "t0ken-value", Repository: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  githubdeploy.Config
		want string
	}{
		{name: "no_client", cfg: githubdeploy.Config{Environment: "production"}, want: "no GitHub client"},
		{name: "no_environment", cfg: githubdeploy.Config{Client: c}, want: "environment is empty"},
		{name: "bad_deployment_id", cfg: githubdeploy.Config{Client: c, Environment: "production", DeploymentID: "abc"}, want: `deployment_id "abc"`},
		{name: "bad_environment_url", cfg: githubdeploy.Config{Client: c, Environment: "production", EnvironmentURL: "shop.example.com"}, want: "environment_url"},
	}
	for _, tt := range tests {
		if _, err := githubdeploy.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	t.Run("read_only_token_turns_it_off_quietly", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		srv.SetReadOnly(true)
		c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: srv.URL, Repository: "acme/shop"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := githubdeploy.New(githubdeploy.Config{Client: c, Environment: "production"})
		if err != nil {
			t.Fatal(err)
		}
		// The refusal is the client's to report, once for every GitHub sink.
		retry, err := s.Send(t.Context(), started())
		want := []githubapi.Refusal{{Op: "create deployment", Need: "deployments: write"}}
		if retry || err != nil || !cmp.Equal(c.Refused(), want) {
			t.Errorf("retry %v, err %v, refused %+v; want no error and %+v", retry, err, c.Refused(), want)
		}
		calls := len(srv.Calls())
		if _, err := s.Send(t.Context(), sinktest.Finished()); err != nil || len(srv.Calls()) != calls {
			t.Errorf("after the refusal: err %v, %d more calls; want the sink off", err, len(srv.Calls())-calls)
		}
	})
	t.Run("secondary_rate_limit_asks_to_wait", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		srv.FailNext(http.MethodPost, "/repos/acme/shop/deployments", http.StatusForbidden, githubtest.SecondaryRateLimitHeaders(time.Minute), githubtest.SecondaryRateLimitBody)
		retry, err := newSink(t, srv.URL, githubdeploy.Config{}).Send(t.Context(), started())
		if !retry || sink.RequestedWait(err) != time.Minute {
			t.Errorf("retry %v, wait %s, err %v; want a retry after 1m", retry, sink.RequestedWait(err), err)
		}
	})
}
