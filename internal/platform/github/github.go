// Package github is the GitHub Actions platform. It reads the run's context from the
// GITHUB_* environment and the event payload, prints workflow commands (masks, groups,
// annotations) through go-githubactions, and writes step outputs and the job summary to
// the runner's environment files itself, so a missing file variable is an error rather than
// a panic and every multiline value gets its own random delimiter.
package github

import (
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
)

// Options configures New.
type Options struct {
	// Getenv reads an environment variable; required, the process env is never read
	// directly.
	Getenv func(string) string
	// Stdout receives workflow commands and log lines; required.
	Stdout io.Writer
}

// GitHub is the platform of a run on GitHub Actions. It is safe for concurrent use.
type GitHub struct {
	getenv func(string) string
	ctx    model.RunContext

	mu       sync.Mutex // guards everything below and keeps printed lines whole
	out      *safeWriter
	rand     io.Reader // delimiter source; crypto/rand, replaced in tests
	action   *githubactions.Action
	warnings []string
	masked   map[string]struct{}
	inGroup  bool
	shown    map[string]int // annotations printed, by command
	dropped  int            // annotations suppressed by the cap
	notified bool           // the suppression notice has been printed
}

var _ platform.Platform = (*GitHub)(nil)

// Detect reports whether the env says we run on GitHub Actions (GITHUB_ACTIONS == "true").
func Detect(getenv func(string) string) bool {
	return getenv("GITHUB_ACTIONS") == "true"
}

// New reads the run's context and returns the platform. It fails only on a programming
// error (nil Getenv or Stdout); missing or malformed variables and an unusable event
// payload become Warnings.
func New(o Options) (*GitHub, error) {
	if o.Getenv == nil {
		return nil, errors.New("github platform: getenv is required")
	}
	if o.Stdout == nil {
		return nil, errors.New("github platform: stdout is required")
	}
	out := &safeWriter{w: o.Stdout}
	ctx, warnings := readContext(o.Getenv)
	return &GitHub{
		getenv: o.Getenv,
		ctx:    ctx,
		out:    out,
		action: githubactions.New(
			githubactions.WithGetenv(githubactions.GetenvFunc(o.Getenv)),
			githubactions.WithWriter(out),
		),
		rand:     rand.Reader,
		warnings: warnings,
		masked:   map[string]struct{}{},
		shown:    map[string]int{},
	}, nil
}

// Name is "github".
func (g *GitHub) Name() string { return "github" }

// Context describes the run, read once by New.
func (g *GitHub) Context() model.RunContext { return g.ctx }

// Warnings lists problems met while reading the context (a missing event payload, a
// malformed variable) and a failed write to Stdout; none of them stopped the run.
func (g *GitHub) Warnings() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := slices.Clone(g.warnings)
	if g.out.err != nil {
		w = append(w, "writing to the log failed: "+g.out.err.Error())
	}
	return w
}

// Flush closes an open log group and prints the notice about annotations suppressed by
// the per-level cap. Call it when the run is over; WriteSummary prints the notice too.
func (g *GitHub) Flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.endGroupLocked()
	g.noticeSuppressedLocked()
}

// safeWriter never fails, so go-githubactions (which panics on a write error) cannot
// crash the monitor when stdout goes away; the first error is kept for Warnings.
type safeWriter struct {
	w   io.Writer
	err error
}

func (s *safeWriter) Write(p []byte) (int, error) {
	if _, err := s.w.Write(p); err != nil && s.err == nil {
		s.err = err
	}
	return len(p), nil
}
