package gitlabapi_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// calls are the REST calls the classification is tried on.
var calls = map[string]func(ctx context.Context, c *gitlabapi.Client) error{
	"create_note": func(ctx context.Context, c *gitlabapi.Client) error {
		_, _, err := c.REST().Notes.CreateMergeRequestNote(c.Project(), 41, &gitlab.CreateMergeRequestNoteOptions{Body: gitlab.Ptr("hi")}, gitlab.WithContext(ctx))
		return err
	},
	"set_status": func(ctx context.Context, c *gitlabapi.Client) error {
		_, _, err := c.REST().Commits.SetCommitStatus(c.Project(), sha, &gitlab.SetCommitStatusOptions{State: gitlab.Running,
			Name: gitlab.Ptr("deploywatch/production"), PipelineID: gitlab.Ptr(int64(gitlabtest.PipelineID))}, gitlab.WithContext(ctx))
		return err
	},
	"create_deployment": func(ctx context.Context, c *gitlabapi.Client) error {
		st := gitlab.DeploymentStatusRunning
		_, _, err := c.REST().Deployments.CreateProjectDeployment(c.Project(), &gitlab.CreateProjectDeploymentOptions{
			Environment: gitlab.Ptr("production"), SHA: gitlab.Ptr(sha), Ref: gitlab.Ptr("main"), Tag: gitlab.Ptr(false), Status: &st,
		}, gitlab.WithContext(ctx))
		return err
	},
	"list_notes_of_a_missing_merge_request": func(ctx context.Context, c *gitlabapi.Client) error {
		_, _, err := c.REST().Notes.ListMergeRequestNotes(c.Project(), 404, nil, gitlab.WithContext(ctx))
		return err
	},
}

// bubbleStart is the clock of a testing/synctest bubble when it starts.
var bubbleStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func TestClassify(t *testing.T) {
	t.Parallel()
	echo := `{"message":"cannot handle it: PRIVATE-TOKEN=` + gitlabtest.Token + `"}`
	tests := []struct {
		name   string
		call   string
		job    bool
		status int
		header http.Header
		body   string
		// before runs calls first (a status already running).
		before      string
		wantStatus  int
		wantRetry   bool
		wantDisable bool
		wantAfter   time.Duration
		wantDetail  string
	}{
		{name: "rate_limit_waits_its_retry_after", call: "create_note", status: http.StatusTooManyRequests,
			header: gitlabtest.RateLimitHeaders(42*time.Second, bubbleStart), body: gitlabtest.RateLimitBody,
			wantStatus: 429, wantRetry: true, wantAfter: 42 * time.Second, wantDetail: "Retry later"},
		{name: "rate_limit_without_retry_after_waits_for_the_reset", call: "create_note", status: http.StatusTooManyRequests,
			header: http.Header{"Ratelimit-Reset": {"946684890"}}, body: gitlabtest.RateLimitBody,
			wantStatus: 429, wantRetry: true, wantAfter: 90 * time.Second},
		{name: "server_error_is_retried", call: "set_status", status: http.StatusBadGateway, body: "<html>bad gateway</html>",
			wantStatus: 502, wantRetry: true, wantDetail: "<html>bad gateway</html>"},
		{name: "job_token_refused_names_the_fix", call: "create_note", job: true, wantStatus: 401, wantDisable: true,
			wantDetail: "401 Unauthorized — CI_JOB_TOKEN cannot create_note; set gitlab_token to a project access token with the api scope"},
		{name: "job_token_refused_for_statuses", call: "set_status", job: true, wantStatus: 401, wantDisable: true,
			wantDetail: "CI_JOB_TOKEN cannot set_status"},
		{name: "job_token_may_create_deployments", call: "create_deployment", job: true},
		{name: "bad_token_disables", call: "create_note", status: http.StatusUnauthorized, body: `{"message":"401 Unauthorized"}`,
			wantStatus: 401, wantDisable: true, wantDetail: "401 Unauthorized — gitlab_token is invalid, expired or revoked"},
		{name: "forbidden_names_the_role", call: "set_status", status: http.StatusForbidden, body: `{"message":"403 Forbidden"}`,
			wantStatus: 403, wantDisable: true, wantDetail: "403 Forbidden — the token's user may not set_status: gitlab_token needs the api scope and at least the Developer role"},
		{name: "not_found_disables", call: "list_notes_of_a_missing_merge_request", wantStatus: 404, wantDisable: true, wantDetail: "404 Not Found"},
		{name: "state_machine_refusal_is_final", call: "set_status", before: "set_status", wantStatus: 400,
			wantDetail: `Cannot transition status via :run from :running (Reason(s): Status cannot transition via "run")`},
		{name: "field_errors_are_one_line", call: "create_note", status: http.StatusBadRequest,
			body:       `{"message":{"note":["is too long (maximum is 1000000 characters)"],"base":["spam"]}}`,
			wantStatus: 400, wantDetail: "base spam; note is too long (maximum is 1000000 characters)"},
		{name: "parameter_error", call: "create_deployment", status: http.StatusBadRequest, body: `{"error":"tag is missing"}`,
			wantStatus: 400, wantDetail: "tag is missing"},
		{name: "token_echoed_is_scrubbed", call: "create_note", status: http.StatusBadRequest, body: echo,
			wantStatus: 400, wantDetail: "cannot handle it: PRIVATE-TOKEN=***"},
		{name: "job_token_echoed_is_scrubbed", call: "create_deployment", job: true, status: http.StatusInternalServerError,
			body: `{"message":"JOB-TOKEN ` + gitlabtest.JobToken + ` broke it"}`, wantStatus: 500, wantRetry: true, wantDetail: "JOB-TOKEN *** broke it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv := gitlabtest.New()
				srv.AddMergeRequest(41, sha, "opened")
				c := inMemory(t, srv, tt.job)
				if tt.before != "" {
					if err := calls[tt.before](t.Context(), c); err != nil {
						t.Fatal(err)
					}
				}
				if tt.status != 0 {
					srv.FailNext("", "", tt.status, tt.header, tt.body)
				}
				got := c.Classify(tt.call, calls[tt.call](t.Context(), c))
				if tt.wantStatus == 0 {
					if got != nil {
						t.Fatalf("Classify = %v, want success", got)
					}
					return
				}
				var se *sink.Error
				if !errors.As(got, &se) {
					t.Fatalf("Classify = %#v, want a *sink.Error", got)
				}
				if se.Status != tt.wantStatus || se.Retry != tt.wantRetry || se.Disable != tt.wantDisable || se.After != tt.wantAfter {
					t.Errorf("status %d retry %v disable %v after %s, want %d %v %v %s (%v)",
						se.Status, se.Retry, se.Disable, se.After, tt.wantStatus, tt.wantRetry, tt.wantDisable, tt.wantAfter, se)
				}
				if !strings.Contains(se.Detail, tt.wantDetail) {
					t.Errorf("detail %q, want it to contain %q", se.Detail, tt.wantDetail)
				}
				secret := gitlabtest.Token
				if tt.job {
					secret = gitlabtest.JobToken
				}
				if strings.Contains(got.Error(), secret) {
					t.Errorf("the token leaked: %q", got)
				}
			})
		})
	}
}

// ClassifyNeeding words the hint after what the sink needed, not the call that was
// refused.
func TestClassifyNeeding(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	c := newClient(t, srv, true)
	_, _, err := c.REST().Commits.GetCommitStatuses(c.Project(), sha, nil, gitlab.WithContext(t.Context()))
	got := c.ClassifyNeeding("read commit status", err, "set commit statuses")
	want := "read commit status: 401 Unauthorized: 401 Unauthorized — CI_JOB_TOKEN cannot set commit statuses; set gitlab_token to a project access token with the api scope"
	if got == nil || got.Error() != want {
		t.Errorf("ClassifyNeeding = %v\nwant %s", got, want)
	}
	if c.ClassifyNeeding("x", nil, "y") != nil {
		t.Error("ClassifyNeeding(nil) is not nil")
	}
}

func TestClassifyWithoutAnswer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/api/v4"
	ln.Close()
	c, err := gitlabapi.New(gitlabapi.Config{Token: gitlabtest.Token, APIURL: dead, ProjectPath: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("untrusted_certificate_turns_the_sink_off", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewTLSServer(http.NotFoundHandler()) // a CA the client does not trust
		t.Cleanup(srv.Close)
		tc, err := gitlabapi.New(gitlabapi.Config{Token: gitlabtest.Token, APIURL: srv.URL + "/api/v4", ProjectPath: "acme/shop"})
		if err != nil {
			t.Fatal(err)
		}
		got := tc.Classify("create deployment", calls["create_deployment"](t.Context(), tc))
		var se *sink.Error
		if !errors.As(got, &se) || se.Retry || !se.Disable || !strings.Contains(got.Error(), "ca_cert") {
			t.Errorf("Classify = %v, want a final error that turns the sink off and names ca_cert", got)
		}
	})
	t.Run("refused_connection_is_retried", func(t *testing.T) {
		t.Parallel()
		got := c.Classify("create deployment", calls["create_deployment"](t.Context(), c))
		if !sink.Retryable(got) || !strings.HasPrefix(got.Error(), "create deployment: ") {
			t.Errorf("Classify = %v, want a retryable error", got)
		}
	})
	t.Run("cancelled_run_is_not", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		got := c.Classify("create deployment", calls["create_deployment"](ctx, c))
		if got == nil || sink.Retryable(got) || !errors.Is(got, context.Canceled) {
			t.Errorf("Classify = %v, want a final error wrapping context.Canceled", got)
		}
	})
	t.Run("nil_is_nil", func(t *testing.T) {
		t.Parallel()
		if got := c.Classify("x", nil); got != nil {
			t.Errorf("Classify(nil) = %v", got)
		}
	})
}
