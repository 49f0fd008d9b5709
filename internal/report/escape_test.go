package report

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain_text", "readiness returned 503", "readiness returned 503"},
		{"pipe_in_table_cell", "a|b", `a\|b`},
		{"script_tag", "<script>alert(1)</script>", `\<script\>alert(1)\</script\>`},
		{"team_mention", "@team please look", "@\u200dteam please look"},
		{"org_team_mention", "cc @acme/ops", "cc @\u200dacme/ops"},
		{"email_address", "ops@acme.io", "ops@\u200dacme.io"},
		{"lone_at_sign", "a @ b", "a @ b"},
		{"backticks", "run `rm -rf /`", "run \\`rm -rf /\\`"},
		{"newlines_collapse", "line1\nline2\r\nline3\rline4\n\n", "line1 line2 line3 line4"},
		{"tabs_and_unicode_line_separator", "a\tb\u2028c", "a b c"},
		{"control_characters_stripped", "a\x00b\x07c\x7fd", "abcd"},
		{"ansi_colour_stripped", "\x1b[31mred\x1b[0m", "red"},
		{"bidi_override_stripped", "abc\u202edef", "abcdef"},
		{"emphasis_and_strikethrough", "*bold* _it_ ~~s~~", `\*bold\* \_it\_ \~\~s\~\~`},
		{"link_syntax", "[x](javascript:alert(1))", `\[x\](javascript:alert(1))`},
		{"heading_marker", "# title", `\# title`},
		{"issue_reference", "see #123", "see \\#\u200d123"},
		{"leading_bullet", "- item", `\- item`},
		{"leading_plus", "+ item", `\+ item`},
		{"inner_dash_kept", "a - b", "a - b"},
		{"ordered_list_marker", "1. item", `1\. item`},
		{"version_not_a_list", "1.4.0", "1.4.0"},
		{"blockquote_marker", "> quoted", `\> quoted`},
		{"backslash", `a\b`, `a\\b`},
		{"html_entity", "&lt;b&gt;", `\&lt;b\&gt;`},
		{"surrounding_space_trimmed", "   x  ", "x"},
		{"invalid_utf8", "a\xffb", "a\uFFFDb"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := EscapeMarkdown(tc.in); got != tc.want {
				t.Errorf("EscapeMarkdown(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEscapeMarkdownCapsLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"long_ascii", strings.Repeat("a", 10000)},
		{"long_multibyte", strings.Repeat("é", 10000)},
		{"long_specials_never_split_an_escape", strings.Repeat("|", 10000)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := EscapeMarkdown(tc.in)
			if !strings.HasSuffix(got, "…") {
				t.Errorf("a cut value must end with …, got suffix %q", got[max(0, len(got)-10):])
			}
			if n := utf8.RuneCountInString(strings.ReplaceAll(got, `\`, "")); n != maxEscapedRunes {
				t.Errorf("got %d characters before escaping, want %d", n, maxEscapedRunes)
			}
			if n := unescapedPipes(got); n != 0 {
				t.Errorf("%d unescaped pipes in %q", n, got)
			}
		})
	}
}

// TestEscapeMarkdownKeepsTableRowIntact puts hostile values in a table row and checks the
// row still has exactly its own separators and stays one line.
func TestEscapeMarkdownKeepsTableRowIntact(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"a|b|c", "x\\|y", "\\", "`|`", "<td>|</td>", "line\n| --- |\nrow", "||||", "\\\\|",
	}
	for _, h := range hostile {
		row := "| " + EscapeMarkdown(h) + " | " + EscapeMarkdown(h) + " |"
		if n := unescapedPipes(row); n != 3 {
			t.Errorf("row for %q has %d separators, want 3: %s", h, n, row)
		}
		if strings.ContainsAny(row, "\r\n") {
			t.Errorf("row for %q spans lines: %q", h, row)
		}
	}
}

// unescapedPipes counts the "|" not preceded by an odd number of backslashes: the cell
// separators a GFM table parser would see.
func unescapedPipes(s string) int {
	n, slashes := 0, 0
	for _, r := range s {
		switch {
		case r == '\\':
			slashes++
			continue
		case r == '|' && slashes%2 == 0:
			n++
		}
		slashes = 0
	}
	return n
}
