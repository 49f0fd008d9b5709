package github

import (
	"fmt"
	"github.com/deploywatch/deploywatch/internal/redact"
	"strings"
	"unicode"

	"github.com/deploywatch/deploywatch/internal/platform"
)

// maxAnnotations is how many annotations of one level GitHub shows for a step; more are
// dropped silently, so we stop at the limit and say how many were suppressed.
const maxAnnotations = 10

// Mask registers secret with the runner's masker (::add-mask::) once per distinct value.
// The runner masks line by line, so each line of a multi-line secret is registered too.
// Blank values and lines are skipped: the runner rejects them with a warning.
func (g *GitHub) Mask(secret string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.maskLocked(secret)
	if strings.ContainsAny(secret, "\r\n") {
		// The runner masks line by line. Short lines of a multi-line secret ("user:",
		// "kind: Config") are structure, not credentials, and masking them for the rest of
		// the job garbles ordinary text; the credentials in them are masked on their own.
		for line := range strings.Lines(secret) {
			if l := strings.TrimRight(line, "\r\n"); len(strings.TrimSpace(l)) >= redact.MinLineSecret {
				g.maskLocked(l)
			}
		}
	}
}

func (g *GitHub) maskLocked(v string) {
	if strings.TrimSpace(v) == "" {
		return
	}
	if _, done := g.masked[v]; done {
		return
	}
	g.masked[v] = struct{}{}
	g.action.AddMask(v)
}

// Group starts a collapsible log section (::group::). GitHub groups do not nest, so an
// open group is closed first.
func (g *GitHub) Group(title string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.endGroupLocked()
	g.action.Group(cleanLine(title))
	g.inGroup = true
}

// EndGroup closes the open log section, if any.
func (g *GitHub) EndGroup() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.endGroupLocked()
}

func (g *GitHub) endGroupLocked() {
	if g.inGroup {
		g.action.EndGroup()
		g.inGroup = false
	}
}

// Log prints one line: debug lines as ::debug:: (shown only with step debugging on),
// others as they are. The line is made single and neutralised so untrusted text (a
// response body, a pod log) can never be read by the runner as a workflow command.
func (g *GitHub) Log(level platform.Level, line string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	line = cleanLine(line)
	if level == platform.LevelDebug {
		g.action.Debugf("%s", line)
		return
	}
	g.action.Infof("%s", neutralise(line))
}

// Annotate raises ::error (Error), ::warning (Warning) or ::notice (Info, Success) with a
// title; a Debug annotation is printed as a debug line. go-githubactions escapes the title
// and message. At most maxAnnotations per level are raised (one warning slot is kept for
// the suppression notice); the rest are printed as plain lines and counted for Flush and
// WriteSummary.
func (g *GitHub) Annotate(level platform.Level, title, message string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	title, message = cleanText(title), cleanText(message)
	if level == platform.LevelDebug {
		g.action.Debugf("%s", cleanLine(joinTitle(title, message)))
		return
	}
	cmd := annotationCommand(level)
	limit := maxAnnotations
	if cmd == "warning" {
		limit--
	}
	if g.shown[cmd] >= limit {
		// Past the cap the runner would drop the annotation: it stays in the log as a
		// plain line, so nothing is lost from there either.
		g.dropped++
		g.action.Infof("%s", neutralise(cleanLine(cmd+": "+joinTitle(title, message))))
		return
	}
	g.shown[cmd]++
	g.annotate(cmd, title, message)
}

// noticeSuppressedLocked prints, once, how many annotations the cap suppressed.
func (g *GitHub) noticeSuppressedLocked() {
	if g.dropped == 0 || g.notified {
		return
	}
	g.notified = true
	msg := fmt.Sprintf("%d more annotations were suppressed; see the job summary", g.dropped)
	if g.dropped == 1 {
		msg = "1 more annotation was suppressed; see the job summary"
	}
	g.annotate("warning", "deploywatch", msg)
}

func (g *GitHub) annotate(cmd, title, message string) {
	a := g.action
	if title != "" {
		a = a.WithFieldsMap(map[string]string{"title": title})
	}
	switch cmd {
	case "error":
		a.Errorf("%s", message)
	case "warning":
		a.Warningf("%s", message)
	default:
		a.Noticef("%s", message)
	}
}

func annotationCommand(level platform.Level) string {
	switch {
	case level >= platform.LevelError:
		return "error"
	case level == platform.LevelWarning:
		return "warning"
	}
	return "notice"
}

func joinTitle(title, message string) string {
	if title == "" {
		return message
	}
	return title + ": " + message
}

// cleanText replaces invalid UTF-8 and drops control characters other than tab, CR and
// LF (ESC included, so text cannot restyle the log) and bidirectional overrides (which
// can make a line read differently from what it says).
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return r
		case unicode.IsControl(r), isBidiControl(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// cleanLine is cleanText on one line: each CR, LF or CRLF becomes a space.
func cleanLine(s string) string {
	s = strings.ReplaceAll(cleanText(s), "\r\n", " ")
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// zwsp is the neutraliser: invisible and not white space, so the runner's TrimStart keeps
// it. Where it goes (before "::", inside "##[") also defeats a comparison that ignores
// zero-width characters: the runner takes the command name from a fixed offset, which
// then starts with ':' or '[', and no command has such a name.
const zwsp = "\u200b"

// neutralise stops the runner from reading line as a workflow command. The runner
// recognises "::name::" at the start of a line after leading white space, and the legacy
// "##[name]" anywhere in it.
func neutralise(line string) string {
	line = strings.ReplaceAll(line, "##[", "##"+zwsp+"[")
	rest := strings.TrimLeftFunc(line, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
	})
	if strings.HasPrefix(rest, "::") {
		i := len(line) - len(rest)
		line = line[:i] + zwsp + line[i:]
	}
	return line
}
