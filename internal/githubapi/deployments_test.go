package githubapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/sink"
)

const (
	shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	shaC = "cccccccccccccccccccccccccccccccccccccccc"
)

// seed gives the fake three production deployments and one to staging.
func seed(srv *githubtest.Server) {
	at := func(m int) time.Time { return githubtest.Epoch.Add(-time.Duration(m) * time.Minute) }
	srv.AddDeployment(githubtest.Deployment{SHA: shaA, Creator: "octocat", Description: "Deploy aaaaaaa", CreatedAt: at(30),
		Statuses: []githubtest.DeploymentStatus{{State: "failure", Description: "failed: readiness", LogURL: "https://github.com/acme/shop/actions/runs/1", CreatedAt: at(29)}}})
	srv.AddDeployment(githubtest.Deployment{SHA: shaB, Ref: "main", CreatedAt: at(20),
		Statuses: []githubtest.DeploymentStatus{{State: "in_progress", CreatedAt: at(20)}, {State: "success", Description: "healthy", CreatedAt: at(19)}}})
	srv.AddDeployment(githubtest.Deployment{SHA: shaC, Environment: "staging", CreatedAt: at(15)})
	srv.AddDeployment(githubtest.Deployment{SHA: shaC, CreatedAt: at(10)})
}

func TestDeploymentsReadsTheEnvironmentInOneQuery(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	seed(srv)
	c := newClient(t, srv)
	viewer, deps, err := c.Deployments(t.Context(), "production", 10)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, d := range srv.Deployments() {
		ids[d.SHA+d.Environment] = d.ID
	}
	at := func(m int) time.Time { return githubtest.Epoch.Add(-time.Duration(m) * time.Minute) }
	want := []githubapi.Deployment{
		{ID: ids[shaC+"production"], SHA: shaC, Task: "deploy", Creator: "github-actions", CreatedAt: at(10)},
		{ID: ids[shaB+"production"], SHA: shaB, Ref: "main", Task: "deploy", Creator: "github-actions", CreatedAt: at(20),
			State: "success", StatusDescription: "healthy", StatusAt: at(19)},
		{ID: ids[shaA+"production"], SHA: shaA, Task: "deploy", Creator: "octocat", Description: "Deploy aaaaaaa", CreatedAt: at(30),
			State: "failure", StatusDescription: "failed: readiness", LogURL: "https://github.com/acme/shop/actions/runs/1", StatusAt: at(29)},
	}
	if viewer != githubtest.Bot {
		t.Errorf("viewer = %q", viewer)
	}
	if diff := cmp.Diff(want, deps); diff != "" {
		t.Errorf("deployments (-want +got):\n%s", diff)
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	vars := decodeBody(t, calls[0].Body)["variables"]
	wantVars := map[string]any{"owner": "acme", "name": "shop", "environments": []any{"production"}, "first": float64(10)}
	if diff := cmp.Diff(wantVars, vars); diff != "" {
		t.Errorf("variables (-want +got):\n%s", diff)
	}
}

func TestDeploymentsForFallsBackToRESTWhenTheQueryIsRefused(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	seed(srv)
	// An older GitHub Enterprise Server without the field.
	srv.FailNext(http.MethodPost, "/graphql", http.StatusOK, nil,
		`{"errors":[{"path":["query","repository","deployments","nodes","latestStatus"],"message":"Field 'latestStatus' doesn't exist on type 'Deployment'"}]}`)
	c := newClient(t, srv)
	lk, err := c.DeploymentsFor(t.Context(), "production", shaC, 11)
	if err != nil {
		t.Fatal(err)
	}
	if lk.History || len(lk.Deployments) != 1 || lk.Deployments[0].SHA != shaC {
		t.Errorf("lookup = %+v, want the commit's one deployment and no history", lk)
	}
	rest := srv.CallsTo(http.MethodGet, "/repos/acme/shop/deployments")
	if len(rest) != 1 || rest[0].Query != "environment=production&per_page=11&sha="+shaC {
		t.Errorf("REST calls = %+v", rest)
	}
}

func TestDeploymentsForKeepsFailuresThatAnotherAPIWouldNotFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		status       int
		header       http.Header
		body         string
		wantRetry    bool
		wantDisable  bool
		wantInDetail string
	}{
		{name: "bad_gateway_is_retried", status: http.StatusBadGateway, body: "bad gateway", wantRetry: true},
		{name: "graphql_rate_limit_is_retried", status: http.StatusOK, header: http.Header{"Retry-After": {"30"}},
			body: `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for installation"}]}`, wantRetry: true},
		{name: "forbidden_names_the_permission", status: http.StatusOK,
			body:        `{"data":{"viewer":{"login":"github-actions[bot]"},"repository":{"deployments":null}},"errors":[{"type":"FORBIDDEN","path":["repository","deployments"],"message":"Resource not accessible by integration"}]}`,
			wantDisable: true, wantInDetail: "the token lacks deployments: write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			srv.FailNext(http.MethodPost, "/graphql", tt.status, tt.header, tt.body)
			c := newClient(t, srv)
			_, err := c.DeploymentsFor(t.Context(), "production", shaC, 11)
			var se *sink.Error
			if !errors.As(err, &se) || se.Retry != tt.wantRetry || se.Disable != tt.wantDisable || !strings.Contains(err.Error(), tt.wantInDetail) {
				t.Fatalf("err = %#v, want retry %v disable %v detail with %q", err, tt.wantRetry, tt.wantDisable, tt.wantInDetail)
			}
			if n := len(srv.Calls()); n != 1 {
				t.Errorf("%d calls, want the query alone (no REST fallback)", n)
			}
		})
	}
}
