package gitlabapi_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
	"github.com/deploywatch/deploywatch/internal/sink"
)

const sha = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"

// newClient returns a client of the fake over loopback, with an access token or the job
// token.
func newClient(t *testing.T, srv *gitlabtest.Server, job bool) *gitlabapi.Client {
	t.Helper()
	token := gitlabtest.Token
	if job {
		token = gitlabtest.JobToken
	}
	c, err := gitlabapi.New(gitlabapi.Config{Token: token, JobToken: job, APIURL: srv.URL + "/api/v4", ProjectID: "4242",
		ProjectPath: gitlabtest.ProjectPath, ServerURL: gitlabtest.ServerURL, UserAgent: "deploywatch-test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inMemory returns a client of the fake called in memory, for testing/synctest.
func inMemory(t *testing.T, srv *gitlabtest.Server, job bool) *gitlabapi.Client {
	t.Helper()
	token := gitlabtest.Token
	if job {
		token = gitlabtest.JobToken
	}
	c, err := gitlabapi.New(gitlabapi.Config{Token: token, JobToken: job, APIURL: "http://gitlab.test/api/v4", ProjectID: "4242",
		ProjectPath: gitlabtest.ProjectPath, ServerURL: gitlabtest.ServerURL, Transport: srv.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	const api = "https://gitlab.example.com/api/v4"
	tests := []struct {
		name    string
		cfg     gitlabapi.Config
		wantErr string
	}{
		{name: "no_token", cfg: gitlabapi.Config{APIURL: api, ProjectID: "acme/shop"}, wantErr: "gitlab_token is empty"},
		{name: "no_api_url", cfg: gitlabapi.Config{Token: "t", ProjectID: "acme/shop"}, wantErr: "CI_API_V4_URL is empty"},
		{name: "api_url_not_http", cfg: gitlabapi.Config{Token: "t", APIURL: "ftp://x", ProjectID: "acme/shop"}, wantErr: `CI_API_V4_URL "ftp://x" is not an http(s) URL`},
		{name: "no_project", cfg: gitlabapi.Config{Token: "t", APIURL: api}, wantErr: "the project is unknown"},
		{name: "numeric_id_without_path", cfg: gitlabapi.Config{Token: "t", APIURL: api, ProjectID: "4242"}, wantErr: "the path of project 4242 is unknown (CI_PROJECT_PATH)"},
		{name: "server_url_without_host", cfg: gitlabapi.Config{Token: "t", APIURL: api, ProjectID: "acme/shop", ServerURL: "https://"}, wantErr: "CI_SERVER_URL"},
		{name: "every_problem_at_once", cfg: gitlabapi.Config{APIURL: "x"}, wantErr: "gitlab_token is empty; CI_API_V4_URL \"x\" is not an http(s) URL; the project is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := gitlabapi.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                       string
		cfg                        gitlabapi.Config
		wantBase, wantProject      string
		wantServer, wantProjectURL string
	}{
		{name: "ci_variables", cfg: gitlabapi.Config{APIURL: "https://gitlab.example.com/api/v4/", ProjectID: "4242", ProjectPath: "acme/shop", ServerURL: "https://gitlab.example.com"},
			wantBase: "https://gitlab.example.com/api/v4/", wantProject: "4242", wantServer: "https://gitlab.example.com",
			wantProjectURL: "https://gitlab.example.com/acme/shop/-/environments/prod%20eu"},
		{name: "server_from_api_url_and_path_from_id", cfg: gitlabapi.Config{APIURL: "https://git.corp/gitlab/api/v4", ProjectID: "group%2Fsub%2Fshop"},
			wantBase: "https://git.corp/gitlab/api/v4/", wantProject: "group/sub/shop", wantServer: "https://git.corp/gitlab",
			wantProjectURL: "https://git.corp/gitlab/group/sub/shop/-/environments/prod%20eu"},
		{name: "project_from_path", cfg: gitlabapi.Config{APIURL: "http://127.0.0.1:8080/api/v4", ProjectPath: "/acme/shop/"},
			wantBase: "http://127.0.0.1:8080/api/v4/", wantProject: "acme/shop", wantServer: "http://127.0.0.1:8080",
			wantProjectURL: "http://127.0.0.1:8080/acme/shop/-/environments/prod%20eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.Token = "t0ken-value"
			c, err := gitlabapi.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{c.REST().BaseURL().String(), c.Project(), c.ServerURL(), c.ProjectURL("-", "environments", "prod eu")}
			want := []string{tt.wantBase, tt.wantProject, tt.wantServer, tt.wantProjectURL}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
		})
	}
}

// An access token goes as PRIVATE-TOKEN, a job token as JOB-TOKEN; the user agent is ours.
func TestTokenHeaders(t *testing.T) {
	t.Parallel()
	for _, job := range []bool{false, true} {
		var got http.Header
		token := gitlabtest.Token
		if job {
			token = gitlabtest.JobToken
		}
		c, err := gitlabapi.New(gitlabapi.Config{Token: token, JobToken: job, APIURL: "http://gitlab.test/api/v4", ProjectPath: "acme/shop",
			UserAgent: "deploywatch/1.4.0", Transport: recording{base: gitlabtest.New().Transport(), got: &got}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CurrentUser(t.Context()); err != nil {
			t.Fatalf("job token %v: %v", job, err)
		}
		want := []string{gitlabtest.Token, "", "deploywatch/1.4.0"}
		if job {
			want = []string{"", gitlabtest.JobToken, "deploywatch/1.4.0"}
		}
		if diff := cmp.Diff(want, []string{got.Get("Private-Token"), got.Get("Job-Token"), got.Get("User-Agent")}); diff != "" {
			t.Errorf("job token %v: headers (-want +got):\n%s", job, diff)
		}
	}
}

// recording keeps the headers of the last request.
type recording struct {
	base http.RoundTripper
	got  *http.Header
}

func (t recording) RoundTrip(r *http.Request) (*http.Response, error) {
	*t.got = r.Header.Clone()
	return t.base.RoundTrip(r)
}

// The user is asked once per run: GET /user for an access token, GET /job for a job token
// (which may not call GET /user).
func TestCurrentUserIsAskedOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		job      bool
		wantPath string
		want     gitlabapi.User
	}{
		{name: "access_token", wantPath: "/api/v4/user", want: gitlabapi.User{ID: gitlabtest.BotID, Username: gitlabtest.Bot}},
		{name: "job_token", job: true, wantPath: "/api/v4/job", want: gitlabapi.User{ID: gitlabtest.JobUserID, Username: gitlabtest.JobUser}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			c := newClient(t, srv, tt.job)
			for range 3 {
				u, err := c.CurrentUser(t.Context())
				if err != nil || u != tt.want {
					t.Fatalf("CurrentUser = %+v, %v; want %+v", u, err, tt.want)
				}
			}
			if calls := srv.Calls(); len(calls) != 1 || calls[0].Path != tt.wantPath {
				t.Errorf("calls %+v, want one GET %s", calls, tt.wantPath)
			}
		})
	}
}

// client-go's own retries are off: a 5xx on a POST is returned at once, never re-sent.
func TestNoRetriesOfItsOwn(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	srv.AddMergeRequest(41, sha, "opened")
	srv.FailAfterNext(http.MethodPost, "", http.StatusBadGateway, nil, `{"message":"502 Bad Gateway"}`)
	c := newClient(t, srv, false)
	_, _, err := c.REST().Notes.CreateMergeRequestNote(c.Project(), 41, &gitlab.CreateMergeRequestNoteOptions{Body: gitlab.Ptr("hello")},
		gitlab.WithContext(t.Context()))
	if !sink.Retryable(c.Classify("create note", err)) {
		t.Errorf("a 502: %v, want a retryable error", err)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1: the dispatcher retries, not client-go", n)
	}
	if n := len(srv.MergeRequestNotes(41)); n != 1 {
		t.Errorf("%d notes, want the one GitLab made", n)
	}
}

// hang answers nothing until the request's context ends.
type hang struct{}

func (hang) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// Each request is bounded by the timeout, and a timed-out call is worth retrying.
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, err := gitlabapi.New(gitlabapi.Config{Token: gitlabtest.Token, APIURL: "http://gitlab.test/api/v4", ProjectPath: "acme/shop",
			Transport: hang{}, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = c.CurrentUser(t.Context())
		if took := time.Since(start); took != 2*time.Second {
			t.Errorf("the call took %s, want the 2s timeout", took)
		}
		if !sink.Retryable(err) {
			t.Errorf("a timeout gave %v, want a retryable error", err)
		}
	})
}

func TestDescription(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300)
	got := gitlabapi.Description("a\nb\tc\x1b[31m " + long)
	if n := len([]rune(got)); n != gitlabapi.MaxDescription {
		t.Errorf("%d characters, want %d", n, gitlabapi.MaxDescription)
	}
	if !strings.HasPrefix(got, "a b c [31m é") || !strings.HasSuffix(got, "…") {
		t.Errorf("Description = %q", got)
	}
	if got := gitlabapi.Description("short"); got != "short" {
		t.Errorf("Description(short) = %q", got)
	}
}

func TestRefName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref, want string
		tag       bool
	}{
		{ref: "main", want: "main"},
		{ref: "refs/heads/feature/x", want: "feature/x"},
		{ref: "refs/tags/v1.2.0", want: "v1.2.0", tag: true},
		{ref: "", want: ""},
	}
	for _, tt := range tests {
		if got, tag := gitlabapi.RefName(tt.ref); got != tt.want || tag != tt.tag {
			t.Errorf("RefName(%q) = %q, %v; want %q, %v", tt.ref, got, tag, tt.want, tt.tag)
		}
	}
}
