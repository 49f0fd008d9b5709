package datadog

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
)

// esc makes outside text safe in the event's Markdown: report.EscapeMarkdown (one line,
// Markdown and HTML escaped, @mentions neutralised, which in Datadog would notify) and no
// "%%%" that could end the Markdown block.
func esc(s string) string {
	return strings.ReplaceAll(report.EscapeMarkdown(s), "%%", `%\%`)
}

// plain makes outside text fit the title, which Datadog shows as plain text and other
// tools (chat integrations) may not: one line, no control characters, no @mention, and
// angle brackets as look-alikes so nothing reads as a tag or a chat mention.
func plain(s string) string { return titleEscaper.Replace(oneLine(s)) }

var titleEscaper = strings.NewReplacer("@", "@\u200d", "<", "‹", ">", "›")

// oneLine collapses white space and drops control and format characters (bidirectional
// overrides could disguise text).
func oneLine(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), unicode.IsSpace) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, w))
	}
	return b.String()
}

// cut caps s at max runes, ending with "…".
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

// cutLines caps Markdown at max runes, at a line end when one is near so that no list
// item or escape is left half, and marks the cut with "…".
func cutLines(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max-1]
	if i := lastIndex(r, '\n'); i >= 0 && len(r)-i < 1000 {
		r = r[:i+1]
	} else {
		// Within a line: drop a trailing backslash, which would escape the "…".
		for len(r) > 0 && r[len(r)-1] == '\\' {
			r = r[:len(r)-1]
		}
	}
	return string(r) + "…"
}

func lastIndex(r []rune, c rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == c {
			return i
		}
	}
	return -1
}

// maxURLBytes bounds a link's target; maxLabelRunes its label.
const (
	maxURLBytes   = 2000
	maxLabelRunes = 60
)

// linkDestination keeps a URL from ending a Markdown link early.
var linkDestination = strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20")

// link writes [label](url) when raw is an http(s) URL, and "" otherwise: a javascript: or
// other scheme from outside must never become something to click.
func link(raw, label string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxURLBytes ||
		strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return ""
	}
	l := esc(cut(oneLine(label), maxLabelRunes))
	if l == "" {
		l = "link"
	}
	return "[" + l + "](" + linkDestination.Replace(u.String()) + ")"
}

// title names the deploy: "Deploy of 3f9c2ab to production".
func title(r model.Report) string {
	t := "Deploy"
	if v := report.VersionLabel(r); v != "" {
		t += " of " + cut(plain(v), 40)
	}
	if env := plain(r.Environment); env != "" {
		t += " to " + cut(env, 40)
	}
	return t
}

func isHex(s string) bool { return s != "" && strings.Trim(s, "0123456789abcdef") == "" }

// severityWord is a finding's level in one word: "critical", or "probe error".
func severityWord(f model.Finding) string {
	if f.Type == model.FindingProbeError {
		return "probe error"
	}
	return f.Severity.String()
}

// severityLabel is severityWord capitalised, to lead a sentence.
func severityLabel(f model.Finding) string {
	w := severityWord(f)
	return strings.ToUpper(w[:1]) + w[1:]
}

// keyFinding is the finding that explains the verdict: the first fatal one, else the
// first still active.
func keyFinding(r model.Report) (model.Finding, bool) {
	for _, f := range r.Findings {
		if f.Fatal {
			return f, true
		}
	}
	for _, f := range r.Findings {
		if f.Active {
			return f, true
		}
	}
	return model.Finding{}, false
}

// rollbackSummary is what the rollback did, unescaped: the rollback's own account when it
// gives one.
func rollbackSummary(rb *model.Rollback) string {
	if rb == nil {
		return "rolled back"
	}
	if rb.Message != "" {
		return rb.Message
	}
	return rollbackOutcome(rb)
}

// rollbackOutcome is the rollback in a few words.
func rollbackOutcome(rb *model.Rollback) string {
	switch {
	case rb.DryRun:
		return "dry run: " + rb.Target + " left as is"
	case !rb.Performed:
		return "not performed"
	case rb.Recovered:
		return fmt.Sprintf("revision %d → %d, service recovered", rb.FromRevision, rb.ToRevision)
	}
	return fmt.Sprintf("revision %d → %d, not recovered", rb.FromRevision, rb.ToRevision)
}

// formatDuration prints a duration as the rest of the reports do.
func formatDuration(d time.Duration) string { return report.FormatDuration(d) }
