// Package githubstatus sets a commit status on the deployed commit, context
// deploywatch/<environment>: pending while the run monitors, then success, failure or
// error. Only changes of state are posted, so a run costs two calls. The status links to
// the sticky comment when there is one, else to the workflow run.
//
// API: https://docs.github.com/rest/commits/statuses (POST
// /repos/{owner}/{repo}/statuses/{sha}) through go-github v62.
package githubstatus

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-github/v62/github"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Config configures the sink.
type Config struct {
	// Client is the shared GitHub client.
	Client *githubapi.Client
	// Environment names the status's context.
	Environment string
}

// Sink is the commit status.
type Sink struct {
	cfg Config
	c   *githubapi.Client

	mu   sync.Mutex
	last string // the state posted last
}

var _ sink.Sink = (*Sink)(nil)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	if cfg.Client == nil {
		return nil, errors.New("github commit status: no GitHub client")
	}
	if strings.TrimSpace(cfg.Environment) == "" {
		return nil, errors.New("github commit status: environment is empty")
	}
	return &Sink{cfg: cfg, c: cfg.Client}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "github commit status" }

// Context is the status's context for an environment.
func Context(environment string) string { return "deploywatch/" + environment }

// Send posts pending at the start and the outcome at the end, when the state changes.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	// A missing permission turns the sink off quietly; the client's PermissionReport
	// tells the run once for every GitHub sink.
	return s.c.Guard(s.Name(), func() error { return s.send(ctx, ev) })
}

func (s *Sink) send(ctx context.Context, ev sink.Event) error {
	r := ev.Report
	var state, desc string
	switch ev.Kind {
	case sink.KindStarted, sink.KindResumed:
		state, desc = "pending", "Monitoring "+s.cfg.Environment
		if n := len(r.Checks); n > 0 {
			desc += ": " + plural(n)
		}
	case sink.KindFinished:
		state, desc = State(r.Verdict), report.SummaryLine(withoutDryRun(r))
		if r.DryRun {
			desc = "dry run: " + desc
		}
	default:
		return nil
	}
	s.mu.Lock()
	same := s.last == state
	s.mu.Unlock()
	if same {
		return nil
	}
	sha := r.Run.DeployedSHA()
	if sha == "" {
		return &sink.Error{Op: "set commit status", Disable: true, Detail: "the run's commit is unknown"}
	}
	st := &github.RepoStatus{
		State: github.String(state), Context: github.String(Context(s.cfg.Environment)),
		Description: github.String(githubapi.Description(desc)),
	}
	if u := targetURL(r); u != "" {
		st.TargetURL = github.String(u)
	}
	if _, _, err := s.c.REST().Repositories.CreateStatus(ctx, s.c.Owner(), s.c.Repo(), sha, st); err != nil {
		return s.c.Classify("set commit status", err)
	}
	s.mu.Lock()
	s.last = state
	s.mu.Unlock()
	return nil
}

// State maps a verdict onto a commit status state. A commit status has no "cancelled":
// a cancelled run is an error, its description says it was cancelled.
func State(v model.Verdict) string {
	switch v {
	case model.VerdictHealthy, model.VerdictDegraded:
		return "success"
	case model.VerdictFailed:
		return "failure"
	}
	return "error"
}

// targetURL is the sticky comment when there is one (it holds the whole report), else the
// workflow run.
func targetURL(r model.Report) string {
	if r.CommentURL != "" {
		return r.CommentURL
	}
	return r.Run.RunURL
}

// withoutDryRun drops the dry-run mark from the summary line: it goes first instead, where
// the 140-character cut cannot drop it.
func withoutDryRun(r model.Report) model.Report {
	r.DryRun = false
	return r
}

func plural(n int) string {
	if n == 1 {
		return "1 check"
	}
	return strconv.Itoa(n) + " checks"
}
