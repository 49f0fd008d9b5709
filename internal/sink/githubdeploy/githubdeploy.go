// Package githubdeploy reports a run as a GitHub deployment: it reuses the deployment the
// run is about (a previous `start`, a `deployment` event, the one a job with
// `environment:` made for the same commit) or creates one, then keeps its status in step
// with the run: in_progress with the state so far, then success, failure, error or
// inactive. It also hands the other sinks the deployment's id, its page and the
// environment's previous deployments.
//
// API: https://docs.github.com/rest/deployments/deployments (POST
// /repos/{owner}/{repo}/deployments), https://docs.github.com/rest/deployments/statuses
// (POST .../deployments/{id}/statuses) through go-github v62, and one GraphQL query
// (internal/githubapi) for the environment's latest deployments.
package githubdeploy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// DefaultTask tells deploywatch's deployments from the ones deploy tools make ("deploy").
const DefaultTask = "deploy:monitor"

// DefaultHistorySize is how many previous deployments the history shows.
const DefaultHistorySize = 10

// Config configures the sink.
type Config struct {
	// Client is the shared GitHub client.
	Client *githubapi.Client
	// Environment is the deployment's environment.
	Environment string
	// EnvironmentURL is where the deployed service lives ("View deployment"); optional.
	EnvironmentURL string
	// Production and Transient are sent as they are: GitHub's own defaults are not what
	// its documentation says (production_environment) or break auto-inactivation
	// (transient_environment).
	Production, Transient bool
	// DeploymentID is the deployment a previous `start` created (deployment_id input).
	DeploymentID string
	// Task is the deployment's task (DefaultTask when empty).
	Task string
	// HistorySize is how many previous deployments to fetch (DefaultHistorySize when 0).
	HistorySize int
}

// Sink is the GitHub deployment of the run.
type Sink struct {
	cfg   Config
	c     *githubapi.Client
	given int64

	mu      sync.Mutex
	id      int64
	history []model.PastDeployment
	// last is the deployment's latest status as far as we know: what we posted, or what
	// GitHub had when we found it. A status that would repeat it is not sent.
	last status
}

var (
	_ sink.Announcer   = (*Sink)(nil)
	_ sink.Snapshotter = (*Sink)(nil)
)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	var problems []string
	if cfg.Client == nil {
		problems = append(problems, "no GitHub client")
	}
	if strings.TrimSpace(cfg.Environment) == "" {
		problems = append(problems, "environment is empty")
	}
	var given int64
	if cfg.DeploymentID != "" {
		id, err := strconv.ParseInt(cfg.DeploymentID, 10, 64)
		if err != nil || id <= 0 {
			problems = append(problems, fmt.Sprintf("deployment_id %q is not a GitHub deployment id", cfg.DeploymentID))
		}
		given = id
	}
	if cfg.EnvironmentURL != "" {
		if u, err := url.Parse(cfg.EnvironmentURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, "environment_url must be an http(s) URL")
		}
	}
	if len(problems) > 0 {
		return nil, errors.New("github deployment: " + strings.Join(problems, "; "))
	}
	if cfg.Task == "" {
		cfg.Task = DefaultTask
	}
	if cfg.HistorySize <= 0 {
		cfg.HistorySize = DefaultHistorySize
	}
	return &Sink{cfg: cfg, c: cfg.Client, given: given}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "github deployment" }

// MinGap implements sink.Snapshotter: a flapping check cannot spend the API budget.
func (s *Sink) MinGap() time.Duration { return 5 * time.Second }

// Send finds or creates the deployment, then posts the status the event calls for when it
// differs from the deployment's latest: in_progress with the state so far, the outcome at
// the end.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	// A missing permission turns the sink off quietly; the client's PermissionReport
	// tells the run once for every GitHub sink.
	return s.c.Guard(s.Name(), func() error { return s.send(ctx, ev) })
}

func (s *Sink) send(ctx context.Context, ev sink.Event) error {
	if err := s.ensure(ctx, ev); err != nil {
		return err
	}
	return s.post(ctx, ev, desired(ev))
}

// Handles implements sink.Announcer.
func (s *Sink) Handles() sink.Handles {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.id == 0 {
		return sink.Handles{}
	}
	return sink.Handles{
		DeploymentID: strconv.FormatInt(s.id, 10),
		Links:        []model.Link{{Label: "deployment", URL: s.c.RepoURL("deployments", s.cfg.Environment)}},
		History:      slices.Clone(s.history),
	}
}

// post sends the status unless the deployment already shows it.
func (s *Sink) post(ctx context.Context, ev sink.Event, want status) error {
	s.mu.Lock()
	id, same := s.id, want.repeats(s.last)
	s.mu.Unlock()
	if same {
		return nil
	}
	req := &github.DeploymentStatusRequest{State: github.String(want.state), Description: github.String(want.desc)}
	if u := ev.Report.Run.RunURL; u != "" {
		req.LogURL = github.String(u)
	}
	if s.cfg.EnvironmentURL != "" {
		req.EnvironmentURL = github.String(s.cfg.EnvironmentURL)
	}
	if _, _, err := s.c.REST().Repositories.CreateDeploymentStatus(ctx, s.c.Owner(), s.c.Repo(), id, req); err != nil {
		return s.c.Classify("post deployment status", err)
	}
	s.mu.Lock()
	s.last = want
	s.mu.Unlock()
	return nil
}
