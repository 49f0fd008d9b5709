// Package platform abstracts the CI host deploywatch runs on: where the run's context comes
// from, how log lines, groups and annotations are printed, and where outputs and the job
// summary go. Implementations live in subpackages (github, local); only internal/app picks
// one.
package platform

import "github.com/deploywatch/deploywatch/internal/model"

// Level is the weight of a log line or annotation.
type Level int

// Levels. Success marks a passing check (green on a terminal).
const (
	LevelDebug Level = iota
	LevelInfo
	LevelSuccess
	LevelWarning
	LevelError
)

// Platform is the CI host seen from deploywatch. Every string handed to it has already been
// redacted by the caller; Mask is for the host's own masking (GitHub's ::add-mask::).
type Platform interface {
	// Name is "github", "gitlab" or "local".
	Name() string
	// Context describes the run (repository, commit, pull request, run URL).
	Context() model.RunContext
	// Mask asks the host to hide a secret in everything printed afterwards.
	Mask(secret string)
	// Group starts a collapsible section of the log; EndGroup closes it.
	Group(title string)
	EndGroup()
	// Log prints one line of progress.
	Log(level Level, line string)
	// Annotate raises a titled annotation (an error or warning shown on the run page).
	Annotate(level Level, title, message string)
	// SetOutputs writes the step outputs.
	SetOutputs(outputs []model.Output) error
	// WriteSummary writes the Markdown job summary.
	WriteSummary(markdown string) error
}
