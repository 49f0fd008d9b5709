package gitlabstatus_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabstatus"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	name     = "deploywatch/production"
	statuses = "/api/v4/projects/4242/statuses/" + sinktest.SHA
	read     = "/api/v4/projects/4242/repository/commits/" + sinktest.SHA + "/statuses"
)

var jobURL = fmt.Sprintf("%s/%s/-/jobs/%d", gitlabtest.ServerURL, gitlabtest.ProjectPath, gitlabtest.JobID)

// onGitLab makes an event a GitLab run's: a push pipeline on main.
func onGitLab(ev sink.Event) sink.Event {
	r := &ev.Report.Run
	r.Platform, r.Ref, r.ProjectID, r.PipelineID = "gitlab", "main", "4242", strconv.Itoa(gitlabtest.PipelineID)
	r.RunURL, r.ServerURL, r.APIURL = jobURL, gitlabtest.ServerURL, gitlabtest.ServerURL+"/api/v4"
	return ev
}

func events() []sink.Event {
	evs := sinktest.Events()
	for i := range evs {
		evs[i] = onGitLab(evs[i])
	}
	return evs
}

func finished() sink.Event { return onGitLab(sinktest.Finished()) }

func newSink(t *testing.T, apiRoot string, job bool) *gitlabstatus.Sink {
	t.Helper()
	token := gitlabtest.Token
	if job {
		token = gitlabtest.JobToken
	}
	c, err := gitlabapi.New(gitlabapi.Config{Token: token, JobToken: job, APIURL: apiRoot + "/api/v4", ProjectID: "4242",
		ProjectPath: gitlabtest.ProjectPath, ServerURL: gitlabtest.ServerURL})
	if err != nil {
		t.Fatal(err)
	}
	s, err := gitlabstatus.New(gitlabstatus.Config{Client: c, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func send(t *testing.T, s sink.Sink, evs ...sink.Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
	}
}

// The golden file is regenerated with: go test ./internal/sink/gitlabstatus -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New:     func(t *testing.T, baseURL string) sink.Sink { return newSink(t, baseURL, false) },
		API:     gitlabtest.New(),
		Events:  events(),
		Probe:   finished(),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Private-Token", "Content-Type"},
		Secrets: []string{gitlabtest.Token},
	})
}

type posted struct {
	State, Description, TargetURL, Name, Ref string
	PipelineID                               float64
}

// posts returns what the sink posted, and fails the test on any answer of 400 or more.
func posts(t *testing.T, srv *gitlabtest.Server) []posted {
	t.Helper()
	var out []posted
	for _, c := range srv.Calls() {
		if c.Status >= 400 {
			t.Errorf("%s %s?%s answered %d", c.Method, c.Path, c.Query, c.Status)
		}
		if c.Method != http.MethodPost {
			continue
		}
		var p struct {
			State       string  `json:"state"`
			Description string  `json:"description"`
			TargetURL   string  `json:"target_url"`
			Name        string  `json:"name"`
			Ref         string  `json:"ref"`
			PipelineID  float64 `json:"pipeline_id"`
		}
		if err := json.Unmarshal([]byte(c.Body), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, posted{p.State, p.Description, p.TargetURL, p.Name, p.Ref, p.PipelineID})
	}
	return out
}

// Over the events of a run (a start repeated, as a resumed run sends it) the sink posts
// running once and the outcome once, and GitLab never has to refuse a transition.
func TestStateSequenceIsNeverRefused(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	s := newSink(t, srv.URL, false)
	evs := events()
	resumed := evs[0]
	resumed.Kind = sink.KindResumed
	evs = append([]sink.Event{evs[0], resumed}, evs[1:]...)
	// From the finding on, the sticky note is known: the final status links to it.
	const noteURL = "https://gitlab.example.com/acme/shop/-/merge_requests/41#note_7"
	evs[len(evs)-1].Report.CommentURL = noteURL
	send(t, s, evs...)
	want := []posted{
		{"running", "Monitoring production: 2 checks", jobURL, name, "main", gitlabtest.PipelineID},
		{"failed", "failed: critical error_rate: error rate 4.2% over the 1% limit — detected after 1m35s", noteURL, name, "main", gitlabtest.PipelineID},
	}
	if diff := cmp.Diff(want, posts(t, srv)); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	reads := srv.CallsTo(http.MethodGet, read)
	if len(reads) != 1 || reads[0].Query != "name=deploywatch%2Fproduction&per_page=100&pipeline_id=987654" {
		t.Errorf("reads %+v, want one, by name and pipeline", reads)
	}
	if n := len(srv.Calls()); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

// A re-run in the same pipeline (the job retried) finds the status of the earlier run and
// carries on from it.
func TestRerunInTheSamePipeline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		earlier string
		mode    string // "run": start and end; "finish": the end alone
		want    []string
	}{
		{name: "earlier_run_killed_while_running", earlier: "running", mode: "run", want: []string{"failed"}},
		{name: "earlier_run_finished", earlier: "success", mode: "run", want: []string{"running", "failed"}},
		{name: "pending_set_by_someone", earlier: "pending", mode: "run", want: []string{"running", "failed"}},
		{name: "finish_after_the_same_outcome", earlier: "failed", mode: "finish"},
		{name: "finish_over_running", earlier: "running", mode: "finish", want: []string{"failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			srv.AddCommitStatus(gitlabtest.CommitStatus{SHA: sinktest.SHA, Name: name, Status: tt.earlier})
			// Another pipeline's status of the same name is not this run's.
			srv.AddCommitStatus(gitlabtest.CommitStatus{SHA: sinktest.SHA, Name: name, Status: "running", PipelineID: 1})
			s := newSink(t, srv.URL, false)
			if tt.mode == "run" {
				send(t, s, events()...)
			} else {
				send(t, s, finished())
			}
			var got []string
			for _, p := range posts(t, srv) {
				got = append(got, p.State)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("posted states (-want +got):\n%s", diff)
			}
		})
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
		{name: "healthy", verdict: model.VerdictHealthy, wantState: "success", wantDesc: "healthy: "},
		{name: "degraded", verdict: model.VerdictDegraded, wantState: "success", wantDesc: "degraded: "},
		{name: "failed", verdict: model.VerdictFailed, wantState: "failed", wantDesc: "failed: "},
		{name: "failed_dry_run", verdict: model.VerdictFailed, dryRun: true, wantState: "failed", wantDesc: "dry run: failed: "},
		{name: "inconclusive_is_failed_and_says_so", verdict: model.VerdictInconclusive, wantState: "failed", wantDesc: "inconclusive: "},
		{name: "cancelled", verdict: model.VerdictCancelled, wantState: "canceled", wantDesc: "cancelled after 1m36s: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			start, ev := events()[0], finished()
			ev.Report.Verdict, ev.Report.DryRun = tt.verdict, tt.dryRun
			ev.Report.Reason = strings.Repeat("far too many errors ", 20)
			send(t, newSink(t, srv.URL, false), start, ev)
			got := posts(t, srv)
			if len(got) != 2 || got[1].State != tt.wantState || !strings.HasPrefix(got[1].Description, tt.wantDesc) ||
				len([]rune(got[1].Description)) > gitlabapi.MaxDescription {
				t.Errorf("posts %+v, want running then %s starting %q within 255 characters", got, tt.wantState, tt.wantDesc)
			}
			if st := srv.CommitStatuses(sinktest.SHA); len(st) != 1 || st[0].Status != tt.wantState {
				t.Errorf("statuses %+v, want the one status moved to %s", st, tt.wantState)
			}
		})
	}
}

// A post whose answer was lost is not repeated blindly: GitLab would refuse the repeat.
func TestLostAnswerIsReadAgain(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	srv.FailAfterNext(http.MethodPost, statuses, http.StatusGatewayTimeout, nil, `{"message":"504 Gateway Timeout"}`)
	s := newSink(t, srv.URL, false)
	start := events()[0]
	if retry, err := s.Send(t.Context(), start); !retry || err == nil {
		t.Fatalf("after a 504: retry %v, err %v", retry, err)
	}
	send(t, s, start, finished())
	var states []string
	for _, c := range srv.Calls() {
		if c.Status == http.StatusBadRequest {
			t.Errorf("%s %s answered 400", c.Method, c.Path)
		}
		if c.Method == http.MethodGet {
			states = append(states, "read")
		} else {
			states = append(states, fmt.Sprint(c.Status))
		}
	}
	if diff := cmp.Diff([]string{"read", "504", "read", "201"}, states); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if st := srv.CommitStatuses(sinktest.SHA); len(st) != 1 || st[0].Status != "failed" {
		t.Errorf("statuses %+v, want one failed", st)
	}
}

// A CI_JOB_TOKEN cannot read or set commit statuses: one call, then the sink is off.
func TestJobTokenTurnsItOff(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	retry, err := newSink(t, srv.URL, true).Send(t.Context(), events()[0])
	var se *sink.Error
	want := "CI_JOB_TOKEN cannot set commit statuses; set gitlab_token to a project access token with the api scope"
	if retry || !errors.As(err, &se) || !se.Disable || !strings.Contains(err.Error(), want) {
		t.Errorf("retry %v, err %v; want a disabling error saying %q", retry, err, want)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// GitLab refuses a target_url over 255 characters: a note URL that long gives way to the
// job's, and a job URL that long to none.
func TestTargetURLFitsGitLab(t *testing.T) {
	t.Parallel()
	long := "https://gitlab.example.com/" + strings.Repeat("deep/", 50) + "-/merge_requests/41#note_7"
	tests := []struct {
		name, note, job, want string
	}{
		{name: "note", note: "https://gitlab.example.com/acme/shop/-/merge_requests/41#note_7", job: jobURL,
			want: "https://gitlab.example.com/acme/shop/-/merge_requests/41#note_7"},
		{name: "note_too_long", note: long, job: jobURL, want: jobURL},
		{name: "both_too_long", note: long, job: long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			ev := events()[0]
			ev.Report.CommentURL, ev.Report.Run.RunURL = tt.note, tt.job
			send(t, newSink(t, srv.URL, false), ev)
			if got := posts(t, srv); len(got) != 1 || got[0].TargetURL != tt.want {
				t.Errorf("posts %+v, want target_url %q", got, tt.want)
			}
		})
	}
}

// Checkpoints, findings and the rollback post nothing.
func TestOnlyStartAndEndPost(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	evs := events()
	send(t, newSink(t, srv.URL, false), evs[1:len(evs)-1]...)
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d calls for the events between start and end, want none", n)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := gitlabstatus.New(gitlabstatus.Config{Environment: "production"}); err == nil {
		t.Error("no client accepted")
	}
	c, err := gitlabapi.New(gitlabapi.Config{Token: "t0ken-value", APIURL: "https://gitlab.example.com/api/v4", ProjectPath: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gitlabstatus.New(gitlabstatus.Config{Client: c}); err == nil {
		t.Error("no environment accepted")
	}
}
