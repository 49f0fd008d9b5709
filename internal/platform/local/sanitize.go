package local

import (
	"strings"
	"unicode"
)

// cleanLine makes untrusted text (a response body, a pod log line) one safe terminal
// line: invalid UTF-8 is replaced, each CR, LF or CRLF becomes a space, and control
// characters (ESC and the C1 set included, so text cannot move the cursor or restyle the
// screen) and bidirectional overrides (which make a line read differently from what it
// says) are dropped. Our own colour codes are added afterwards.
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
