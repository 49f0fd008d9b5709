package githubapi_test

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

	"github.com/google/go-github/v62/github"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// calls are the REST calls the classification is tried on, one per permission.
var calls = map[string]func(ctx context.Context, c *githubapi.Client) error{
	"create_deployment": func(ctx context.Context, c *githubapi.Client) error {
		_, _, err := c.REST().Repositories.CreateDeployment(ctx, "acme", "shop", &github.DeploymentRequest{Ref: github.String(shaA), RequiredContexts: &[]string{}})
		return err
	},
	"create_pr_comment": func(ctx context.Context, c *githubapi.Client) error {
		_, _, err := c.REST().Issues.CreateComment(ctx, "acme", "shop", 7, &github.IssueComment{Body: github.String("hi")})
		return err
	},
	"create_commit_comment": func(ctx context.Context, c *githubapi.Client) error {
		_, _, err := c.REST().Repositories.CreateComment(ctx, "acme", "shop", shaA, &github.RepositoryComment{Body: github.String("hi")})
		return err
	},
	"create_status": func(ctx context.Context, c *githubapi.Client) error {
		_, _, err := c.REST().Repositories.CreateStatus(ctx, "acme", "shop", shaA, &github.RepoStatus{State: github.String("pending")})
		return err
	},
}

// bubbleStart is the clock of a testing/synctest bubble when it starts.
var bubbleStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func TestClassify(t *testing.T) {
	t.Parallel()
	echo := `{"message":"cannot handle it: Authorization: Bearer ` + githubtest.Token + `"}`
	tests := []struct {
		name   string
		call   string
		status int
		header http.Header
		body   string
		// readOnly answers every write as a token without the permission does.
		readOnly    bool
		wantStatus  int
		wantRetry   bool
		wantDisable bool
		wantAfter   time.Duration
		wantDetail  string
	}{
		{name: "secondary_rate_limit_waits_its_retry_after", call: "create_pr_comment", status: http.StatusForbidden,
			header: githubtest.SecondaryRateLimitHeaders(42 * time.Second), body: githubtest.SecondaryRateLimitBody,
			wantStatus: 403, wantRetry: true, wantAfter: 42 * time.Second, wantDetail: "secondary rate limit"},
		{name: "secondary_rate_limit_without_a_wait_waits_a_minute", call: "create_pr_comment", status: http.StatusForbidden,
			body: githubtest.SecondaryRateLimitBody, wantStatus: 403, wantRetry: true, wantAfter: time.Minute},
		{name: "primary_rate_limit_waits_for_the_reset", call: "create_deployment", status: http.StatusForbidden,
			header: githubtest.PrimaryRateLimitHeaders(bubbleStart.Add(90 * time.Second)), body: githubtest.PrimaryRateLimitBody,
			wantStatus: 403, wantRetry: true, wantAfter: 90 * time.Second, wantDetail: "API rate limit exceeded"},
		{name: "too_many_requests_waits_its_retry_after", call: "create_status", status: http.StatusTooManyRequests,
			header: http.Header{"Retry-After": {"3"}}, body: `{"message":"slow down"}`, wantStatus: 429, wantRetry: true, wantAfter: 3 * time.Second},
		{name: "server_error_is_retried", call: "create_status", status: http.StatusBadGateway, body: "<html>bad gateway</html>",
			wantStatus: 502, wantRetry: true, wantDetail: "<html>bad gateway</html>"},
		{name: "bad_credentials_disable", call: "create_status", status: http.StatusUnauthorized, body: `{"message":"Bad credentials"}`,
			wantStatus: 401, wantDisable: true, wantDetail: "Bad credentials — github_token is invalid or expired"},
		{name: "read_only_deployments", call: "create_deployment", readOnly: true, wantStatus: 403, wantDisable: true,
			wantDetail: "Resource not accessible by integration: the token lacks deployments: write; grant it in the job's permissions: block (GitHub accepts deployments=write)"},
		{name: "read_only_pr_comment", call: "create_pr_comment", readOnly: true, wantStatus: 403, wantDisable: true,
			wantDetail: "the token lacks pull-requests: write"},
		{name: "read_only_commit_comment", call: "create_commit_comment", readOnly: true, wantStatus: 403, wantDisable: true,
			wantDetail: "the token lacks contents: write"},
		{name: "read_only_status", call: "create_status", readOnly: true, wantStatus: 403, wantDisable: true,
			wantDetail: "the token lacks statuses: write"},
		{name: "permission_without_the_header", call: "create_status", status: http.StatusForbidden,
			body: githubtest.ForbiddenBody, wantStatus: 403, wantDisable: true, wantDetail: "the token lacks statuses: write"},
		{name: "not_found_disables", call: "create_pr_comment", status: http.StatusNotFound, body: `{"message":"Not Found"}`,
			wantStatus: 404, wantDisable: true, wantDetail: "Not Found"},
		{name: "validation_is_final_for_the_event", call: "create_status", status: http.StatusUnprocessableEntity,
			body:       `{"message":"Validation Failed","errors":[{"resource":"Status","code":"custom","field":"description","message":"description is too long (maximum is 140 characters)"}]}`,
			wantStatus: 422, wantDetail: "Validation Failed: description is too long (maximum is 140 characters)"},
		{name: "token_echoed_is_scrubbed", call: "create_status", status: http.StatusBadRequest, body: echo,
			wantStatus: 400, wantDetail: "cannot handle it: Authorization: Bearer ***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv := githubtest.New()
				srv.AddPullRequest(7, shaA, "open")
				srv.SetReadOnly(tt.readOnly)
				if tt.status != 0 {
					srv.FailNext("", "", tt.status, tt.header, tt.body)
				}
				c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: "http://github.test", Repository: "acme/shop", Transport: srv.Transport()})
				if err != nil {
					t.Fatal(err)
				}
				got := c.Classify("op", calls[tt.call](t.Context(), c))
				var se *sink.Error
				if !errors.As(got, &se) {
					t.Fatalf("Classify = %#v, want a *sink.Error", got)
				}
				if se.Status != tt.wantStatus || se.Retry != tt.wantRetry || se.Disable != tt.wantDisable || se.After != tt.wantAfter {
					t.Errorf("status %d retry %v disable %v after %s, want %d %v %v %s (%v)",
						se.Status, se.Retry, se.Disable, se.After, tt.wantStatus, tt.wantRetry, tt.wantDisable, tt.wantAfter, se)
				}
				// A missing permission's hint is its *PermissionError, part of the text.
				if !strings.Contains(got.Error(), tt.wantDetail) {
					t.Errorf("error %q, want it to contain %q", got, tt.wantDetail)
				}
				var pe *githubapi.PermissionError
				if errors.As(got, &pe) != (tt.readOnly || strings.Contains(tt.wantDetail, "the token lacks")) {
					t.Errorf("error %#v: a *PermissionError exactly when a permission is missing", got)
				}
				if strings.Contains(got.Error(), githubtest.Token) {
					t.Errorf("the token leaked: %q", got)
				}
			})
		})
	}
}

func TestClassifyWithoutAnswer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: dead, Repository: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("untrusted_certificate_turns_the_sink_off", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewTLSServer(http.NotFoundHandler()) // a CA the client does not trust
		t.Cleanup(srv.Close)
		tc, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: srv.URL, Repository: "acme/shop"})
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

// After a secondary rate limit go-github refuses calls locally until the wait is over;
// those refusals ask for the rest of the wait, and no request reaches GitHub.
func TestSecondaryLimitHoldsEveryCallOfTheClient(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := githubtest.New()
		srv.FailNext("", "", http.StatusForbidden, githubtest.SecondaryRateLimitHeaders(time.Minute), githubtest.SecondaryRateLimitBody)
		c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: "http://github.test", Repository: "acme/shop", Transport: srv.Transport()})
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Classify("op", calls["create_status"](t.Context(), c))
		time.Sleep(20 * time.Second)
		got := c.Classify("op", calls["create_deployment"](t.Context(), c))
		if sink.RequestedWait(got) != 40*time.Second || !sink.Retryable(got) {
			t.Errorf("a call 20s into a 1m limit: %v asks to wait %s, want 40s", got, sink.RequestedWait(got))
		}
		if n := len(srv.Calls()); n != 1 {
			t.Errorf("%d calls reached GitHub, want 1", n)
		}
		time.Sleep(40 * time.Second)
		if err := calls["create_deployment"](t.Context(), c); err != nil {
			t.Errorf("after the wait: %v", err)
		}
	})
}
