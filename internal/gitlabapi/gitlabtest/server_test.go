package gitlabtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	sha  = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"
	proj = "/api/v4/projects/4242"
)

// answer is one response of the fake, decoded.
type answer struct {
	status int
	header http.Header
	doc    any
}

func call(t *testing.T, s *Server, method, path, body string) answer {
	t.Helper()
	return callAs(t, s, "PRIVATE-TOKEN", Token, method, path, body)
}

func callAs(t *testing.T, s *Server, header, token, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if header != "" {
		req.Header.Set(header, token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &a.doc); err != nil {
			t.Fatalf("%s %s answered %q: %v", method, path, b, err)
		}
	}
	return a
}

func (a answer) field(name string) any {
	m, _ := a.doc.(map[string]any)
	return m[name]
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := Start(t)
	tests := []struct {
		name          string
		header, token string
		path          string
		want          int
		wantUser      string
	}{
		{name: "private_token", header: "PRIVATE-TOKEN", token: Token, path: "/api/v4/user", want: 200, wantUser: Bot},
		{name: "bearer", header: "Authorization", token: "Bearer " + Token, path: "/api/v4/user", want: 200, wantUser: Bot},
		{name: "job_token_job", header: "JOB-TOKEN", token: JobToken, path: "/api/v4/job", want: 200},
		{name: "job_token_cannot_get_user", header: "JOB-TOKEN", token: JobToken, path: "/api/v4/user", want: 401},
		{name: "access_token_has_no_job", header: "PRIVATE-TOKEN", token: Token, path: "/api/v4/job", want: 401},
		{name: "missing", path: "/api/v4/user", want: 401},
		{name: "wrong_token", header: "PRIVATE-TOKEN", token: "glpat-other", path: "/api/v4/user", want: 401},
		{name: "wrong_job_token", header: "JOB-TOKEN", token: "glcbt-other", path: "/api/v4/job", want: 401},
		{name: "project_by_path", header: "PRIVATE-TOKEN", token: Token, path: "/api/v4/projects/acme%2Fshop/deployments", want: 200},
		{name: "other_project", header: "PRIVATE-TOKEN", token: Token, path: "/api/v4/projects/7/deployments", want: 404},
		{name: "unknown_route", header: "PRIVATE-TOKEN", token: Token, path: "/api/v4/nothing", want: 404},
	}
	for _, tt := range tests {
		got := callAs(t, s, tt.header, tt.token, http.MethodGet, tt.path, "")
		if got.status != tt.want {
			t.Errorf("%s: status %d, want %d (%v)", tt.name, got.status, tt.want, got.doc)
		}
		if tt.wantUser != "" && got.field("username") != tt.wantUser {
			t.Errorf("%s: user %v, want %s", tt.name, got.field("username"), tt.wantUser)
		}
	}
	job := callAs(t, s, "JOB-TOKEN", JobToken, http.MethodGet, "/api/v4/job", "")
	if user, _ := job.field("user").(map[string]any); user["username"] != JobUser || user["id"] != float64(JobUserID) {
		t.Errorf("GET /job user %v, want %s", job.field("user"), JobUser)
	}
	if got := call(t, s, http.MethodGet, "/api/v4/nothing", ""); got.field("error") != "404 Not Found" {
		t.Errorf("an unknown route: %v", got.doc)
	}
}

// A job token reaches the deployments and environments APIs and a few reads, and GitLab
// treats it as no token anywhere else.
func TestJobTokenLimits(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddMergeRequest(41, sha, "opened")
	note := s.AddNote(Note{MergeRequest: 41, Body: "hi"})
	tests := []struct {
		method, path, body string
		want               int
	}{
		{http.MethodGet, proj + "/deployments", "", 200},
		{http.MethodPost, proj + "/deployments", `{"environment":"production","sha":"` + sha + `","ref":"main","tag":false,"status":"running"}`, 201},
		{http.MethodGet, proj + "/repository/commits/" + sha + "/merge_requests", "", 200},
		{http.MethodGet, proj + "/merge_requests/41/notes", "", 200},
		{http.MethodPost, proj + "/merge_requests/41/notes", `{"body":"x"}`, 401},
		{http.MethodPut, fmt.Sprintf("%s/merge_requests/41/notes/%d", proj, note), `{"body":"x"}`, 401},
		{http.MethodPost, proj + "/statuses/" + sha, `{"state":"running"}`, 401},
		{http.MethodGet, proj + "/repository/commits/" + sha + "/statuses", "", 401},
		{http.MethodGet, proj + "/repository/commits/" + sha + "/discussions", "", 401},
		{http.MethodPost, proj + "/repository/commits/" + sha + "/discussions", `{"body":"x"}`, 401},
	}
	for _, tt := range tests {
		got := callAs(t, s, "JOB-TOKEN", JobToken, tt.method, tt.path, tt.body)
		if got.status != tt.want {
			t.Errorf("%s %s with the job token: %d, want %d (%v)", tt.method, tt.path, got.status, tt.want, got.doc)
		}
		if tt.want == 401 && got.field("message") != "401 Unauthorized" {
			t.Errorf("%s %s: %v, want 401 Unauthorized", tt.method, tt.path, got.doc)
		}
	}
	deps := s.Deployments()
	if len(deps) != 1 || deps[0].User != JobUser {
		t.Errorf("deployments %+v, want one made as the job's user", deps)
	}
	if n := len(s.MergeRequestNotes(41)); n != 1 {
		t.Errorf("%d notes, want the seeded one only", n)
	}
}

func TestListsArePaginated(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddMergeRequest(41, sha, "opened")
	for i := range 250 {
		s.AddNote(Note{MergeRequest: 41, Author: "octocat", Body: fmt.Sprint("note ", i)})
	}
	first := call(t, s, http.MethodGet, proj+"/merge_requests/41/notes?per_page=100&sort=asc", "")
	last := call(t, s, http.MethodGet, proj+"/merge_requests/41/notes?per_page=100&sort=asc&page=3", "")
	if n := len(first.doc.([]any)); n != 100 {
		t.Errorf("first page: %d notes, want 100", n)
	}
	if n := len(last.doc.([]any)); n != 50 {
		t.Errorf("last page: %d notes, want 50", n)
	}
	if body := first.doc.([]any)[0].(map[string]any)["body"]; body != "note 0" {
		t.Errorf("sort=asc starts with %v", body)
	}
	headers := func(a answer) []string {
		return []string{a.header.Get("X-Page"), a.header.Get("X-Next-Page"), a.header.Get("X-Prev-Page"), a.header.Get("X-Total"), a.header.Get("X-Total-Pages")}
	}
	if diff := cmp.Diff([]string{"1", "2", "", "250", "3"}, headers(first)); diff != "" {
		t.Errorf("first page headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"3", "", "2", "250", "3"}, headers(last)); diff != "" {
		t.Errorf("last page headers (-want +got):\n%s", diff)
	}
	base := s.URL + proj + "/merge_requests/41/notes"
	wantFirst := fmt.Sprintf(`<%[1]s?page=2&per_page=100&sort=asc>; rel="next", <%[1]s?page=1&per_page=100&sort=asc>; rel="first", <%[1]s?page=3&per_page=100&sort=asc>; rel="last"`, base)
	if got := first.header.Get("Link"); got != wantFirst {
		t.Errorf("first page Link %q, want %q", got, wantFirst)
	}
	newest := call(t, s, http.MethodGet, proj+"/merge_requests/41/notes", "")
	if body := newest.doc.([]any)[0].(map[string]any)["body"]; body != "note 249" || len(newest.doc.([]any)) != 20 {
		t.Errorf("by default: %d notes starting with %v, want 20 newest first", len(newest.doc.([]any)), body)
	}
}

func TestValidations(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddMergeRequest(41, sha, "opened")
	body := func(v string) string {
		b, _ := json.Marshal(map[string]string{"body": v})
		return string(b)
	}
	tests := []struct {
		name, method, path, body string
		want                     int
		wantMessage              string
	}{
		{name: "note_at_the_limit", method: http.MethodPost, path: proj + "/merge_requests/41/notes", body: body(strings.Repeat("é", MaxNoteChars)), want: 201},
		{name: "note_over_the_limit", method: http.MethodPost, path: proj + "/merge_requests/41/notes", body: body(strings.Repeat("é", MaxNoteChars+1)), want: 400,
			wantMessage: `{"note":["is too long (maximum is 1000000 characters)"]}`},
		{name: "commit_note_over_the_limit", method: http.MethodPost, path: proj + "/repository/commits/" + sha + "/discussions", body: body(strings.Repeat("x", MaxNoteChars+1)), want: 400},
		{name: "empty_note", method: http.MethodPost, path: proj + "/merge_requests/41/notes", body: body(""), want: 400, wantMessage: `{"note":["can't be blank"]}`},
		{name: "note_on_a_missing_merge_request", method: http.MethodPost, path: proj + "/merge_requests/8/notes", body: body("hi"), want: 404},
		{name: "discussion_on_a_bad_sha", method: http.MethodPost, path: proj + "/repository/commits/main/discussions", body: body("hi"), want: 404, wantMessage: `"404 Commit Not Found"`},
		{name: "deployment_without_fields", method: http.MethodPost, path: proj + "/deployments", body: `{"environment":"production"}`, want: 400},
		{name: "deployment_tag_not_bool", method: http.MethodPost, path: proj + "/deployments",
			body: `{"environment":"production","sha":"` + sha + `","ref":"main","tag":"no","status":"running"}`, want: 400},
		{name: "deployment_status_created", method: http.MethodPost, path: proj + "/deployments",
			body: `{"environment":"production","sha":"` + sha + `","ref":"main","tag":false,"status":"created"}`, want: 400},
		{name: "deployments_bad_order", method: http.MethodGet, path: proj + "/deployments?order_by=sha", want: 400},
		{name: "status_unknown_state", method: http.MethodPost, path: proj + "/statuses/" + sha, body: `{"state":"done"}`, want: 400},
		{name: "status_bad_target_url", method: http.MethodPost, path: proj + "/statuses/" + sha, body: `{"state":"running","target_url":"git://x"}`, want: 400},
		{name: "status_target_url_over_255", method: http.MethodPost, path: proj + "/statuses/" + sha,
			body: `{"state":"running","target_url":"https://x.example/` + strings.Repeat("p", 240) + `"}`, want: 400, wantMessage: `{"target_url":["is too long (maximum is 255 characters)"]}`},
		{name: "status_description_over_255", method: http.MethodPost, path: proj + "/statuses/" + sha,
			body: `{"state":"running","description":"` + strings.Repeat("d", 256) + `"}`, want: 400},
	}
	for _, tt := range tests {
		got := call(t, s, tt.method, tt.path, tt.body)
		if got.status != tt.want {
			t.Errorf("%s: status %d, want %d (%v)", tt.name, got.status, tt.want, got.doc)
		}
		if tt.wantMessage != "" {
			if msg, _ := json.Marshal(got.field("message")); string(msg) != tt.wantMessage {
				t.Errorf("%s: message %s, want %s", tt.name, msg, tt.wantMessage)
			}
		}
	}
}

// The commit status state machine: a status of the same name and pipeline still pending
// or running moves on if it may, else GitLab answers 400; a finished one is replaced.
func TestCommitStatusStateMachine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		posts []string
		// want is each post's status code; wantLatest the states the list shows after.
		want       []int
		wantMsg    string
		wantLatest []string
	}{
		{name: "pending_running_success", posts: []string{"pending", "running", "success"}, want: []int{201, 201, 201}, wantLatest: []string{"success"}},
		{name: "running_twice", posts: []string{"running", "running"}, want: []int{201, 400},
			wantMsg: `Cannot transition status via :run from :running (Reason(s): Status cannot transition via "run")`, wantLatest: []string{"running"}},
		{name: "pending_twice", posts: []string{"pending", "pending"}, want: []int{201, 400},
			wantMsg: `Cannot transition status via :enqueue from :pending (Reason(s): Status cannot transition via "enqueue")`},
		{name: "running_back_to_pending", posts: []string{"running", "pending"}, want: []int{201, 400}, wantMsg: "Cannot transition status via :enqueue from :running"},
		{name: "pending_to_canceled", posts: []string{"pending", "canceled"}, want: []int{201, 201}, wantLatest: []string{"canceled"}},
		{name: "finished_is_replaced", posts: []string{"running", "failed", "running", "success"}, want: []int{201, 201, 201, 201}, wantLatest: []string{"success"}},
		{name: "same_final_twice_makes_another", posts: []string{"success", "success"}, want: []int{201, 201}, wantLatest: []string{"success"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Start(t)
			var got []int
			var last answer
			for _, st := range tt.posts {
				last = call(t, s, http.MethodPost, proj+"/statuses/"+sha, `{"state":"`+st+`","name":"deploywatch/production","ref":"main","pipeline_id":987654}`)
				got = append(got, last.status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if msg, _ := last.field("message").(string); tt.wantMsg != "" && !strings.HasPrefix(msg, tt.wantMsg) {
				t.Errorf("message %q, want %q", msg, tt.wantMsg)
			}
			if tt.wantLatest == nil {
				return
			}
			list := call(t, s, http.MethodGet, proj+"/repository/commits/"+sha+"/statuses?name=deploywatch%2Fproduction&pipeline_id=987654", "")
			var states []string
			for _, st := range list.doc.([]any) {
				states = append(states, st.(map[string]any)["status"].(string))
			}
			if diff := cmp.Diff(tt.wantLatest, states); diff != "" {
				t.Errorf("latest statuses (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("other_pipeline_is_another_status", func(t *testing.T) {
		t.Parallel()
		s := Start(t)
		for _, p := range []string{"1", "2"} {
			if got := call(t, s, http.MethodPost, proj+"/statuses/"+sha, `{"state":"running","name":"x","pipeline_id":`+p+`}`); got.status != 201 {
				t.Errorf("running in pipeline %s: %d", p, got.status)
			}
		}
		all := call(t, s, http.MethodGet, proj+"/repository/commits/"+sha+"/statuses?all=true", "")
		if n := len(all.doc.([]any)); n != 2 {
			t.Errorf("%d statuses, want one per pipeline", n)
		}
	})
}

// Only a deployment made through the API may be updated, along its state machine.
func TestDeploymentUpdates(t *testing.T) {
	t.Parallel()
	s := Start(t)
	byJob := s.AddDeployment(Deployment{SHA: sha, JobID: 77, Status: "running"})
	byAPI := s.AddDeployment(Deployment{SHA: sha, Status: "running"})
	put := func(id int64, status string) answer {
		return call(t, s, http.MethodPut, fmt.Sprintf("%s/deployments/%d", proj, id), `{"status":"`+status+`"}`)
	}
	if got := put(byJob, "success"); got.status != 403 || got.field("message") != "403 Forbidden - Deployments created using GitLab CI can not be updated using the API" {
		t.Errorf("updating a job's deployment: %d %v, want 403", got.status, got.doc)
	}
	steps := []struct {
		status string
		want   int
	}{{"running", 400}, {"success", 200}, {"success", 400}, {"failed", 200}, {"running", 400}, {"canceled", 200}, {"done", 400}}
	for _, st := range steps {
		if got := put(byAPI, st.status); got.status != st.want {
			t.Errorf("PUT status %s: %d, want %d (%v)", st.status, got.status, st.want, got.doc)
		}
	}
	if got := put(9999, "success"); got.status != 404 {
		t.Errorf("a missing deployment: %d", got.status)
	}
	deps := s.Deployments()
	if deps[0].Status != "running" || deps[1].Status != "canceled" {
		t.Errorf("statuses %s, %s; want running (untouched), canceled", deps[0].Status, deps[1].Status)
	}
	got := call(t, s, http.MethodGet, proj+"/deployments?environment=production&order_by=id&sort=desc", "")
	list := got.doc.([]any)
	first := list[0].(map[string]any)
	if len(list) != 2 || first["id"] != float64(byAPI) || first["deployable"] != nil {
		t.Errorf("list %v, want the API's deployment first, without deployable", got.doc)
	}
	deployable, _ := list[1].(map[string]any)["deployable"].(map[string]any)
	if deployable["id"] != float64(77) || deployable["pipeline"].(map[string]any)["id"] != float64(PipelineID) {
		t.Errorf("the job's deployment: deployable %v", deployable)
	}
}

func TestDeploymentFilters(t *testing.T) {
	t.Parallel()
	s := Start(t)
	a := s.AddDeployment(Deployment{SHA: sha, Status: "success"})
	s.AddDeployment(Deployment{SHA: sha, Environment: "staging"})
	c := s.AddDeployment(Deployment{SHA: sha, Status: "failed"})
	ids := func(query string) []float64 {
		var out []float64
		for _, d := range call(t, s, http.MethodGet, proj+"/deployments?"+query, "").doc.([]any) {
			out = append(out, d.(map[string]any)["id"].(float64))
		}
		return out
	}
	if diff := cmp.Diff([]float64{float64(a), float64(c)}, ids("environment=production")); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{float64(c), float64(a)}, ids("environment=production&sort=desc")); diff != "" {
		t.Errorf("sort desc (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{float64(a)}, ids("environment=production&status=success")); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddMergeRequest(41, sha, "opened")
	notes := proj + "/merge_requests/41/notes"
	s.FailNext(http.MethodPost, "/api/v4/projects/*/merge_requests/*/notes", http.StatusBadGateway, nil, `{"message":"502 Bad Gateway"}`)
	s.FailAfterNext(http.MethodPost, "/api/v4/projects/*/merge_requests/*/notes", http.StatusGatewayTimeout, nil, "")
	statuses := []int{
		call(t, s, http.MethodGet, notes, "").status, // not matched: served
		call(t, s, http.MethodPost, notes, `{"body":"a"}`).status,
		call(t, s, http.MethodPost, notes, `{"body":"b"}`).status,
		call(t, s, http.MethodPost, notes, `{"body":"c"}`).status,
	}
	if diff := cmp.Diff([]int{200, 502, 504, 201}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	var bodies []string
	for _, n := range s.MergeRequestNotes(41) {
		bodies = append(bodies, n.Body)
	}
	// The 502 made nothing; the 504 came after the note was made.
	if diff := cmp.Diff([]string{"b", "c"}, bodies); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	var recorded []int
	for _, c := range s.Calls() {
		recorded = append(recorded, c.Status)
	}
	if diff := cmp.Diff(statuses, recorded); diff != "" {
		t.Errorf("recorded statuses (-want +got):\n%s", diff)
	}
	if c := s.Calls()[1]; c.Auth != "PRIVATE-TOKEN" || c.Path != notes || c.Body != `{"body":"a"}` {
		t.Errorf("recorded call %+v", c)
	}
}

// A commit discussion's first note is edited in place; deleting it ends the discussion.
func TestCommitDiscussions(t *testing.T) {
	t.Parallel()
	s := Start(t)
	created := call(t, s, http.MethodPost, proj+"/repository/commits/"+sha+"/discussions", `{"body":"first"}`)
	id := created.field("id").(string)
	n := created.field("notes").([]any)[0].(map[string]any)
	if created.status != 201 || len(id) != 40 || n["noteable_type"] != "Commit" || n["commit_id"] != sha {
		t.Fatalf("created %d %v", created.status, created.doc)
	}
	noteURL := fmt.Sprintf("%s/repository/commits/%s/discussions/%s/notes/%d", proj, sha, id, int64(n["id"].(float64)))
	if got := call(t, s, http.MethodPut, noteURL, `{"body":"second"}`); got.status != 200 || got.field("body") != "second" {
		t.Errorf("edit: %d %v", got.status, got.doc)
	}
	other := s.AddNote(Note{SHA: sha, Author: "mallory", Body: "mine"})
	if got := call(t, s, http.MethodPut, fmt.Sprintf("%s/repository/commits/%s/discussions/%s/notes/%d", proj, sha, s.CommitNotes(sha)[1].Discussion, other), `{"body":"x"}`); got.status != 403 {
		t.Errorf("editing another user's note: %d, want 403", got.status)
	}
	if got := call(t, s, http.MethodDelete, noteURL, ""); got.status != 204 {
		t.Errorf("delete: %d", got.status)
	}
	list := call(t, s, http.MethodGet, proj+"/repository/commits/"+sha+"/discussions", "")
	if n := len(list.doc.([]any)); n != 1 {
		t.Errorf("%d discussions left, want mallory's", n)
	}
}
