// Package githubapi is the GitHub client the GitHub sinks share: one go-github client per
// run, so the deployment, the sticky comment and the commit status see the same token, the
// same rate-limit state (go-github refuses calls locally while a secondary limit lasts) and
// the same viewer login, fetched once.
//
// REST: https://docs.github.com/rest (through github.com/google/go-github/v62, see
// https://pkg.go.dev/github.com/google/go-github/v62/github). GraphQL:
// https://docs.github.com/graphql (POST /graphql), used for the viewer's login, which
// GET /user refuses to a GITHUB_TOKEN, and for the environment's deployments with their
// latest status and the deployed commit's pull requests, in one call.
package githubapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Defaults for github.com.
const (
	DefaultAPIURL    = "https://api.github.com"
	DefaultServerURL = "https://github.com"
)

// Config configures the client.
type Config struct {
	// Token authenticates every call (GITHUB_TOKEN, a PAT or an app token).
	Token string
	// APIURL is the REST root (GITHUB_API_URL): https://api.github.com, or
	// https://<host>/api/v3 on GitHub Enterprise Server. Empty means github.com.
	APIURL string
	// ServerURL is the web root (GITHUB_SERVER_URL), for links. Empty means github.com.
	ServerURL string
	// Repository is "owner/name".
	Repository string
	// UserAgent is sent with every request; empty keeps go-github's.
	UserAgent string
	// Transport carries the requests; nil uses a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds one request; zero means sink.DefaultTimeout.
	Timeout time.Duration
}

// Client is a GitHub client bound to one repository.
type Client struct {
	rest       *github.Client
	owner      string
	repo       string
	serverURL  *url.URL
	graphqlURL string
	redactor   *redact.Redactor

	mu     sync.Mutex
	viewer string
	// wantPulls and pulls: the commit's pull requests, asked for with the deployments
	// (see WantPullRequests), by commit.
	wantPulls bool
	pulls     map[string][]PullRequest
	// off and refused: the sinks GitHub refused for a missing permission, and what it
	// refused (see Guard).
	off     map[string]bool
	refused []Refusal
}

// New checks the configuration and returns the client.
func New(cfg Config) (*Client, error) {
	var problems []string
	if strings.TrimSpace(cfg.Token) == "" {
		problems = append(problems, "github_token is empty")
	}
	owner, repo, ok := strings.Cut(cfg.Repository, "/")
	if !ok || owner == "" || repo == "" || strings.ContainsAny(repo, "/ ") || strings.Contains(owner, " ") {
		problems = append(problems, fmt.Sprintf("repository %q is not owner/name", cfg.Repository))
	}
	apiURL, err := parseRoot(cfg.APIURL, DefaultAPIURL)
	if err != nil {
		problems = append(problems, "GITHUB_API_URL "+err.Error())
	}
	serverURL, err := parseRoot(cfg.ServerURL, DefaultServerURL)
	if err != nil {
		problems = append(problems, "GITHUB_SERVER_URL "+err.Error())
	}
	if len(problems) > 0 {
		return nil, errors.New("github: " + strings.Join(problems, "; "))
	}
	rest, graphqlURL, err := newREST(cfg, apiURL)
	if err != nil {
		return nil, fmt.Errorf("github: %w", err)
	}
	return &Client{
		rest: rest, owner: owner, repo: repo, serverURL: serverURL, graphqlURL: graphqlURL,
		redactor: redact.New(cfg.Token),
	}, nil
}

// parseRoot reads an http(s) root URL without a trailing slash, def when raw is empty.
func parseRoot(raw, def string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = def
	}
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return u, nil
}

// newREST builds the go-github client and the GraphQL endpoint for the API root. A root
// ending in /api/v3 is GitHub Enterprise Server, whose GraphQL lives at /api/graphql;
// any other root (github.com, a test server) serves GraphQL at <root>/graphql.
func newREST(cfg Config, api *url.URL) (*github.Client, string, error) {
	httpClient := withDeadlines(sink.NewClient(cfg.UserAgent, cfg.Timeout, cfg.Transport))
	c := github.NewClient(httpClient)
	if cfg.UserAgent != "" {
		c.UserAgent = cfg.UserAgent
	}
	root := api.String()
	var graphqlURL string
	if strings.HasSuffix(api.Path, "/api/v3") {
		base := strings.TrimSuffix(root, "/api/v3")
		var err error
		if c, err = c.WithEnterpriseURLs(root+"/", base+"/api/uploads/"); err != nil {
			return nil, "", err
		}
		graphqlURL = base + "/api/graphql"
	} else {
		base, err := url.Parse(root + "/")
		if err != nil {
			return nil, "", err
		}
		c.BaseURL = base
		graphqlURL = root + "/graphql"
	}
	return c.WithAuthToken(cfg.Token), graphqlURL, nil
}

// REST is the go-github client, authenticated and pointed at the API root.
func (c *Client) REST() *github.Client { return c.rest }

// Owner is the repository's owner.
func (c *Client) Owner() string { return c.owner }

// Repo is the repository's name.
func (c *Client) Repo() string { return c.repo }

// Repository is "owner/name".
func (c *Client) Repository() string { return c.owner + "/" + c.repo }

// ServerURL is the web root, without a trailing slash.
func (c *Client) ServerURL() string { return c.serverURL.String() }

// GraphQLURL is where GraphQL queries go.
func (c *Client) GraphQLURL() string { return c.graphqlURL }

// RepoURL is the web page of the repository, or of a path below it: RepoURL("deployments",
// "production") is https://github.com/<owner>/<repo>/deployments/production, each element
// escaped.
func (c *Client) RepoURL(elem ...string) string {
	return c.serverURL.JoinPath(append([]string{c.owner, c.repo}, elem...)...).String()
}

// Scrub removes the token from text, in every form it may be echoed in.
func (c *Client) Scrub(text string) string { return c.redactor.String(text) }
