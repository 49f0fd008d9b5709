// Package gitlab is the GitLab CI/CD platform. It reads the run's context from GitLab's
// predefined CI/CD variables (https://docs.gitlab.com/ci/variables/predefined_variables/)
// and prints to the job log with ANSI colours and collapsible sections
// (https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections).
//
// GitLab has no step outputs, job summary, annotations or runtime masking: the app writes
// the dotenv report (report.Dotenv), the JUnit report (report.JUnit) and the Markdown
// summary to files that the component's artifacts:reports pick up, so SetOutputs and
// WriteSummary do nothing here and Annotate prints a prominent line instead.
package gitlab

import (
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
)

// Options configures New.
type Options struct {
	// Getenv reads an environment variable; required, the process env is never read
	// directly.
	Getenv func(string) string
	// Stdout receives the job log; required.
	Stdout io.Writer
	// Now stamps the section markers; time.Now when nil.
	Now func() time.Time
}

// GitLab is the platform of a run in a GitLab CI/CD job. It is safe for concurrent use:
// every call writes whole lines under one lock, so lines never interleave.
type GitLab struct {
	ctx   model.RunContext
	now   func() time.Time
	debug bool // CI_DEBUG_TRACE is on: debug lines are printed

	mu       sync.Mutex // guards everything below and keeps printed lines whole
	out      *safeWriter
	warnings []string
	section  *section        // the open section, if any
	names    map[string]bool // section names used so far, for uniqueness
}

// section is an open collapsible section of the job log.
type section struct {
	name   string
	header string // already clean
}

var _ platform.Platform = (*GitLab)(nil)

// Detect reports whether the env says we run in a GitLab CI/CD job (GITLAB_CI == "true").
func Detect(getenv func(string) string) bool {
	return getenv("GITLAB_CI") == "true"
}

// New reads the run's context and returns the platform. It fails only on a programming
// error (nil Getenv or Stdout); missing or malformed variables become Warnings.
func New(o Options) (*GitLab, error) {
	if o.Getenv == nil {
		return nil, errors.New("gitlab platform: getenv is required")
	}
	if o.Stdout == nil {
		return nil, errors.New("gitlab platform: stdout is required")
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	ctx, warnings := readContext(o.Getenv)
	return &GitLab{
		ctx:      ctx,
		now:      now,
		debug:    o.Getenv("CI_DEBUG_TRACE") == "true",
		out:      &safeWriter{w: o.Stdout},
		warnings: warnings,
		names:    map[string]bool{},
	}, nil
}

// Name is "gitlab".
func (g *GitLab) Name() string { return "gitlab" }

// Context describes the run, read once by New.
func (g *GitLab) Context() model.RunContext { return g.ctx }

// Warnings lists problems met while reading the context (a malformed variable) and a
// failed write to Stdout; none of them stopped the run.
func (g *GitLab) Warnings() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := slices.Clone(g.warnings)
	if g.out.err != nil {
		w = append(w, "writing to the log failed: "+g.out.err.Error())
	}
	return w
}

// Flush closes an open log section. Call it when the run is over.
func (g *GitLab) Flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.endSectionLocked()
}

// Mask does nothing: GitLab masks only variables declared masked in the project settings
// and has no runtime masking command. Every string handed to a Platform has already been
// through the app's redactor, which is what keeps secrets out of the log.
func (g *GitLab) Mask(string) {}

// SetOutputs does nothing and returns nil: GitLab has no step outputs. The app writes the
// outputs as a dotenv file (report.Dotenv) for the job's artifacts:reports:dotenv.
func (g *GitLab) SetOutputs([]model.Output) error { return nil }

// WriteSummary does nothing and returns nil: GitLab has no job summary. The app writes the
// Markdown summary and the JUnit report (report.JUnit, shown in the merge request's test
// summary) to files the job publishes as artifacts.
func (g *GitLab) WriteSummary(string) error { return nil }

// safeWriter never fails, so a closed stdout cannot stop the monitor; the first error is
// kept for Warnings.
type safeWriter struct {
	w   io.Writer
	err error
}

func (s *safeWriter) write(p string) {
	if _, err := io.WriteString(s.w, p); err != nil && s.err == nil {
		s.err = err
	}
}
