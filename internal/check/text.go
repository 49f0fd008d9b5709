package check

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxServiceText caps any text a service sent us before it goes into a message.
const maxServiceText = 200

// oneLine makes s fit a one-line message: control characters (newlines included) become
// spaces, runs of spaces collapse, and the ends are trimmed.
func oneLine(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// serviceText makes text a service provided safe to show: one line, at most
// maxServiceText characters, ending in "…" when cut.
func serviceText(s string) string {
	return capText(oneLine(s), maxServiceText)
}

// capText cuts s to at most n characters (runes), marking the cut with "…".
func capText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return strings.TrimRightFunc(string(runes[:n-1]), unicode.IsSpace) + "…"
}

// statusText renders a status code as "503 Service Unavailable". The reason phrase comes
// from the code, never from the response, so a service cannot inject text through it.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("%d", code)
}

// byteSize renders a size limit the way a user configured it: "1 MiB", "64 KiB", "100 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// isHex reports whether s is non-empty and made only of hexadecimal digits.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// shortVersion shortens a full commit SHA (40 or more hex digits) to 12 for messages;
// anything else is returned as is.
func shortVersion(v string) string {
	if len(v) >= 40 && isHex(v) {
		return v[:12]
	}
	return v
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
