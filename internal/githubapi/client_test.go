package githubapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/sink"
)

func newClient(t *testing.T, srv *githubtest.Server) *githubapi.Client {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: srv.URL, Repository: "acme/shop", UserAgent: "deploywatch-test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     githubapi.Config
		wantErr string
	}{
		{name: "no_token", cfg: githubapi.Config{Repository: "acme/shop"}, wantErr: "github_token is empty"},
		{name: "repository_without_owner", cfg: githubapi.Config{Token: "t", Repository: "shop"}, wantErr: `repository "shop" is not owner/name`},
		{name: "repository_with_extra_part", cfg: githubapi.Config{Token: "t", Repository: "acme/shop/x"}, wantErr: "not owner/name"},
		{name: "api_url_not_http", cfg: githubapi.Config{Token: "t", Repository: "a/b", APIURL: "ftp://x"}, wantErr: "GITHUB_API_URL"},
		{name: "server_url_without_host", cfg: githubapi.Config{Token: "t", Repository: "a/b", ServerURL: "https://"}, wantErr: "GITHUB_SERVER_URL"},
		{name: "every_problem_at_once", cfg: githubapi.Config{APIURL: "x"}, wantErr: "github_token is empty; repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := githubapi.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		api, server                 string
		wantREST, wantGQL, wantRepo string
	}{
		{name: "github_com_by_default", wantREST: "https://api.github.com/", wantGQL: "https://api.github.com/graphql",
			wantRepo: "https://github.com/acme/shop/deployments/prod%20eu"},
		{name: "enterprise_server", api: "https://ghe.example.com/api/v3/", server: "https://ghe.example.com",
			wantREST: "https://ghe.example.com/api/v3/", wantGQL: "https://ghe.example.com/api/graphql",
			wantRepo: "https://ghe.example.com/acme/shop/deployments/prod%20eu"},
		{name: "other_root_as_given", api: "http://127.0.0.1:8080", wantREST: "http://127.0.0.1:8080/", wantGQL: "http://127.0.0.1:8080/graphql",
			wantRepo: "https://github.com/acme/shop/deployments/prod%20eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := githubapi.New(githubapi.Config{Token: "t0ken-value", APIURL: tt.api, ServerURL: tt.server, Repository: "acme/shop"})
			if err != nil {
				t.Fatal(err)
			}
			got := []string{c.REST().BaseURL.String(), c.GraphQLURL(), c.RepoURL("deployments", "prod eu"), c.Owner(), c.Repo()}
			want := []string{tt.wantREST, tt.wantGQL, tt.wantRepo, "acme", "shop"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
		})
	}
}

// The viewer costs one query per run, and none when the deployments query told it.
func TestViewerIsAskedOnce(t *testing.T) {
	t.Parallel()
	t.Run("asked_once", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		c := newClient(t, srv)
		for range 3 {
			login, err := c.Viewer(t.Context())
			if err != nil || login != githubtest.Bot {
				t.Fatalf("Viewer = %q, %v", login, err)
			}
		}
		calls := srv.Calls()
		if len(calls) != 1 || calls[0].Path != "/graphql" || !strings.Contains(calls[0].Body, "viewer { login }") {
			t.Errorf("calls = %+v, want one viewer query", calls)
		}
	})
	t.Run("told_by_the_deployments_query", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		c := newClient(t, srv)
		if _, _, err := c.Deployments(t.Context(), "production", 5); err != nil {
			t.Fatal(err)
		}
		if login, err := c.Viewer(t.Context()); err != nil || login != githubtest.Bot {
			t.Fatalf("Viewer = %q, %v", login, err)
		}
		if n := len(srv.Calls()); n != 1 {
			t.Errorf("%d calls, want the deployments query only", n)
		}
	})
}

func TestSameLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "bot_in_rest_and_graphql", a: "github-actions[bot]", b: "github-actions", want: true},
		{name: "same_user_other_case", a: "Octocat", b: "octocat", want: true},
		{name: "other_user", a: "github-actions[bot]", b: "mallory", want: false},
		{name: "empty_is_nobody", a: "", b: "[bot]", want: false},
	}
	for _, tt := range tests {
		if got := githubapi.SameLogin(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: SameLogin(%q, %q) = %v", tt.name, tt.a, tt.b, got)
		}
	}
}

func TestDescription(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200)
	got := githubapi.Description("a\nb\tc\x1b[31m " + long)
	if n := len([]rune(got)); n != githubapi.MaxDescription {
		t.Errorf("%d characters, want %d", n, githubapi.MaxDescription)
	}
	if !strings.HasPrefix(got, "a b c [31m é") || !strings.HasSuffix(got, "…") {
		t.Errorf("Description = %q", got)
	}
	if got := githubapi.Description("short"); got != "short" {
		t.Errorf("Description(short) = %q", got)
	}
}

// decodeBody reads a recorded JSON body.
func decodeBody(t *testing.T, body string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return doc
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
		c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, Repository: "acme/shop", Transport: hang{}, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = c.Viewer(t.Context())
		if took := time.Since(start); took != 2*time.Second {
			t.Errorf("the call took %s, want the 2s timeout", took)
		}
		if !sink.Retryable(err) {
			t.Errorf("a timeout gave %v, want a retryable error", err)
		}
	})
}
