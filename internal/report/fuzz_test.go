package report

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzEscapeMarkdown checks the promises of EscapeMarkdown's doc comment for any text: one
// line, no control characters, every Markdown and HTML special escaped, no @mention or
// #issue reference left to GitHub, at most 500 characters before escaping, and nothing
// lost but what clean drops. It also checks the other ways untrusted text enters Markdown:
// a table cell, a link label and a link.
func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{"readiness returned 503", "a|b", "<script>alert(1)</script>", "@team please look", "cc @acme/ops",
		"ops@acme.io", "a @ b", "run `rm -rf /`", "line1\nline2\r\nline3\rline4\n\n", "a\tb\u2028c", "a\x00b\x07c\x7fd",
		"\x1b[31mred\x1b[0m", "abc\u202edef", "*bold* _it_ ~~s~~", "[x](javascript:alert(1))", "# title", "see #123", "- item",
		"+ item", "1. item", "1.4.0", "> quoted", `a\b`, "&lt;b&gt;", "   x  ", "a\xffb", "", "line\n| --- |\nrow", "\\\\|",
		"![img](https://x/y.png)", "<https://evil.example>", "=====", "12) x", "@\u200dteam", strings.Repeat("|", 600)} {
		f.Add(s, "https://github.com/acme/api/actions/runs/42")
	}
	f.Add("Workflow run", "javascript:alert(1)")
	f.Add("View [deployment]", "https://u:p@app.example.com/a (b)|c<d>`e\"f'g\\h i")
	f.Add("Grafana", "http://[::1]:3000/d/x?orgId=1#panel")
	f.Fuzz(func(t *testing.T, s, raw string) {
		out := EscapeMarkdown(s)
		checkEscaped(t, s, out)
		if got, want := plainText(out), strings.ReplaceAll(line(s, maxEscapedRunes), string(zwj), ""); got != want {
			t.Fatalf("EscapeMarkdown(%q) = %q loses text: unescaped %q, want %q", s, out, got, want)
		}
		if n := utf8.RuneCountInString(plainText(out)); n > maxEscapedRunes {
			t.Fatalf("EscapeMarkdown(%q) keeps %d characters, more than %d", s, n, maxEscapedRunes)
		}
		narrow := cell(s, 20)
		if narrow == "" || utf8.RuneCountInString(plainText(narrow)) > 20 {
			t.Fatalf("cell(%q, 20) = %q", s, narrow)
		}
		if narrow != "—" {
			checkEscaped(t, s, narrow)
		}
		row := "| " + out + " | " + narrow + " |"
		if n := unescapedPipes(row); n != 3 {
			t.Fatalf("a table row of %q has %d cell separators, want 3: %q", s, n, row)
		}
		label := escapeLabel(s)
		if strings.ContainsAny(label, "[]") {
			t.Fatalf("escapeLabel(%q) = %q holds a bracket that could end the label", s, label)
		}
		checkLink(t, label, raw)
	})
}

// checkEscaped checks out, the escaped form of s, for text Markdown or GitHub would act on.
func checkEscaped(t *testing.T, s, out string) {
	t.Helper()
	runes := []rune(out)
	slashes := 0
	for i, r := range runes {
		escaped := slashes%2 == 1
		if r == '\\' {
			slashes++
		} else {
			slashes = 0
		}
		next := rune(0)
		if i+1 < len(runes) {
			next = runes[i+1]
		}
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r) && r != ' ' || isInvisibleControl(r):
			t.Fatalf("EscapeMarkdown(%q) = %q keeps %U, which breaks the line or hides text", s, out, r)
		case r != '\\' && strings.ContainsRune(markdownSpecial, r) && !escaped:
			t.Fatalf("EscapeMarkdown(%q) = %q leaves %q unescaped at %d", s, out, r, i)
		case r == '@' && (unicode.IsLetter(next) || unicode.IsDigit(next)):
			t.Fatalf("EscapeMarkdown(%q) = %q keeps an @mention", s, out)
		case r == '#' && unicode.IsDigit(next):
			t.Fatalf("EscapeMarkdown(%q) = %q keeps an #issue reference", s, out)
		}
	}
	if slashes%2 == 1 {
		t.Fatalf("EscapeMarkdown(%q) = %q ends with a lone backslash", s, out)
	}
	if out != strings.TrimSpace(out) {
		t.Fatalf("EscapeMarkdown(%q) = %q has surrounding space (an indented code block)", s, out)
	}
	if listStart.MatchString(out) {
		t.Fatalf("EscapeMarkdown(%q) = %q starts a list, a heading underline or a quote", s, out)
	}
}

// listStart matches the line starts that turn a paragraph into a block.
var listStart = regexp.MustCompile(`^([-+=>]|[0-9]{1,9}[.)]( |$))`)

// plainText is escaped text without what EscapeMarkdown adds: backslashes and joiners.
func plainText(s string) string {
	var b strings.Builder
	escaped := false
	for _, r := range s {
		if r == '\\' && !escaped {
			escaped = true
			continue
		}
		escaped = false
		if r != zwj {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkLink checks that link makes a link of an http(s) URL only, with a destination that
// nothing in the URL can end early, and escaped text of anything else.
func checkLink(t *testing.T, label, raw string) {
	t.Helper()
	got := link(label, raw)
	prefix := "[" + label + "]("
	if !strings.HasPrefix(got, prefix) {
		if raw != "" {
			checkEscaped(t, raw, got)
		}
		return
	}
	dest, ok := strings.CutSuffix(strings.TrimPrefix(got, prefix), ")")
	if !ok || strings.ContainsAny(dest, "()<>| \\`\"'") || strings.ContainsFunc(dest, unicode.IsControl) {
		t.Fatalf("link(%q) = %q: the destination %q can end the link or break the table", raw, got, dest)
	}
	// The destination is percent-encoded, so it need not parse again (a quote in a host
	// becomes %22); it must still be the http(s) URL it was.
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || !strings.HasPrefix(dest, u.Scheme+"://") {
		t.Fatalf("link(%q) = %q links to %q, not an http(s) URL (%v)", raw, got, dest, err)
	}
}
