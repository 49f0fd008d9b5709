package report

import (
	"strings"
	"unicode"
)

// maxEscapedRunes caps one escaped value; a service answer can be arbitrarily long, and a
// job summary or comment has a hard size limit.
const maxEscapedRunes = 500

// zwj is inserted after "@" and "#" so GitHub neither notifies a user or team nor
// cross-references an issue named by a service's answer; it is invisible when rendered.
const zwj = '\u200d'

// markdownSpecial lists the characters that start Markdown or HTML syntax in a paragraph or
// a GFM table cell; each is backslash-escaped.
const markdownSpecial = "\\|*_`[]<>#~&"

// EscapeMarkdown makes untrusted text (values from service responses, URLs, messages, check
// names) safe inside a GFM table cell or a paragraph: it keeps the text on one line, drops
// control characters, escapes Markdown and HTML syntax, neutralises @mentions and #issue
// references, and caps the length at 500 characters.
func EscapeMarkdown(s string) string {
	return escapeCapped(s, maxEscapedRunes)
}

// escapeCapped is EscapeMarkdown with a custom cap, for narrow table cells. The cap applies
// before escaping so a cut never splits an escape.
func escapeCapped(s string, max int) string {
	runes := []rune(line(s, max))
	var b strings.Builder
	b.Grow(len(runes) + 8)
	for i, r := range runes {
		next := rune(0)
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		switch {
		case strings.ContainsRune(markdownSpecial, r):
			b.WriteByte('\\')
			b.WriteRune(r)
			if r == '#' && unicode.IsDigit(next) {
				b.WriteRune(zwj)
			}
		case r == '@' && (unicode.IsLetter(next) || unicode.IsDigit(next)):
			b.WriteRune(r)
			b.WriteRune(zwj)
		case i == 0 && strings.ContainsRune("-+=", r):
			// A leading marker would start a list (or underline a heading) in a paragraph.
			b.WriteByte('\\')
			b.WriteRune(r)
		case (r == '.' || r == ')') && isLeadingNumber(runes[:i]) && (next == 0 || next == ' '):
			// "1. text" at the start would become an ordered list.
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isLeadingNumber reports whether prefix, the text before a "." or ")", is all digits.
func isLeadingNumber(prefix []rune) bool {
	if len(prefix) == 0 || len(prefix) > 9 {
		return false
	}
	for _, r := range prefix {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// cell escapes a value for a table cell, with a dash for an empty value so the column
// does not look broken.
func cell(s string, max int) string {
	if e := escapeCapped(s, max); e != "" {
		return e
	}
	return "—"
}
