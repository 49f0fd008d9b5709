package githubapi_test

// The GitHub sinks share one client; these tests run them together, as the app does,
// through a real sink.Dispatcher inside testing/synctest (the fake is called in memory, so
// the clock is the bubble's), and count what a run costs.

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/githubcomment"
	"github.com/deploywatch/deploywatch/internal/sink/githubdeploy"
	"github.com/deploywatch/deploywatch/internal/sink/githubstatus"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

// budget is the most GitHub calls a default 10-minute run may make across the sinks.
const budget = 15

// schedule is the default: checkpoints at 10s, 30s, 1m and 5m, then a 5m cool-down.
var schedule = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute}

const runLength = 10 * time.Minute

// healthyAt is a healthy run as it stands at elapsed: every check passing, one more run
// per 10s interval, a timeline line per checkpoint passed.
func healthyAt(elapsed time.Duration) model.Report {
	r := sinktest.InProgress(elapsed)
	r.Findings, r.Verdict, r.Reason, r.Signals = nil, model.VerdictHealthy, "no finding so far", map[model.Signal]bool{}
	runs := int(elapsed/(10*time.Second)) + 1
	for i := range r.Checks {
		c := &r.Checks[i]
		last := *c.Last
		last.Outcome, last.Breach, last.At, last.Value = model.OutcomePass, false, sinktest.Start.Add(elapsed), "ok"
		c.Last, c.Runs, c.Passes, c.Breaches = &last, runs, runs, 0
	}
	r.Timeline = r.Timeline[:1]
	for _, cp := range schedule {
		if cp <= elapsed {
			r.Timeline = append(r.Timeline, model.TimelineEntry{At: sinktest.Start.Add(cp), Elapsed: cp, Kind: model.EventCheckpoint,
				Phase: model.PhaseMonitor, Verdict: model.VerdictHealthy, Text: "checkpoint: healthy so far"})
		}
	}
	return r
}

// healthyRun drives the events of a default healthy run through d, at their times.
func healthyRun(t *testing.T, d *sink.Dispatcher, run func(*model.RunContext)) []string {
	t.Helper()
	at := func(r model.Report) model.Report { run(&r.Run); return r }
	start := healthyAt(0)
	start.Reason = "monitoring started"
	d.Announce(t.Context(), sink.Event{Kind: sink.KindStarted, At: sinktest.Start, Report: at(start)})
	elapsed := time.Duration(0)
	for _, cp := range schedule {
		time.Sleep(cp - elapsed)
		elapsed = cp
		d.Publish(sink.Event{Kind: sink.KindProgress, At: sinktest.Start.Add(cp), Checkpoint: cp, Report: at(healthyAt(cp))})
	}
	time.Sleep(runLength - elapsed)
	final := healthyAt(runLength)
	final.InProgress, final.FinishedAt, final.Reason = false, sinktest.Start.Add(runLength), "every check passed"
	return d.Finish(t.Context(), sink.Event{Kind: sink.KindFinished, At: final.FinishedAt, Report: at(final)})
}

func inMemoryClient(t *testing.T, srv *githubtest.Server) *githubapi.Client {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: "http://github.test", Repository: "acme/shop", Transport: srv.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// With the default settings (deployment statuses on, comment auto, commit status off) a
// healthy 10-minute run stays within the API budget.
func TestAPIBudgetOfADefaultRun(t *testing.T) {
	t.Parallel()
	const head = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"
	tests := []struct {
		name string
		pr   bool // the fake has a pull request for the commit
		run  func(*model.RunContext)
		// wantPR and wantCommit say where the comment must land.
		wantPR     int
		wantCommit bool
	}{
		{name: "pull_request_event", pr: true, wantPR: 41, run: func(c *model.RunContext) {
			c.EventName, c.SHA, c.HeadSHA, c.PullRequest = "pull_request", strings.Repeat("9", 40), head, 41
		}},
		{name: "push_event_pull_request_found_by_commit", pr: true, wantPR: 41, run: func(*model.RunContext) {}},
		{name: "push_event_without_pull_request", wantCommit: true, run: func(*model.RunContext) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv := githubtest.New()
				if tt.pr {
					srv.AddPullRequest(41, head, "merged")
				}
				c := inMemoryClient(t, srv)
				deploy, err := githubdeploy.New(githubdeploy.Config{Client: c, Environment: "production", Production: true})
				if err != nil {
					t.Fatal(err)
				}
				comment, err := githubcomment.New(githubcomment.Config{Client: c, Mode: githubcomment.ModeAuto})
				if err != nil {
					t.Fatal(err)
				}
				warnings := healthyRun(t, sink.New([]sink.Sink{deploy, comment}, sink.Options{}), tt.run)
				calls := srv.Calls()
				var lines []string
				for _, call := range calls {
					lines = append(lines, call.At.Sub(calls[0].At).String()+" "+call.Method+" "+call.Path)
				}
				t.Logf("%d GitHub calls:\n%s", len(calls), strings.Join(lines, "\n"))
				if len(calls) > budget {
					t.Errorf("%d calls, over the budget of %d", len(calls), budget)
				}
				if len(warnings) != 0 {
					t.Errorf("warnings %q", warnings)
				}
				if deps := srv.Deployments(); len(deps) != 1 || deps[0].Statuses[len(deps[0].Statuses)-1].State != "success" {
					t.Errorf("deployments %+v, want one ending in success", deps)
				}
				if tt.wantPR != 0 && len(srv.IssueComments(tt.wantPR)) != 1 || tt.wantCommit && len(srv.CommitComments(head)) != 1 {
					t.Errorf("want exactly one comment where it belongs")
				}
			})
		})
	}
}

// A token without write permissions costs the run one warning, whatever the number of
// GitHub sinks: each refused sink goes quiet after its one refused call, and the client's
// PermissionReport names everything GitHub refused and the permissions to grant. Sinks
// whose permission the token has go on working.
func TestMissingPermissionsWarnOnce(t *testing.T) {
	t.Parallel()
	const head = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"
	tests := []struct {
		name string
		// refuse sets the fake up: read-only, or one path refused.
		refuse     func(*githubtest.Server)
		wantNeeds  []string
		wantWrites int
		// wantState is the deployment's final state, "" when it could not be made.
		wantState string
	}{
		{name: "read_only_token", refuse: func(s *githubtest.Server) { s.SetReadOnly(true) },
			wantNeeds: []string{"deployments: write", "pull-requests: write", "statuses: write"}, wantWrites: 3},
		{name: "only_statuses_missing", refuse: func(s *githubtest.Server) {
			s.FailNext(http.MethodPost, "/repos/acme/shop/statuses/*", http.StatusForbidden,
				http.Header{"X-Accepted-Github-Permissions": {"statuses=write"}}, githubtest.ForbiddenBody)
		}, wantNeeds: []string{"statuses: write"}, wantState: "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv := githubtest.New()
				srv.AddPullRequest(41, head, "open")
				tt.refuse(srv)
				c := inMemoryClient(t, srv)
				deploy, err := githubdeploy.New(githubdeploy.Config{Client: c, Environment: "production"})
				if err != nil {
					t.Fatal(err)
				}
				comment, err := githubcomment.New(githubcomment.Config{Client: c})
				if err != nil {
					t.Fatal(err)
				}
				status, err := githubstatus.New(githubstatus.Config{Client: c, Environment: "production"})
				if err != nil {
					t.Fatal(err)
				}
				sinks := []sink.Sink{deploy, comment, status, c.PermissionReport()}
				warnings := healthyRun(t, sink.New(sinks, sink.Options{}), func(*model.RunContext) {})
				if len(warnings) != 1 {
					t.Fatalf("warnings %q, want one for the run", warnings)
				}
				w := warnings[0]
				if !strings.HasPrefix(w, "github permissions: GitHub refused to ") || !strings.Contains(w, "turned off for the rest of this run") ||
					!strings.Contains(w, "add "+strings.Join(tt.wantNeeds, ", ")+" to the job's permissions: block") {
					t.Errorf("warning %q, want what was refused and %q to grant", w, tt.wantNeeds)
				}
				if strings.Contains(w, githubtest.Token) {
					t.Errorf("the token leaked into %q", w)
				}
				var needs []string
				for _, r := range c.Refused() {
					needs = append(needs, r.Need)
				}
				if diff := cmp.Diff(tt.wantNeeds, needs); diff != "" {
					t.Errorf("refused (-want +got):\n%s", diff)
				}
				// A refused sink tries once and never again.
				refused := 0
				for _, call := range srv.Calls() {
					if call.Status == http.StatusForbidden {
						refused++
					}
				}
				if refused != len(tt.wantNeeds) {
					t.Errorf("%d refused calls, want one per refused sink: %+v", refused, srv.Calls())
				}
				if tt.wantWrites > 0 {
					writes := 0
					for _, call := range srv.Calls() {
						if call.Method != http.MethodGet && call.Path != "/graphql" {
							writes++
						}
					}
					if writes != tt.wantWrites {
						t.Errorf("%d writes tried, want %d", writes, tt.wantWrites)
					}
				}
				if tt.wantState != "" {
					deps := srv.Deployments()
					if len(deps) != 1 || deps[0].Statuses[len(deps[0].Statuses)-1].State != tt.wantState || len(srv.IssueComments(41)) != 1 {
						t.Errorf("deployments %+v, comments %d: want the sinks with their permission working", deps, len(srv.IssueComments(41)))
					}
				}
			})
		})
	}
}

func TestRefusalWarning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		refused []githubapi.Refusal
		want    string
	}{
		{name: "one", refused: []githubapi.Refusal{{Op: "set commit status", Need: "statuses: write"}},
			want: "GitHub refused to set commit status (statuses: write) for want of a permission, so it is turned off for the rest of this run; " +
				"add statuses: write to the job's permissions: block; a pull request from a fork only ever gets a read-only token"},
		{name: "several_and_one_unknown", refused: []githubapi.Refusal{{Op: "create deployment", Need: "deployments: write"},
			{Op: "edit comment"}, {Op: "list deployments", Need: "deployments: write"}},
			want: "GitHub refused to create deployment (deployments: write), edit comment and list deployments (deployments: write) for want of a permission, " +
				"so these are turned off for the rest of this run; add deployments: write to the job's permissions: block; " +
				"a pull request from a fork only ever gets a read-only token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := githubapi.RefusalWarning(tt.refused); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
