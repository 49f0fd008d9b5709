// Package gitlabdeploy reports a run on the GitLab deployment of the deployed commit. The
// monitor job runs with `environment: {action: verify}`, which makes no deployment; the
// deploy job before it, with `environment:`, made one, and that job owns its status: the
// sink links it and never touches it. When the environment has no deployment of the
// commit (the deploy happened outside GitLab CI), the sink records one through the API,
// running while the run monitors, then success, failed or canceled; a later run (a retry,
// mode monitor or finish) finds that one again rather than making another. It also hands
// the other sinks the deployment's id, its page and the environment's previous
// deployments. Everything it calls is open to CI_JOB_TOKEN.
//
// API: https://docs.gitlab.com/api/deployments/ (GET, POST and PUT
// /projects/:id/deployments) through gitlab.com/gitlab-org/api/client-go.
package gitlabdeploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// DefaultHistorySize is how many previous deployments the history shows.
const DefaultHistorySize = 10

// Config configures the sink.
type Config struct {
	// Client is the shared GitLab client.
	Client *gitlabapi.Client
	// Environment is the deployment's environment (CI_ENVIRONMENT_NAME).
	Environment string
	// DeploymentID is the deployment a previous `start` reported on (deployment_id input).
	DeploymentID string
	// Tag reports that the run's ref is a tag (CI_COMMIT_TAG is set): a deployment made
	// through the API says so.
	Tag bool
	// HistorySize is how many previous deployments to show (DefaultHistorySize when 0).
	HistorySize int
}

// Sink is the GitLab deployment of the run.
type Sink struct {
	cfg   Config
	c     *gitlabapi.Client
	given int64

	mu      sync.Mutex
	dep     *deployment
	history []model.PastDeployment
	// stale reports that an update failed, perhaps after GitLab made it: the status is
	// read again before the next one, so a retry never asks for a transition GitLab
	// refuses.
	stale bool
}

// deployment is what the sink knows of the deployment it reports on.
type deployment struct {
	id, iid, envID int64
	// job reports a deployment a job made: GitLab lets only its job change its status.
	job    bool
	status string
}

var _ sink.Announcer = (*Sink)(nil)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	var problems []string
	if cfg.Client == nil {
		problems = append(problems, "no GitLab client")
	}
	if strings.TrimSpace(cfg.Environment) == "" {
		problems = append(problems, "environment is empty")
	}
	var given int64
	if cfg.DeploymentID != "" {
		id, err := strconv.ParseInt(cfg.DeploymentID, 10, 64)
		if err != nil || id <= 0 {
			problems = append(problems, fmt.Sprintf("deployment_id %q is not a GitLab deployment id", cfg.DeploymentID))
		}
		given = id
	}
	if len(problems) > 0 {
		return nil, errors.New("gitlab deployment: " + strings.Join(problems, "; "))
	}
	if cfg.HistorySize <= 0 {
		cfg.HistorySize = DefaultHistorySize
	}
	return &Sink{cfg: cfg, c: cfg.Client, given: given}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "gitlab deployment" }

// Send finds the deployment, or records one, then sets the status the event calls for
// when the deployment is the sink's to update and its status differs.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	err := s.send(ctx, ev)
	return sink.Retryable(err), err
}

func (s *Sink) send(ctx context.Context, ev sink.Event) error {
	want := Status(ev)
	if err := s.ensure(ctx, ev, want); err != nil {
		return err
	}
	return s.update(ctx, want)
}

// Handles implements sink.Announcer: the deployment's id, the environments page and the
// deployment's page, and the environment's previous deployments.
func (s *Sink) Handles() sink.Handles {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dep == nil {
		return sink.Handles{}
	}
	return sink.Handles{
		DeploymentID: strconv.FormatInt(s.dep.id, 10),
		Links: []model.Link{
			{Label: "environments", URL: s.c.ProjectURL("-", "environments")},
			{Label: "deployment", URL: s.c.ProjectURL("-", "environments", strconv.FormatInt(s.dep.envID, 10),
				"deployments", strconv.FormatInt(s.dep.iid, 10))},
		},
		History: slices.Clone(s.history),
	}
}

// Status maps an event onto a deployment status: running until the end, then success
// for a healthy or degraded run, failed for a failed or inconclusive one (GitLab has no
// "error"), canceled for a cancelled one.
func Status(ev sink.Event) string {
	if ev.Kind != sink.KindFinished {
		return "running"
	}
	switch ev.Report.Verdict {
	case model.VerdictHealthy, model.VerdictDegraded:
		return "success"
	case model.VerdictCancelled:
		return "canceled"
	}
	return "failed"
}

// transition reports whether GitLab lets a deployment go from one status to another:
// to running only from created, to a finished status from any other.
func transition(from, to string) bool {
	if to == "running" {
		return from == "created"
	}
	return from != to
}
