package gitlabapi_test

// The GitLab sinks share one client; these tests run them together, as the app does,
// through a real sink.Dispatcher inside testing/synctest (the fake is called in memory, so
// the clock is the bubble's), and count what a run costs.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabdeploy"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabnote"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabstatus"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

// budget is the most GitLab calls a default 10-minute run may make across the sinks.
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

// onGitLab is a GitLab branch pipeline's run context.
func onGitLab(r *model.RunContext) {
	r.Platform, r.Ref, r.ProjectID, r.PipelineID = "gitlab", "main", "4242", strconv.Itoa(gitlabtest.PipelineID)
	r.RunURL = fmt.Sprintf("%s/%s/-/jobs/%d", gitlabtest.ServerURL, gitlabtest.ProjectPath, gitlabtest.JobID)
	r.ServerURL, r.APIURL = gitlabtest.ServerURL, gitlabtest.ServerURL+"/api/v4"
}

// healthyRun drives the events of a default healthy run through d, at their times.
func healthyRun(t *testing.T, d *sink.Dispatcher, run func(*model.RunContext)) []string {
	t.Helper()
	at := func(r model.Report) model.Report { onGitLab(&r.Run); run(&r.Run); return r }
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

// gitlabSinks builds the sinks as the app does on one client: the deployment, the note
// and, when status is set, the commit status.
func gitlabSinks(t *testing.T, c *gitlabapi.Client, status bool) []sink.Sink {
	t.Helper()
	deploy, err := gitlabdeploy.New(gitlabdeploy.Config{Client: c, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	note, err := gitlabnote.New(gitlabnote.Config{Client: c, Mode: gitlabnote.ModeAuto, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	out := []sink.Sink{deploy, note}
	if status {
		st, err := gitlabstatus.New(gitlabstatus.Config{Client: c, Environment: "production"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	return out
}

// With the default settings (deployment on, note auto, commit status off), and with the
// commit status on too, a healthy 10-minute run stays within the API budget.
func TestAPIBudgetOfADefaultRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// mr seeds a merge request of the commit; deployJob the deploy job's deployment.
		mr, deployJob, status bool
		run                   func(*model.RunContext)
		wantCalls             int
	}{
		{name: "merge_request_pipeline_after_a_deploy_job", mr: true, deployJob: true, wantCalls: 9,
			run: func(c *model.RunContext) { c.EventName, c.PullRequest = "merge_request_event", 41 }},
		{name: "branch_pipeline_merge_request_found_by_commit", mr: true, wantCalls: 12, run: func(*model.RunContext) {}},
		{name: "branch_pipeline_without_merge_request", wantCalls: 12, run: func(*model.RunContext) {}},
		{name: "with_the_commit_status", mr: true, status: true, wantCalls: 15, run: func(*model.RunContext) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv := gitlabtest.New()
				if tt.mr {
					srv.AddMergeRequest(41, sha, "opened")
				}
				if tt.deployJob {
					srv.AddDeployment(gitlabtest.Deployment{SHA: sha, JobID: 71})
				}
				c := inMemory(t, srv, false)
				warnings := healthyRun(t, sink.New(gitlabSinks(t, c, tt.status), sink.Options{}), tt.run)
				calls := srv.Calls()
				var lines []string
				for _, call := range calls {
					lines = append(lines, call.At.Sub(calls[0].At).String()+" "+call.Method+" "+call.Path)
				}
				t.Logf("%d GitLab calls:\n%s", len(calls), strings.Join(lines, "\n"))
				if len(calls) > budget || len(calls) != tt.wantCalls {
					t.Errorf("%d calls, want %d (the budget is %d)", len(calls), tt.wantCalls, budget)
				}
				if len(warnings) != 0 {
					t.Errorf("warnings %q", warnings)
				}
				for _, call := range calls {
					if call.Status >= 400 {
						t.Errorf("%s %s answered %d", call.Method, call.Path, call.Status)
					}
				}
				deps := srv.Deployments()
				if len(deps) != 1 || deps[0].Status != "success" {
					t.Errorf("deployments %+v, want one ending in success", deps)
				}
				if n := len(srv.MergeRequestNotes(41)) + len(srv.CommitNotes(sha)); n != 1 {
					t.Errorf("%d notes, want exactly one", n)
				}
			})
		})
	}
}

// With CI_JOB_TOKEN (gitlab_token's default) the deployment works, and the note and the
// commit status, which a job token cannot write, cost one warning each naming the fix.
func TestJobTokenWarnsOncePerSink(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := gitlabtest.New()
		srv.AddMergeRequest(41, sha, "opened")
		c := inMemory(t, srv, true)
		warnings := healthyRun(t, sink.New(gitlabSinks(t, c, true), sink.Options{}), func(*model.RunContext) {})
		want := map[string]string{
			"gitlab note":          "CI_JOB_TOKEN cannot create merge request notes; set gitlab_token to a project access token with the api scope",
			"gitlab commit status": "CI_JOB_TOKEN cannot set commit statuses; set gitlab_token to a project access token with the api scope",
		}
		if len(warnings) != len(want) {
			t.Fatalf("warnings %q, want one per sink that cannot work", warnings)
		}
		for _, w := range warnings {
			name, _, _ := strings.Cut(w, ":")
			if !strings.Contains(w, "turned off for the rest of this run") || want[name] == "" || !strings.Contains(w, want[name]) {
				t.Errorf("warning %q, want %s turned off saying %q", w, name, want[name])
			}
			if strings.Contains(w, gitlabtest.JobToken) {
				t.Errorf("the token leaked into %q", w)
			}
		}
		if deps := srv.Deployments(); len(deps) != 1 || deps[0].Status != "success" {
			t.Errorf("deployments %+v, want one ending in success", deps)
		}
		refused := 0
		for _, call := range srv.Calls() {
			if call.Status == http.StatusUnauthorized {
				refused++
			}
		}
		if refused != len(want) {
			t.Errorf("%d calls refused, want one per sink", refused)
		}
	})
}
