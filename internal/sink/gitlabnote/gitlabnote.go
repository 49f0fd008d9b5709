// Package gitlabnote keeps one sticky note per environment on the run's merge request, or
// on the deployed commit when there is none: created at the first event, edited in place
// at every later one with the whole report (internal/report.Comment), found again by its
// hidden marker and its author (the token's own user), so a re-run edits it too and a
// note planted by someone else is never touched. Duplicates left by runs that raced are
// healed: the newest is kept, the others deleted. On a commit the note is the first note
// of a commit discussion, because GitLab's commit comments cannot be edited.
//
// A CI_JOB_TOKEN cannot write notes, so the app does not build this sink with one
// (internal/app warns once to set gitlab_token to an access token with the api scope); a
// token GitLab refuses (401/403) turns the sink off at its first call, with the scope or
// role it lacks in the warning.
//
// API: https://docs.gitlab.com/api/notes/#merge-requests,
// https://docs.gitlab.com/api/discussions/#commits and
// https://docs.gitlab.com/api/commits/#list-merge-requests-associated-with-a-commit,
// through gitlab.com/gitlab-org/api/client-go.
package gitlabnote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Modes of the comment input.
const (
	// ModeAuto notes on the run's merge request, else on the deployed commit.
	ModeAuto = "auto"
	// ModePR notes on the merge request only (the input's value is the same on GitHub).
	ModePR = "pr"
	// ModeCommit notes on the deployed commit.
	ModeCommit = "commit"
)

// Config configures the sink.
type Config struct {
	// Client is the shared GitLab client.
	Client *gitlabapi.Client
	// Mode is ModeAuto (default when empty), ModePR or ModeCommit.
	Mode string
	// Environment names the note's marker when the report does not.
	Environment string
}

// Sink is the sticky note.
type Sink struct {
	cfg Config
	c   *gitlabapi.Client

	mu sync.Mutex
	// where is the note's place, once resolved.
	where *target
	// n is the note, once found or created; zero before.
	n note
}

var (
	_ sink.Announcer   = (*Sink)(nil)
	_ sink.Snapshotter = (*Sink)(nil)
)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	if cfg.Client == nil {
		return nil, errors.New("gitlab note: no GitLab client")
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeAuto
	case ModeAuto, ModePR, ModeCommit:
	default:
		return nil, fmt.Errorf("gitlab note: comment must be auto, pr, commit or off, not %q", cfg.Mode)
	}
	return &Sink{cfg: cfg, c: cfg.Client}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "gitlab note" }

// MinGap implements sink.Snapshotter.
func (s *Sink) MinGap() time.Duration { return 5 * time.Second }

// Handles implements sink.Announcer: the note's URL once it exists.
func (s *Sink) Handles() sink.Handles {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.where == nil || s.n.id == 0 {
		return sink.Handles{}
	}
	return sink.Handles{CommentURL: s.where.url(s.c, s.n.id)}
}

// Send renders the report and creates the note, or edits it when the text changed.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	err := s.send(ctx, ev)
	return sink.Retryable(err), err
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
	cur := s.n
	s.mu.Unlock()
	if cur.id == 0 {
		// Also after a failed create: its answer may have been lost after GitLab made the
		// note, so look before making another.
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
		cur = *found
	}
	if body == cur.body {
		return nil
	}
	edited, err := s.edit(ctx, where, cur, body)
	if errors.Is(err, errGone) {
		// Someone deleted it: start a new one.
		if edited, err = s.create(ctx, where, body); err != nil {
			s.remember(note{})
			return err
		}
	}
	if err != nil {
		return err
	}
	s.remember(edited)
	return nil
}

func (s *Sink) remember(n note) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n = n
}
