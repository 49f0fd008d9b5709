package gitlabdeploy_test

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

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabdeploy"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	otherSHA    = "1111111111111111111111111111111111111111"
	deployments = "/api/v4/projects/4242/deployments"
)

// onGitLab makes an event a GitLab run's: a push pipeline on main.
func onGitLab(ev sink.Event) sink.Event {
	r := &ev.Report.Run
	r.Platform, r.Ref, r.ProjectID, r.PipelineID = "gitlab", "main", "4242", strconv.Itoa(gitlabtest.PipelineID)
	r.RunURL = fmt.Sprintf("%s/%s/-/jobs/%d", gitlabtest.ServerURL, gitlabtest.ProjectPath, gitlabtest.JobID)
	r.ServerURL, r.APIURL = gitlabtest.ServerURL, gitlabtest.ServerURL+"/api/v4"
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

func newClient(t *testing.T, apiRoot string, job bool) *gitlabapi.Client {
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
	return c
}

func newSink(t *testing.T, apiRoot string, cfg gitlabdeploy.Config) *gitlabdeploy.Sink {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = newClient(t, apiRoot, false)
	}
	if cfg.Environment == "" {
		cfg.Environment = "production"
	}
	s, err := gitlabdeploy.New(cfg)
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

// The golden file is regenerated with: go test ./internal/sink/gitlabdeploy -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New:     func(t *testing.T, baseURL string) sink.Sink { return newSink(t, baseURL, gitlabdeploy.Config{}) },
		API:     gitlabtest.New(),
		Events:  events(),
		Probe:   finished(),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Private-Token", "Content-Type"},
		Secrets: []string{gitlabtest.Token},
	})
}

// calls lists the calls as "METHOD path?query".
func calls(srv *gitlabtest.Server) []string {
	var out []string
	for _, c := range srv.Calls() {
		line := c.Method + " " + c.Path
		if c.Query != "" {
			line += "?" + c.Query
		}
		out = append(out, line)
	}
	return out
}

const list = "GET " + deployments + "?environment=production&order_by=id&per_page=20&sort=desc"

// The deploy job's deployment (the monitor runs with environment action verify) is
// linked and never touched: its job owns its status.
func TestJobDeploymentIsLinkedAndUntouched(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	srv.AddDeployment(gitlabtest.Deployment{SHA: otherSHA, JobID: 70})
	job := srv.AddDeployment(gitlabtest.Deployment{SHA: sinktest.SHA, JobID: 71, JobName: "deploy-production"})
	s := newSink(t, srv.URL, gitlabdeploy.Config{})
	send(t, s, events()...)
	if diff := cmp.Diff([]string{list}, calls(srv)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	dep := srv.Deployments()[1]
	h := s.Handles()
	want := sink.Handles{DeploymentID: strconv.FormatInt(job, 10), Links: []model.Link{
		{Label: "environments", URL: "https://gitlab.example.com/acme/shop/-/environments"},
		{Label: "deployment", URL: fmt.Sprintf("https://gitlab.example.com/acme/shop/-/environments/%d/deployments/%d", envID(t, srv), dep.IID)},
	}}
	if diff := cmp.Diff(want, sink.Handles{DeploymentID: h.DeploymentID, Links: h.Links}); diff != "" {
		t.Errorf("handles (-want +got):\n%s", diff)
	}
	if dep.Status != "success" {
		t.Errorf("the job's deployment is %s, want it untouched", dep.Status)
	}
}

// envID reads the production environment's id from the fake's answer.
func envID(t *testing.T, srv *gitlabtest.Server) int64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+deployments+"?environment=production", nil)
	req.Header.Set("Private-Token", gitlabtest.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc []struct {
		Environment struct {
			ID int64 `json:"id"`
		} `json:"environment"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || len(doc) == 0 {
		t.Fatalf("deployments: %v", err)
	}
	return doc[0].Environment.ID
}

func body(t *testing.T, c gitlabtest.Call) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(c.Body), &doc); err != nil {
		t.Fatalf("%s %s body %q: %v", c.Method, c.Path, c.Body, err)
	}
	return doc
}

// With no deployment of the commit (the deploy happened outside GitLab CI) the sink
// records one, running, and finishes it with the outcome.
func TestDeploymentIsRecordedWhenNoneExists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ref     string
		tag     bool
		want    map[string]any
		wantRef string
	}{
		{name: "branch", ref: "main", want: map[string]any{"ref": "main", "tag": false}},
		{name: "full_tag_ref", ref: "refs/tags/v1.4.0", want: map[string]any{"ref": "v1.4.0", "tag": true}},
		{name: "tag_pipeline", ref: "v1.4.0", tag: true, want: map[string]any{"ref": "v1.4.0", "tag": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			// Another commit's deployment and a later pipeline's deploy job not run yet.
			srv.AddDeployment(gitlabtest.Deployment{SHA: otherSHA, JobID: 70})
			srv.AddDeployment(gitlabtest.Deployment{SHA: sinktest.SHA, JobID: 72, PipelineID: 1, Status: "created"})
			s := newSink(t, srv.URL, gitlabdeploy.Config{Tag: tt.tag})
			evs := events()
			for i := range evs {
				evs[i].Report.Run.Ref = tt.ref
			}
			send(t, s, evs...)
			deps := srv.Deployments()
			mine := deps[len(deps)-1]
			want := []string{list, "POST " + deployments, fmt.Sprintf("PUT %s/%d", deployments, mine.ID)}
			if diff := cmp.Diff(want, calls(srv)); diff != "" {
				t.Fatalf("calls (-want +got):\n%s", diff)
			}
			create := map[string]any{"environment": "production", "sha": sinktest.SHA, "status": "running"}
			for k, v := range tt.want {
				create[k] = v
			}
			posted := srv.Calls()
			if diff := cmp.Diff(create, body(t, posted[1])); diff != "" {
				t.Errorf("create body (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]any{"status": "failed"}, body(t, posted[2])); diff != "" {
				t.Errorf("update body (-want +got):\n%s", diff)
			}
			if mine.Status != "failed" || mine.JobID != 0 || s.Handles().DeploymentID != strconv.FormatInt(mine.ID, 10) {
				t.Errorf("deployment %+v, handles %+v", mine, s.Handles())
			}
		})
	}
}

// A re-run finds the deployment an earlier run recorded through the API and carries it
// on, never asking for a change GitLab refuses.
func TestRerunReusesTheRecordedDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     string // the earlier run's deployment
		verdict    model.Verdict
		wantUpdate []string
	}{
		{name: "interrupted_run", status: "running", verdict: model.VerdictHealthy, wantUpdate: []string{"success"}},
		{name: "finished_run_same_outcome", status: "failed", verdict: model.VerdictFailed},
		{name: "finished_run_new_outcome", status: "failed", verdict: model.VerdictHealthy, wantUpdate: []string{"success"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			earlier := srv.AddDeployment(gitlabtest.Deployment{SHA: sinktest.SHA, Status: tt.status})
			evs := events()
			evs[len(evs)-1].Report.Verdict = tt.verdict
			send(t, newSink(t, srv.URL, gitlabdeploy.Config{}), evs...)
			var updates []string
			for _, c := range srv.CallsTo(http.MethodPut, deployments+"/*") {
				updates = append(updates, body(t, c)["status"].(string))
				if c.Path != fmt.Sprintf("%s/%d", deployments, earlier) {
					t.Errorf("updated %s, want deployment %d", c.Path, earlier)
				}
			}
			if diff := cmp.Diff(tt.wantUpdate, updates); diff != "" {
				t.Errorf("updates (-want +got):\n%s", diff)
			}
			if n := len(srv.CallsTo(http.MethodPost, deployments)); n != 0 {
				t.Errorf("%d deployments created, want the earlier one reused", n)
			}
			for _, c := range srv.Calls() {
				if c.Status >= 400 {
					t.Errorf("%s %s answered %d", c.Method, c.Path, c.Status)
				}
			}
		})
	}
}

// Modes start, monitor and finish: the deployment start recorded is given to the later
// steps, which carry it on.
func TestGivenDeployment(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	start := newSink(t, srv.URL, gitlabdeploy.Config{})
	send(t, start, events()[0])
	id := start.Handles().DeploymentID
	// Other deploys went out since.
	for range 30 {
		srv.AddDeployment(gitlabtest.Deployment{SHA: otherSHA, JobID: 70})
	}
	resumed := events()[0]
	resumed.Kind = sink.KindResumed
	send(t, newSink(t, srv.URL, gitlabdeploy.Config{DeploymentID: id}), resumed)
	send(t, newSink(t, srv.URL, gitlabdeploy.Config{DeploymentID: id}), finished())
	if d := srv.Deployments()[0]; strconv.FormatInt(d.ID, 10) != id || d.Status != "failed" {
		t.Errorf("deployment %+v, want %s failed", d, id)
	}
	if n := len(srv.CallsTo(http.MethodGet, deployments+"/"+id)); n != 2 {
		t.Errorf("read the given deployment %d times, want once per later step (it is past the list's first page)", n)
	}
	if n := len(srv.CallsTo(http.MethodPost, deployments)); n != 1 {
		t.Errorf("%d deployments created, want 1", n)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		verdict model.Verdict
		want    string
	}{
		{model.VerdictHealthy, "success"},
		{model.VerdictDegraded, "success"},
		{model.VerdictFailed, "failed"},
		{model.VerdictInconclusive, "failed"},
		{model.VerdictCancelled, "canceled"},
	}
	for _, tt := range tests {
		ev := finished()
		ev.Report.Verdict = tt.verdict
		if got := gitlabdeploy.Status(ev); got != tt.want {
			t.Errorf("Status(%s) = %q, want %q", tt.verdict, got, tt.want)
		}
	}
	if got := gitlabdeploy.Status(events()[1]); got != "running" {
		t.Errorf("a checkpoint's status is %q, want running", got)
	}
	// A cancelled run records its outcome in mode finish.
	srv := gitlabtest.Start(t)
	ev := finished()
	ev.Report.Verdict = model.VerdictCancelled
	send(t, newSink(t, srv.URL, gitlabdeploy.Config{}), ev)
	if deps := srv.Deployments(); len(deps) != 1 || deps[0].Status != "canceled" {
		t.Errorf("deployments %+v, want one canceled", deps)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	at := func(h int) time.Time { return sinktest.Start.Add(-time.Duration(h) * time.Hour) }
	oldest := srv.AddDeployment(gitlabtest.Deployment{SHA: otherSHA, Status: "failed", User: "octocat", CreatedAt: at(4)})
	byJob := srv.AddDeployment(gitlabtest.Deployment{SHA: otherSHA, Ref: "v1.3.0", Tag: true, JobID: 61, JobName: "deploy-prod", PipelineID: 3, CreatedAt: at(3)})
	srv.AddDeployment(gitlabtest.Deployment{SHA: otherSHA, Environment: "staging", CreatedAt: at(2)})
	srv.AddDeployment(gitlabtest.Deployment{SHA: otherSHA, JobID: 62, PipelineID: 4, Status: "created", CreatedAt: at(1)})
	current := srv.AddDeployment(gitlabtest.Deployment{SHA: sinktest.SHA, JobID: 63, CreatedAt: at(0)})
	s := newSink(t, srv.URL, gitlabdeploy.Config{HistorySize: 5})
	send(t, s, events()[0])
	h := s.Handles()
	if h.DeploymentID != strconv.FormatInt(current, 10) {
		t.Errorf("deployment %s, want the job's %d", h.DeploymentID, current)
	}
	want := []model.PastDeployment{
		{ID: strconv.FormatInt(byJob, 10), SHA: otherSHA, Ref: "v1.3.0", State: "success", Description: "job deploy-prod",
			CreatedAt: at(3), Creator: gitlabtest.JobUser, URL: "https://gitlab.example.com/acme/shop/-/jobs/61"},
		{ID: strconv.FormatInt(oldest, 10), SHA: otherSHA, Ref: "main", State: "failed", CreatedAt: at(4), Creator: "octocat"},
	}
	if diff := cmp.Diff(want, h.History); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// An answer lost after GitLab acted: the retry finds the deployment, or reads its status,
// rather than asking again for what GitLab would refuse.
func TestLostAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		method, path   string
		wantStatus     string
		wantReadStatus int
	}{
		{name: "create", method: http.MethodPost, path: deployments, wantStatus: "running"},
		{name: "update", method: http.MethodPut, path: deployments + "/*", wantStatus: "failed", wantReadStatus: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			srv.FailAfterNext(tt.method, tt.path, http.StatusBadGateway, nil, `{"message":"502 Bad Gateway"}`)
			s := newSink(t, srv.URL, gitlabdeploy.Config{})
			ev := events()[0]
			if tt.method == http.MethodPut {
				send(t, s, ev)
				ev = finished()
			}
			if retry, err := s.Send(t.Context(), ev); !retry || err == nil {
				t.Fatalf("after a 502: retry %v, err %v", retry, err)
			}
			send(t, s, ev)
			deps := srv.Deployments()
			if len(deps) != 1 || deps[0].Status != tt.wantStatus {
				t.Errorf("deployments %+v, want one %s", deps, tt.wantStatus)
			}
			if n := len(srv.CallsTo(http.MethodGet, deployments+"/*")); n != tt.wantReadStatus {
				t.Errorf("read the deployment %d times, want %d", n, tt.wantReadStatus)
			}
			for _, c := range srv.Calls() {
				if c.Status == http.StatusBadRequest {
					t.Errorf("%s %s answered 400", c.Method, c.Path)
				}
			}
		})
	}
}

// CI_JOB_TOKEN may use the deployments API: everything works with it.
func TestWorksWithTheJobToken(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	s := newSink(t, srv.URL, gitlabdeploy.Config{Client: newClient(t, srv.URL, true)})
	send(t, s, events()...)
	deps := srv.Deployments()
	if len(deps) != 1 || deps[0].Status != "failed" || deps[0].User != gitlabtest.JobUser {
		t.Errorf("deployments %+v, want one failed, made as the job's user", deps)
	}
	for _, c := range srv.Calls() {
		if c.Auth != "JOB-TOKEN" || c.Status >= 400 {
			t.Errorf("%s %s: %s, %d", c.Method, c.Path, c.Auth, c.Status)
		}
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	c := newClient(t, "https://gitlab.example.com", false)
	tests := []struct {
		name string
		cfg  gitlabdeploy.Config
		want string
	}{
		{name: "no_client", cfg: gitlabdeploy.Config{Environment: "production"}, want: "no GitLab client"},
		{name: "no_environment", cfg: gitlabdeploy.Config{Client: c}, want: "environment is empty"},
		{name: "bad_deployment_id", cfg: gitlabdeploy.Config{Client: c, Environment: "production", DeploymentID: "abc"}, want: `deployment_id "abc"`},
		{name: "every_problem", cfg: gitlabdeploy.Config{DeploymentID: "-1"}, want: "no GitLab client; environment is empty; deployment_id"},
	}
	for _, tt := range tests {
		if _, err := gitlabdeploy.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
