package githubapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// pullQueries counts the GraphQL queries that asked for a commit's pull requests.
func pullQueries(srv *githubtest.Server) int {
	n := 0
	for _, c := range srv.CallsTo(http.MethodPost, "/graphql") {
		if strings.Contains(c.Body, "associatedPullRequests") {
			n++
		}
	}
	return n
}

func TestPullRequestsOf(t *testing.T) {
	t.Parallel()
	want := []githubapi.PullRequest{{Number: 40, Merged: true}, {Number: 41, Open: true}}
	tests := []struct {
		name string
		// want says the sticky comment wants the pull requests (WantPullRequests).
		want bool
		// lookupFirst runs the deployment sink's lookup before.
		lookupFirst bool
		// refuseGraphQL answers GraphQL 404, as an older GitHub Enterprise Server does.
		refuseGraphQL bool
		wantCalls     []string
	}{
		{name: "asked_with_the_deployments", want: true, lookupFirst: true, wantCalls: []string{"POST /graphql"}},
		{name: "deployments_query_not_asked", lookupFirst: true, wantCalls: []string{"POST /graphql", "POST /graphql"}},
		{name: "own_query_without_the_deployment_sink", want: true, wantCalls: []string{"POST /graphql"}},
		{name: "rest_when_graphql_is_refused", want: true, refuseGraphQL: true,
			wantCalls: []string{"POST /graphql", "GET /repos/acme/shop/commits/" + shaC + "/pulls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			srv.AddPullRequest(40, shaC, "merged")
			srv.AddPullRequest(41, shaC, "open")
			srv.AddPullRequest(42, shaA, "open")
			c := newClient(t, srv)
			if tt.want {
				c.WantPullRequests()
			}
			if tt.lookupFirst {
				if _, err := c.DeploymentsFor(t.Context(), "production", shaC, 11); err != nil {
					t.Fatal(err)
				}
			}
			if tt.refuseGraphQL {
				srv.FailNext(http.MethodPost, "/graphql", http.StatusNotFound, nil, `{"message":"Not Found"}`)
			}
			got, err := c.PullRequestsOf(t.Context(), shaC)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pull requests (-want +got):\n%s", diff)
			}
			// Asked again (a re-resolved target): answered from memory.
			if _, err := c.PullRequestsOf(t.Context(), shaC); err != nil {
				t.Fatal(err)
			}
			var calls []string
			for _, call := range srv.Calls() {
				calls = append(calls, call.Method+" "+call.Path)
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			// The query told who the token is; REST did not.
			wantAfter := len(tt.wantCalls)
			if tt.refuseGraphQL {
				wantAfter++
			}
			if v, err := c.Viewer(t.Context()); err != nil || v != githubtest.Bot || len(srv.Calls()) != wantAfter {
				t.Errorf("viewer %q, %v, %d calls; want %d", v, err, len(srv.Calls()), wantAfter)
			}
		})
	}
}

// A token that may read deployments but not pull requests: the refused part of the
// shared query leaves the deployments alone, and the comment's own query reports it.
func TestPullRequestsRefusedInTheDeploymentsQuery(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	seed(srv)
	c := newClient(t, srv)
	c.WantPullRequests()
	srv.FailNext(http.MethodPost, "/graphql", http.StatusOK, nil, `{"data":{"viewer":{"login":"github-actions[bot]"},`+
		`"repository":{"deployments":{"nodes":[{"databaseId":7,"commitOid":"`+shaC+`","task":"deploy"}]},"object":null}},`+
		`"errors":[{"type":"FORBIDDEN","path":["repository","object"],"message":"Resource not accessible by integration"}]}`)
	lk, err := c.DeploymentsFor(t.Context(), "production", shaC, 11)
	if err != nil || len(lk.Deployments) != 1 || lk.Deployments[0].ID != 7 || !lk.History {
		t.Fatalf("lookup %+v, %v; want the deployments despite the refused pull requests", lk, err)
	}
	srv.FailNext(http.MethodPost, "/graphql", http.StatusOK, nil, `{"data":{"viewer":{"login":"github-actions[bot]"},"repository":{"object":null}},`+
		`"errors":[{"type":"FORBIDDEN","path":["repository","object"],"message":"Resource not accessible by integration"}]}`)
	_, err = c.PullRequestsOf(t.Context(), shaC)
	var se *sink.Error
	if !errors.As(err, &se) || !se.Disable || !strings.Contains(err.Error(), "pull-requests: read") {
		t.Errorf("err %v; want the sink turned off naming pull-requests: read", err)
	}
	if n := pullQueries(srv); n != 2 {
		t.Errorf("%d queries for the pull requests, want 2 (the shared one, then the comment's)", n)
	}
}
