package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sha = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"

// answer is one response of the fake, decoded.
type answer struct {
	status int
	header http.Header
	doc    any
}

func call(t *testing.T, s *Server, method, path, body string) answer {
	t.Helper()
	return callAs(t, s, "Bearer "+Token, method, path, body)
}

func callAs(t *testing.T, s *Server, auth, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
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
		name string
		auth string
		want int
	}{
		{name: "bearer", auth: "Bearer " + Token, want: http.StatusOK},
		{name: "token_scheme", auth: "token " + Token, want: http.StatusOK},
		{name: "missing", auth: "", want: http.StatusUnauthorized},
		{name: "wrong_token", auth: "Bearer ghp_other", want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		if got := callAs(t, s, tt.auth, http.MethodGet, "/repos/acme/shop/deployments", ""); got.status != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got.status, tt.want)
		}
	}
	if got := call(t, s, http.MethodGet, "/user", ""); got.status != http.StatusForbidden {
		t.Errorf("GET /user with an installation token: %d, want 403", got.status)
	}
	if got := call(t, s, http.MethodGet, "/repos/other/repo/deployments", ""); got.status != http.StatusNotFound {
		t.Errorf("another repository: %d, want 404", got.status)
	}
}

func TestListsArePaginated(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddPullRequest(7, sha, "open")
	for i := range 250 {
		s.AddComment(Comment{PR: 7, User: "octocat", Body: fmt.Sprint("comment ", i)})
	}
	first := call(t, s, http.MethodGet, "/repos/acme/shop/issues/7/comments?per_page=100", "")
	last := call(t, s, http.MethodGet, "/repos/acme/shop/issues/7/comments?per_page=100&page=3", "")
	if n := len(first.doc.([]any)); n != 100 {
		t.Errorf("first page: %d comments, want 100", n)
	}
	if n := len(last.doc.([]any)); n != 50 {
		t.Errorf("last page: %d comments, want 50", n)
	}
	base := s.URL + "/repos/acme/shop/issues/7/comments"
	wantFirst := fmt.Sprintf(`<%s?page=2&per_page=100>; rel="next", <%s?page=3&per_page=100>; rel="last"`, base, base)
	wantLast := fmt.Sprintf(`<%s?page=1&per_page=100>; rel="first", <%s?page=2&per_page=100>; rel="prev"`, base, base)
	if got := first.header.Get("Link"); got != wantFirst {
		t.Errorf("first page Link %q, want %q", got, wantFirst)
	}
	if got := last.header.Get("Link"); got != wantLast {
		t.Errorf("last page Link %q, want %q", got, wantLast)
	}
}

func TestValidations(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddPullRequest(7, sha, "open")
	dep := s.AddDeployment(Deployment{SHA: sha})
	statuses := fmt.Sprintf("/repos/acme/shop/deployments/%d/statuses", dep)
	body := func(field, value string) string {
		b, _ := json.Marshal(map[string]string{field: value, "state": "in_progress"})
		return string(b)
	}
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{name: "comment_at_the_limit", method: http.MethodPost, path: "/repos/acme/shop/issues/7/comments", body: body("body", strings.Repeat("é", MaxCommentChars)), want: 201},
		{name: "comment_over_the_limit", method: http.MethodPost, path: "/repos/acme/shop/issues/7/comments", body: body("body", strings.Repeat("é", MaxCommentChars+1)), want: 422},
		{name: "commit_comment_over_the_limit", method: http.MethodPost, path: "/repos/acme/shop/commits/" + sha + "/comments", body: body("body", strings.Repeat("x", MaxCommentChars+1)), want: 422},
		{name: "comment_on_a_missing_pull_request", method: http.MethodPost, path: "/repos/acme/shop/issues/8/comments", body: body("body", "hi"), want: 404},
		{name: "empty_comment", method: http.MethodPost, path: "/repos/acme/shop/issues/7/comments", body: `{"body":""}`, want: 422},
		{name: "status_description_at_the_limit", method: http.MethodPost, path: statuses, body: body("description", strings.Repeat("d", 140)), want: 201},
		{name: "status_description_over_the_limit", method: http.MethodPost, path: statuses, body: body("description", strings.Repeat("d", 141)), want: 422},
		{name: "status_state_unknown", method: http.MethodPost, path: statuses, body: `{"state":"done"}`, want: 422},
		{name: "status_of_a_missing_deployment", method: http.MethodPost, path: "/repos/acme/shop/deployments/1/statuses", body: `{"state":"success"}`, want: 404},
		{name: "commit_status_description_over_the_limit", method: http.MethodPost, path: "/repos/acme/shop/statuses/" + sha,
			body: `{"state":"pending","description":"` + strings.Repeat("d", 141) + `"}`, want: 422},
		{name: "deployment_without_ref", method: http.MethodPost, path: "/repos/acme/shop/deployments", body: `{"environment":"production"}`, want: 422},
		{name: "not_json", method: http.MethodPost, path: "/repos/acme/shop/deployments", body: `{`, want: 400},
	}
	for _, tt := range tests {
		if got := call(t, s, tt.method, tt.path, tt.body); got.status != tt.want {
			t.Errorf("%s: status %d, want %d (%v)", tt.name, got.status, tt.want, got.doc)
		}
	}
}

// Left out, required_contexts makes GitHub check every commit status first.
func TestDeploymentRequiredContexts(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddCommitStatus(sha, "ci/build", "pending")
	omitted := call(t, s, http.MethodPost, "/repos/acme/shop/deployments", `{"ref":"`+sha+`","environment":"production"}`)
	if omitted.status != http.StatusConflict || !strings.HasPrefix(omitted.field("message").(string), "Conflict: Commit status checks failed for") {
		t.Errorf("required_contexts omitted with a pending status: %d %v, want 409", omitted.status, omitted.doc)
	}
	named := call(t, s, http.MethodPost, "/repos/acme/shop/deployments", `{"ref":"`+sha+`","required_contexts":["ci/build"]}`)
	if named.status != http.StatusConflict {
		t.Errorf("required_contexts naming the pending status: %d, want 409", named.status)
	}
	empty := call(t, s, http.MethodPost, "/repos/acme/shop/deployments", `{"ref":"`+sha+`","required_contexts":[],"task":"deploy:monitor","environment":"staging","production_environment":false}`)
	if empty.status != http.StatusCreated {
		t.Fatalf("required_contexts []: %d %v, want 201", empty.status, empty.doc)
	}
	want := map[string]any{"sha": sha, "ref": sha, "task": "deploy:monitor", "environment": "staging", "production_environment": false,
		"transient_environment": false, "creator": map[string]any{"login": Bot, "id": float64(loginID(Bot)), "type": "Bot", "html_url": "https://github.com/github-actions"}}
	for k, v := range want {
		if diff := cmp.Diff(v, empty.field(k)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
}

func TestReadOnlyToken(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddPullRequest(7, sha, "open")
	s.SetReadOnly(true)
	tests := []struct{ path, want string }{
		{path: "/repos/acme/shop/deployments", want: "deployments=write"},
		{path: "/repos/acme/shop/issues/7/comments", want: "issues=write; pull_requests=write"},
		{path: "/repos/acme/shop/commits/" + sha + "/comments", want: "contents=write"},
		{path: "/repos/acme/shop/statuses/" + sha, want: "statuses=write"},
	}
	for _, tt := range tests {
		got := call(t, s, http.MethodPost, tt.path, `{"ref":"`+sha+`","body":"x","state":"pending"}`)
		if got.status != http.StatusForbidden || got.field("message") != "Resource not accessible by integration" || got.header.Get("X-Accepted-GitHub-Permissions") != tt.want {
			t.Errorf("POST %s: %d %v %q, want 403 naming %s", tt.path, got.status, got.doc, got.header.Get("X-Accepted-GitHub-Permissions"), tt.want)
		}
	}
	if got := call(t, s, http.MethodGet, "/repos/acme/shop/issues/7/comments", ""); got.status != http.StatusOK {
		t.Errorf("a read with a read-only token: %d", got.status)
	}
	if got := call(t, s, http.MethodPost, "/graphql", `{"query":"query { viewer { login } }"}`); got.status != http.StatusOK {
		t.Errorf("a GraphQL query with a read-only token: %d", got.status)
	}
	if n := len(s.Deployments()); n != 0 {
		t.Errorf("%d deployments made by a read-only token", n)
	}
}

func TestGraphQL(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddDeployment(Deployment{SHA: sha, Environment: "staging"})
	old := s.AddDeployment(Deployment{SHA: sha, Creator: "octocat", Statuses: []DeploymentStatus{{State: "failure", Description: "broke", LogURL: "https://ci/1"}}})
	newer := s.AddDeployment(Deployment{SHA: sha, Ref: "main"})
	q := `{"query":"query($owner: String!, $name: String!, $environments: [String!], $first: Int!) { viewer { login } repository(owner: $owner, name: $name) { deployments(environments: $environments, first: $first) { nodes { databaseId } } } }",` +
		`"variables":{"owner":"acme","name":"shop","environments":["production"],"first":5}}`
	got := call(t, s, http.MethodPost, "/graphql", q)
	want := map[string]any{
		"viewer": map[string]any{"login": Bot},
		"repository": map[string]any{"deployments": map[string]any{"nodes": []any{
			map[string]any{"databaseId": float64(newer), "commitOid": sha, "task": "deploy", "createdAt": "2026-11-21T09:00:04Z", "description": nil,
				"environment": "production", "creator": map[string]any{"login": "github-actions"}, "ref": map[string]any{"name": "main"}, "latestStatus": nil},
			map[string]any{"databaseId": float64(old), "commitOid": sha, "task": "deploy", "createdAt": "2026-11-21T09:00:02Z", "description": nil,
				"environment": "production", "creator": map[string]any{"login": "octocat"}, "ref": nil,
				"latestStatus": map[string]any{"state": "FAILURE", "description": "broke", "logUrl": "https://ci/1", "createdAt": "2026-11-21T09:00:03Z"}},
		}}},
	}
	if diff := cmp.Diff(want, got.field("data")); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	unknown := call(t, s, http.MethodPost, "/graphql", `{"query":"query { repository(owner: $owner, name: $name) { id } }","variables":{"owner":"x","name":"y"}}`)
	if errs, _ := unknown.field("errors").([]any); len(errs) != 1 || !strings.Contains(fmt.Sprint(errs), "NOT_FOUND") {
		t.Errorf("an unknown repository: %v, want a NOT_FOUND error", unknown.doc)
	}
	if ghes := call(t, s, http.MethodPost, "/api/graphql", `{"query":"query { viewer { login } }"}`); ghes.status != http.StatusOK {
		t.Errorf("POST /api/graphql (GitHub Enterprise Server): %d", ghes.status)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.AddPullRequest(7, sha, "open")
	s.FailNext(http.MethodPost, "/repos/*/*/issues/*/comments", http.StatusBadGateway, nil, `{"message":"Bad Gateway"}`)
	s.FailAfterNext(http.MethodPost, "/repos/*/*/issues/*/comments", http.StatusGatewayTimeout, nil, "")
	statuses := []int{
		call(t, s, http.MethodGet, "/repos/acme/shop/issues/7/comments", "").status, // not matched: served
		call(t, s, http.MethodPost, "/repos/acme/shop/issues/7/comments", `{"body":"a"}`).status,
		call(t, s, http.MethodPost, "/repos/acme/shop/issues/7/comments", `{"body":"b"}`).status,
		call(t, s, http.MethodPost, "/api/v3/repos/acme/shop/issues/7/comments", `{"body":"c"}`).status,
	}
	if diff := cmp.Diff([]int{200, 502, 504, 201}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	var bodies []string
	for _, c := range s.IssueComments(7) {
		bodies = append(bodies, c.Body)
	}
	// The 502 made nothing; the 504 came after the comment was made.
	if diff := cmp.Diff([]string{"b", "c"}, bodies); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	var recorded []int
	for _, c := range s.Calls() {
		recorded = append(recorded, c.Status)
	}
	if diff := cmp.Diff(statuses, recorded); diff != "" {
		t.Errorf("recorded statuses (-want +got):\n%s", diff)
	}
}

// A success makes the environment's earlier non-production, non-transient deployments
// inactive, as GitHub does.
func TestSuccessInactivatesEarlierDeployments(t *testing.T) {
	t.Parallel()
	s := Start(t)
	earlier := s.AddDeployment(Deployment{SHA: sha, Environment: "staging", Statuses: []DeploymentStatus{{State: "success"}}})
	prod := s.AddDeployment(Deployment{SHA: sha, Environment: "production", Production: true, Statuses: []DeploymentStatus{{State: "success"}}})
	later := s.AddDeployment(Deployment{SHA: sha, Environment: "staging"})
	if got := call(t, s, http.MethodPost, fmt.Sprintf("/repos/acme/shop/deployments/%d/statuses", later), `{"state":"success"}`); got.status != 201 {
		t.Fatalf("status: %d", got.status)
	}
	latest := map[int64]string{}
	for _, d := range s.Deployments() {
		latest[d.ID] = d.Statuses[len(d.Statuses)-1].State
	}
	if diff := cmp.Diff(map[int64]string{earlier: "inactive", prod: "success", later: "success"}, latest); diff != "" {
		t.Errorf("latest states (-want +got):\n%s", diff)
	}
}
