// Package gitlabapi is the GitLab client the GitLab sinks share: one client-go client per
// run, so the deployment, the sticky note and the commit status use the same token and the
// same user, fetched once.
//
// REST: https://docs.gitlab.com/api/rest/ through gitlab.com/gitlab-org/api/client-go (see
// https://pkg.go.dev/gitlab.com/gitlab-org/api/client-go). A CI_JOB_TOKEN is sent as
// JOB-TOKEN and reaches only the endpoints listed in
// https://docs.gitlab.com/ci/jobs/ci_job_token/ (deployments and environments among them,
// notes and commit statuses not); any other token is sent as PRIVATE-TOKEN.
//
// client-go's own retries are off: it retries POSTs on a 5xx, which can post a note twice.
// The dispatcher retries instead, and the sinks find what an earlier attempt made first.
package gitlabapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Config configures the client.
type Config struct {
	// Token authenticates every call: CI_JOB_TOKEN, or a project, group or personal access
	// token with the api scope.
	Token string
	// JobToken reports that Token is CI_JOB_TOKEN: it is sent as JOB-TOKEN and can do less.
	JobToken bool
	// APIURL is the REST root (CI_API_V4_URL), e.g. https://gitlab.example.com/api/v4.
	APIURL string
	// ProjectID is the project (CI_PROJECT_ID, or its path such as "group/project").
	ProjectID string
	// ProjectPath is the project's path (CI_PROJECT_PATH), for links to its pages. Empty
	// means ProjectID when that is a path.
	ProjectPath string
	// ServerURL is the web root (CI_SERVER_URL), for links. Empty means APIURL without its
	// /api/v4.
	ServerURL string
	// UserAgent is sent with every request; empty keeps client-go's.
	UserAgent string
	// Transport carries the requests; nil uses a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds one request; zero means sink.DefaultTimeout.
	Timeout time.Duration
}

// Client is a GitLab client bound to one project.
type Client struct {
	rest      *gitlab.Client
	jobToken  bool
	project   string
	path      string
	serverURL *url.URL
	redactor  *redact.Redactor

	mu   sync.Mutex
	user *User
}

// New checks the configuration, listing every problem at once, and returns the client.
func New(cfg Config) (*Client, error) {
	var problems []string
	if strings.TrimSpace(cfg.Token) == "" {
		problems = append(problems, "gitlab_token is empty")
	}
	apiURL, err := parseRoot(cfg.APIURL)
	switch {
	case strings.TrimSpace(cfg.APIURL) == "":
		problems = append(problems, "CI_API_V4_URL is empty")
	case err != nil:
		problems = append(problems, "CI_API_V4_URL "+err.Error())
	}
	project, path := strings.TrimSpace(cfg.ProjectID), strings.Trim(strings.TrimSpace(cfg.ProjectPath), "/")
	if project == "" {
		project = path
	}
	if unescaped, err := url.PathUnescape(project); err == nil {
		project = unescaped
	}
	if path == "" && !numeric(project) {
		path = project
	}
	switch {
	case project == "":
		problems = append(problems, "the project is unknown (CI_PROJECT_ID or CI_PROJECT_PATH)")
	case path == "":
		problems = append(problems, fmt.Sprintf("the path of project %s is unknown (CI_PROJECT_PATH): links to its pages need it", project))
	}
	var serverURL *url.URL
	if strings.TrimSpace(cfg.ServerURL) != "" {
		if serverURL, err = parseRoot(cfg.ServerURL); err != nil {
			problems = append(problems, "CI_SERVER_URL "+err.Error())
		}
	} else if apiURL != nil {
		serverURL = apiURL.JoinPath()
		serverURL.Path = strings.TrimSuffix(serverURL.Path, "/api/v4")
	}
	if len(problems) > 0 {
		return nil, errors.New("gitlab: " + strings.Join(problems, "; "))
	}
	rest, err := newREST(cfg, apiURL)
	if err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	return &Client{rest: rest, jobToken: cfg.JobToken, project: project, path: path, serverURL: serverURL,
		redactor: redact.New(cfg.Token)}, nil
}

// parseRoot reads an http(s) root URL without a trailing slash.
func parseRoot(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return u, nil
}

func numeric(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// newREST builds the client-go client: the token in the header its kind calls for, no
// retries of its own, requests bounded by the timeout.
func newREST(cfg Config, api *url.URL) (*gitlab.Client, error) {
	httpClient := withDeadlines(sink.NewClient(cfg.UserAgent, cfg.Timeout, cfg.Transport))
	opts := []gitlab.ClientOptionFunc{
		gitlab.WithBaseURL(api.String()),
		gitlab.WithHTTPClient(httpClient),
		gitlab.WithoutRetries(),
		// client-go logs its URL checks through slog's default; the URL was checked here.
		gitlab.WithURLWarningLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	}
	if cfg.UserAgent != "" {
		opts = append(opts, gitlab.WithUserAgent(cfg.UserAgent))
	}
	if cfg.JobToken {
		return gitlab.NewJobClient(cfg.Token, opts...)
	}
	return gitlab.NewClient(cfg.Token, opts...)
}

// REST is the client-go client, authenticated and pointed at the API root. Pass
// gitlab.WithContext(ctx) to every call.
func (c *Client) REST() *gitlab.Client { return c.rest }

// Project is the project's id as client-go takes it: its number, or its path.
func (c *Client) Project() string { return c.project }

// ProjectPath is the project's path, e.g. "acme/shop".
func (c *Client) ProjectPath() string { return c.path }

// JobToken reports whether the token is CI_JOB_TOKEN.
func (c *Client) JobToken() bool { return c.jobToken }

// ServerURL is the web root, without a trailing slash.
func (c *Client) ServerURL() string { return c.serverURL.String() }

// ProjectURL is the web page of the project, or of a page below it:
// ProjectURL("-", "environments") is https://gitlab.example.com/<project>/-/environments,
// each element escaped.
func (c *Client) ProjectURL(elem ...string) string {
	return c.serverURL.JoinPath(append(strings.Split(c.path, "/"), elem...)...).String()
}

// Scrub removes the token from text, in every form it may be echoed in.
func (c *Client) Scrub(text string) string { return c.redactor.String(text) }
