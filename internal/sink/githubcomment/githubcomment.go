// Package githubcomment keeps one sticky comment per environment on the run's pull request,
// or on the deployed commit when there is none: created at the first event, edited in
// place at every later one with the whole report (internal/report.Comment), found again by
// its hidden marker and its author (the token's own login), so a re-run edits it too and
// a comment planted by someone else is never touched. Duplicates left by concurrent runs
// are healed: the newest is kept, the others deleted.
//
// API: https://docs.github.com/rest/issues/comments (pull request conversation comments
// are issue comments), https://docs.github.com/rest/commits/comments, and
// through go-github v62; the pull request of a commit comes from GraphQL
// (Commit.associatedPullRequests, see githubapi.PullRequestsOf).
package githubcomment

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Modes of the comment input.
const (
	// ModeAuto comments on the run's pull request, else on the deployed commit.
	ModeAuto = "auto"
	// ModePR comments on the pull request only.
	ModePR = "pr"
	// ModeCommit comments on the deployed commit.
	ModeCommit = "commit"
)

// Config configures the sink.
type Config struct {
	// Client is the shared GitHub client.
	Client *githubapi.Client
	// Mode is ModeAuto (default when empty), ModePR or ModeCommit.
	Mode string
	// Environment names the comment's marker when the report does not.
	Environment string
}

// Sink is the sticky comment.
type Sink struct {
	cfg Config
	c   *githubapi.Client

	mu sync.Mutex
	// where is the comment's place, once resolved.
	where *target
	// id, body and url are the comment's, once found or created.
	id   int64
	body string
	url  string
}

var (
	_ sink.Announcer   = (*Sink)(nil)
	_ sink.Snapshotter = (*Sink)(nil)
)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	if cfg.Client == nil {
		return nil, errors.New("github comment: no GitHub client")
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeAuto
	case ModeAuto, ModePR, ModeCommit:
	default:
		return nil, fmt.Errorf("github comment: comment must be auto, pr, commit or off, not %q", cfg.Mode)
	}
	if cfg.Mode != ModeCommit {
		// The pull request of a push is then asked for with the deployments, in the one
		// query the run makes at its start.
		cfg.Client.WantPullRequests()
	}
	return &Sink{cfg: cfg, c: cfg.Client}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "github comment" }

// MinGap implements sink.Snapshotter.
func (s *Sink) MinGap() time.Duration { return 5 * time.Second }

// Handles implements sink.Announcer: the comment's URL once it exists.
func (s *Sink) Handles() sink.Handles {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sink.Handles{CommentURL: s.url}
}

// Send renders the report and creates the comment, or edits it when the text changed.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	// A missing permission turns the sink off quietly; the client's PermissionReport
	// tells the run once for every GitHub sink.
	return s.c.Guard(s.Name(), func() error { return s.send(ctx, ev) })
}

func (s *Sink) send(ctx context.Context, ev sink.Event) error {
	where, err := s.target(ctx, ev.Report.Run)
	if err != nil {
		return err
	}
	r := ev.Report
	if r.Environment == "" {
		r.Environment = s.cfg.Environment
	}
	body := report.Comment(r)
	s.mu.Lock()
	id, last := s.id, s.body
	s.mu.Unlock()
	if id == 0 {
		// Also after a failed create: its answer may have been lost after GitHub made the
		// comment, so look before making another.
		found, err := s.find(ctx, where, report.CommentMarker(r.Environment))
		if err != nil {
			return err
		}
		if found == nil {
			created, err := s.create(ctx, where, body)
			if err != nil {
				return err
			}
			s.remember(created)
			return nil
		}
		s.remember(*found)
		id, last = found.id, found.body
	}
	if body == last {
		return nil
	}
	edited, err := s.edit(ctx, where, id, body)
	if errors.Is(err, errGone) {
		// Someone deleted it: start a new one.
		if edited, err = s.create(ctx, where, body); err != nil {
			s.forget()
			return err
		}
	}
	if err != nil {
		return err
	}
	s.remember(edited)
	return nil
}

func (s *Sink) remember(c comment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id, s.body = c.id, c.body
	if c.url != "" {
		s.url = c.url
	}
}

func (s *Sink) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id, s.body = 0, ""
}
