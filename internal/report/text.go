package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean makes untrusted text fit one line: line breaks and tabs become spaces, runs of
// white space collapse, ANSI escape sequences and other control characters (including the
// bidirectional overrides used to disguise text) disappear, invalid UTF-8 becomes U+FFFD.
// A log line that kept a newline could smuggle in a forged line or a workflow command.
func clean(s string) string {
	return cleanUpTo(s, -1)
}

// cleanUpTo is clean that stops once the result holds limit runes (no limit when negative),
// so capping a megabyte-long answer costs no more than capping a short one.
func cleanUpTo(s string, limit int) string {
	var b strings.Builder
	space := false
	for i, n := 0, 0; i < len(s) && n != limit; {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0x1b {
			i += escapeSequenceLen(s[i:])
			continue
		}
		i += size
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case isInvisibleControl(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
			if n++; n == limit {
				break
			}
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// escapeSequenceLen is the length of the ANSI escape sequence at the start of s (which
// begins with ESC), so that neither the ESC nor its parameters reach the output.
func escapeSequenceLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[': // CSI: parameters and intermediates, then one final byte in @–~.
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']': // OSC: up to BEL or ST (ESC \).
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	_, size := utf8.DecodeRuneInString(s[1:])
	return 1 + size
}

// isInvisibleControl reports characters that have no business in a report line: C0/C1
// controls, and format characters that reorder or hide text.
func isInvisibleControl(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true // bidirectional embeddings, overrides, isolates and marks
	case r == 0xfeff:
		return true
	}
	return false
}

// truncate caps s at max runes, ending with "…" when it had to cut.
func truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n++
	}
	return s
}

// line is clean and truncate together: one line of at most max runes.
func line(s string, max int) string {
	// One rune more than max tells truncate whether anything was cut.
	return truncate(cleanUpTo(s, max+1), max)
}
