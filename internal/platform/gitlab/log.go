package gitlab

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/deploywatch/deploywatch/internal/platform"
)

// ANSI SGR sequences; GitLab's job log renders them.
const (
	reset      = "\x1b[0m"
	dim        = "\x1b[2m"
	red        = "\x1b[31m"
	green      = "\x1b[32m"
	yellow     = "\x1b[33m"
	boldRed    = "\x1b[1;31m"
	boldGreen  = "\x1b[1;32m"
	boldYellow = "\x1b[1;33m"
	boldCyan   = "\x1b[1;36m" // section headers, as GitLab prints its own
	eraseLine  = "\x1b[0K"
)

// maxSectionName caps a section name; GitLab needs no more to tell sections apart.
const maxSectionName = 64

// Group starts a collapsed log section. GitLab sections could nest, but the platform
// contract (and GitHub) does not, so an open section is ended first.
func (g *GitLab) Group(title string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.endSectionLocked()
	g.startSectionLocked(cleanLine(title))
}

// EndGroup ends the open log section, if any.
func (g *GitLab) EndGroup() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.endSectionLocked()
}

func (g *GitLab) startSectionLocked(header string) {
	s := &section{name: g.uniqueName(sectionName(header)), header: header}
	g.section = s
	g.out.write(fmt.Sprintf("%ssection_start:%d:%s[collapsed=true]\r%s%s%s%s\n",
		eraseLine, g.now().Unix(), s.name, eraseLine, boldCyan, header, reset))
}

func (g *GitLab) endSectionLocked() {
	if g.section == nil {
		return
	}
	g.out.write(fmt.Sprintf("%ssection_end:%d:%s\r%s\n", eraseLine, g.now().Unix(), g.section.name, eraseLine))
	g.section = nil
}

// sectionName reduces a title to what GitLab accepts in a section name (letters, digits,
// '_', '.', '-'): every run of other characters becomes one '_'.
func sectionName(title string) string {
	var b strings.Builder
	under := false
	for _, r := range title {
		if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || r == '_' || r == '.' || r == '-' {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
			continue
		}
		under = true
	}
	name := b.String()
	if len(name) > maxSectionName {
		name = name[:maxSectionName] // ASCII only: any cut is on a character boundary
	}
	if name == "" {
		return "section"
	}
	return name
}

// uniqueName makes a section name unique within the run: GitLab folds sections by name,
// so two sections called alike must not share one.
func (g *GitLab) uniqueName(base string) string {
	name := base
	for n := 2; g.names[name]; n++ {
		name = base + "_" + strconv.Itoa(n)
	}
	g.names[name] = true
	return name
}

// Log prints one line coloured by level: Success green, Warning yellow, Error red, Info
// plain. Debug lines appear, dim, only when CI_DEBUG_TRACE is on, as GitHub shows them
// only with step debugging. The line is made single and stripped of ESC and CR, so
// untrusted text (a response body, a pod log) cannot forge a section marker or a colour.
func (g *GitLab) Log(level platform.Level, line string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if level == platform.LevelDebug && !g.debug {
		return
	}
	g.out.write(paint(levelColor(level), cleanLine(line)) + "\n")
}

// Annotate prints one bold coloured line, "ERROR: <title>: <message>" (red), "WARNING: …"
// (yellow) or "NOTICE: …" (green, Info and Success); a Debug annotation is a debug line.
// GitLab has no annotations, and a line inside a collapsed section is hidden until the
// reader opens it, so an open section is ended around the line and continued after it.
func (g *GitLab) Annotate(level platform.Level, title, message string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	text := joinTitle(cleanLine(title), cleanLine(message))
	if level == platform.LevelDebug {
		if g.debug {
			g.out.write(paint(dim, text) + "\n")
		}
		return
	}
	open := g.section
	g.endSectionLocked()
	label, color := "NOTICE", boldGreen
	switch {
	case level >= platform.LevelError:
		label, color = "ERROR", boldRed
	case level == platform.LevelWarning:
		label, color = "WARNING", boldYellow
	}
	g.out.write(paint(color, label+": "+text) + "\n")
	if open != nil {
		header := open.header
		if !strings.HasSuffix(header, " (continued)") {
			header += " (continued)"
		}
		g.startSectionLocked(header)
	}
}

func joinTitle(title, message string) string {
	if title == "" {
		return message
	}
	return title + ": " + message
}

func paint(sgr, s string) string {
	if sgr == "" {
		return s
	}
	return sgr + s + reset
}

func levelColor(level platform.Level) string {
	switch level {
	case platform.LevelDebug:
		return dim
	case platform.LevelInfo:
		return ""
	case platform.LevelSuccess:
		return green
	case platform.LevelWarning:
		return yellow
	}
	return red // LevelError and anything past it
}

// cleanLine makes untrusted text one safe log line: invalid UTF-8 is replaced, each CR,
// LF or CRLF becomes a space, and other control characters (ESC and the C1 set included)
// and bidirectional overrides are dropped. Without ESC and CR no text can end a section
// (GitLab's marker needs "\r\x1b[0K") or restyle the log; our own sequences are added
// afterwards.
func cleanLine(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n':
			return ' '
		case r == '\t':
			return r
		case unicode.IsControl(r), isBidiControl(r):
			return -1
		}
		return r
	}, s)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}
