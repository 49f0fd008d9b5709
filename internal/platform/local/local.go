// Package local is the platform of a run outside CI: on a laptop or in a CI system
// deploywatch has no adapter for. It prints readable live progress (coloured when the
// caller says the output is a terminal) and keeps outputs and the summary out of the log,
// since the JSON report and the caller's verdict lines already carry them.
package local

import (
	"io"
	"os"
	"strings"
	"sync"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
)

// ANSI SGR sequences; written only when Options.Color is set.
const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	dim    = "\x1b[2m"
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
)

// Options configures New.
type Options struct {
	// Stdout receives the progress lines; nil discards them.
	Stdout io.Writer
	// Color turns on ANSI colours. The caller decides (a TTY, NO_COLOR unset); Local never
	// inspects the file descriptor.
	Color bool
	// Context is what the caller knows about the run (may be empty).
	Context model.RunContext
}

// Local prints progress for a human at a terminal. It is safe for concurrent use.
type Local struct {
	mu    sync.Mutex // keeps lines whole when checks report concurrently
	w     io.Writer
	color bool
	ctx   model.RunContext
}

var _ platform.Platform = (*Local)(nil)

// New returns the local platform.
func New(o Options) *Local {
	w := o.Stdout
	if w == nil {
		w = io.Discard
	}
	ctx := o.Context
	if ctx.Platform == "" {
		ctx.Platform = "local"
	}
	return &Local{w: w, color: o.Color, ctx: ctx}
}

// IsTerminal reports whether f is a character device (a TTY); a helper for the caller
// deciding Options.Color. /dev/null is a character device too, which is harmless: colour
// codes sent there are discarded with the rest.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Name is "local".
func (l *Local) Name() string { return "local" }

// Context is the context given to New, with Platform defaulting to "local".
func (l *Local) Context() model.RunContext { return l.ctx }

// Mask does nothing: a terminal has no masker to register secrets with, and every string
// handed to a Platform is already redacted by the caller.
func (l *Local) Mask(string) {}

// Group prints a blank line and the title ("▸ Verify"), bold with colour on.
func (l *Local) Group(title string) {
	l.print("\n" + l.paint(bold, "▸ "+cleanLine(title)) + "\n")
}

// EndGroup prints nothing: a terminal has no collapsible sections, and the next Group's
// blank line separates them.
func (l *Local) EndGroup() {}

// Log prints one line, coloured by level with colour on: Success green, Warning yellow,
// Error red, Debug dim, Info plain.
func (l *Local) Log(level platform.Level, line string) {
	l.print(l.paint(levelColor(level), cleanLine(line)) + "\n")
}

// Annotate prints "error: <title>: <message>" (or "warning:", "note:"), the label in
// bold colour when colour is on. Further lines of a multi-line message are indented.
func (l *Local) Annotate(level platform.Level, title, message string) {
	label := "note:"
	switch {
	case level >= platform.LevelError:
		label = "error:"
	case level == platform.LevelWarning:
		label = "warning:"
	}
	var b strings.Builder
	b.WriteString(l.paint(bold+labelColor(level), label))
	if t := cleanLine(title); t != "" {
		b.WriteString(" " + t + ":")
	}
	for i, line := range strings.Split(strings.ReplaceAll(message, "\r\n", "\n"), "\n") {
		line = cleanLine(line)
		switch {
		case i > 0 && line != "":
			b.WriteString("\n  " + line)
		case i > 0:
			b.WriteString("\n")
		case line != "":
			b.WriteString(" " + line)
		}
	}
	b.WriteString("\n")
	l.print(b.String())
}

// SetOutputs prints nothing and returns nil: locally the outputs are in the JSON report,
// and dumping them here would only repeat it.
func (l *Local) SetOutputs([]model.Output) error { return nil }

// WriteSummary prints nothing and returns nil: the caller prints the verdict lines
// itself, and the full summary is in the report.
func (l *Local) WriteSummary(string) error { return nil }

func (l *Local) print(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// A failed write to the terminal is not worth stopping a run for.
	_, _ = io.WriteString(l.w, s)
}

// paint wraps s in an SGR sequence when colour is on and there is one.
func (l *Local) paint(sgr, s string) string {
	if !l.color || sgr == "" {
		return s
	}
	return sgr + s + reset
}

func levelColor(level platform.Level) string {
	switch level {
	case platform.LevelDebug:
		return dim
	case platform.LevelSuccess:
		return green
	case platform.LevelWarning:
		return yellow
	case platform.LevelInfo:
		return ""
	}
	return red // LevelError and anything past it
}

// labelColor is levelColor, except that a plain note gets cyan so the label stands out.
func labelColor(level platform.Level) string {
	if level == platform.LevelInfo {
		return cyan
	}
	return levelColor(level)
}
