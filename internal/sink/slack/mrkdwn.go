package slack

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// mrkdwnEscaper escapes the three characters Slack gives a meaning to: with them escaped,
// outside text cannot open a link, a mention (<!channel>, <@U…>) or a date.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc makes outside text safe in mrkdwn, on one line.
func esc(s string) string { return mrkdwnEscaper.Replace(oneLine(s)) }

// plain makes outside text fit a plain_text object (the header): one line, no control
// characters. Slack shows plain_text as is, where an entity would show as "&lt;", so angle
// brackets become look-alikes instead: nothing in a header can read as <!here> to anyone.
func plain(s string) string { return plainEscaper.Replace(oneLine(s)) }

var plainEscaper = strings.NewReplacer("<", "‹", ">", "›")

// oneLine collapses white space, drops control and bidirectional formatting characters
// (which could disguise text) and replaces invalid UTF-8.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r), r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x200e, r == 0x200f, r == 0xfeff:
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cut caps s at max runes, ending with "…". It never leaves half of an escape (&amp;) or
// of a link or date the sink wrote (<…>): outside text holds no raw "<" once escaped.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			s = s[:i]
			break
		}
		n++
	}
	if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 && !strings.Contains(s[i:], ">") {
		s = s[:i]
	}
	return strings.TrimRight(s, " \n") + "…"
}

// maxLabelRunes bounds a link's label; maxURLBytes bounds a link's target.
const (
	maxLabelRunes = 60
	maxURLBytes   = 2000
)

// link writes <url|label> when raw is an http(s) URL, and "" otherwise: a javascript: or
// other scheme from outside must never become something to click.
func link(raw, label string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxURLBytes ||
		strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return ""
	}
	// "|" and ">" would end the target early; Slack reads &amp; back as "&".
	target := strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace(u.String())
	label = strings.ReplaceAll(cut(esc(label), maxLabelRunes), "|", "¦")
	if label == "" {
		label = "link"
	}
	return "<" + target + "|" + label + ">"
}

// date shows t in each reader's time zone; clients that cannot fall back to UTC.
func date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}
