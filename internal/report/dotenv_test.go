package report

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// dotenvKey is a key GitLab accepts: [A-Za-z0-9_], 255 at most.
var dotenvKey = regexp.MustCompile(`^[A-Za-z0-9_]{1,255}$`)

// parseDotenv reads a dotenv report as GitLab does (Ci::ParseDotenvArtifactService: split
// each line at the first '=', strip white space around key and value, quotes kept) and as
// strictly as a file written for it must be: smaller than 5 KB, valid UTF-8, nothing for
// GitLab to strip, no '$' (GitLab would expand it) or control character in a value, no
// empty line or comment, no key twice, at most 20 variables.
func parseDotenv(data []byte) (map[string]string, error) {
	if len(data) >= 5*1024 {
		return nil, fmt.Errorf("file is %d bytes; GitLab wants under 5120", len(data))
	}
	if !utf8.Valid(data) {
		return nil, errors.New("file is not UTF-8")
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		return nil, errors.New("last line is not terminated")
	}
	vars := map[string]string{}
	if len(data) == 0 {
		return vars, nil
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		key, value, ok := strings.Cut(line, "=")
		switch {
		case !ok || !dotenvKey.MatchString(key):
			return nil, fmt.Errorf("line %d %q is not KEY=value as GitLab reads it", i+1, line)
		case strings.Trim(value, " \t\n\v\f\r\x00") != value:
			return nil, fmt.Errorf("line %d: GitLab would strip the white space around %q", i+1, value)
		case strings.Contains(value, "$"):
			return nil, fmt.Errorf("line %d: GitLab would expand the '$' in %q", i+1, value)
		case strings.IndexFunc(value, unicode.IsControl) >= 0:
			return nil, fmt.Errorf("line %d: control character in %q", i+1, value)
		}
		if _, dup := vars[key]; dup {
			return nil, fmt.Errorf("line %d: %s set twice", i+1, key)
		}
		vars[key] = value
	}
	if len(vars) > 20 {
		return nil, fmt.Errorf("%d variables; GitLab allows 20", len(vars))
	}
	return vars, nil
}

func TestParseDotenvIsStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{name: "plain", data: "status=healthy\nerror_rate=\n", ok: true},
		{name: "empty_file", data: "", ok: true},
		{name: "empty_line", data: "a=1\n\nb=2\n"},
		{name: "comment", data: "# c\na=1\n"},
		{name: "space_in_value", data: "summary=failed: readiness\n", ok: true},
		{name: "quotes_kept", data: "a=\"x\" it's\n", ok: true},
		{name: "equals_in_value", data: "a=b=c\n", ok: true},
		{name: "leading_space", data: "a= x\n"},
		{name: "trailing_space", data: "a=x \n"},
		{name: "space_before_equals", data: "a =x\n"},
		{name: "tab_in_value", data: "a=x\ty\n"},
		{name: "dollar", data: "a=$CI_JOB_TOKEN\n"},
		{name: "hyphen_key", data: "a-b=1\n"},
		{name: "duplicate", data: "a=1\na=2\n"},
		{name: "unterminated", data: "a=1"},
		{name: "crlf", data: "a=1\r\n"},
		{name: "too_big", data: "a=" + strings.Repeat("x", 5120) + "\n"},
		{name: "too_many", data: manyVars(21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := parseDotenv([]byte(tt.data)); (err == nil) != tt.ok {
				t.Errorf("parseDotenv(%q) error = %v, want ok %v", tt.data, err, tt.ok)
			}
		})
	}
}

func manyVars(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "v%d=%d\n", i, i)
	}
	return b.String()
}

// TestDotenvGolden pins the dotenv report of every fixture run: every output, the summary
// with its spaces included, readable back with GitLab's rules; the contract has 21 outputs,
// so one empty one is left out for GitLab's limit of 20 variables.
func TestDotenvGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtures() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			outs := Outputs(tc.report)
			data, dropped, omitted := Dotenv(outs)
			golden(t, tc.name+".env", data, textDiff)
			if len(dropped) != 0 {
				t.Errorf("dropped %q, want every set output kept", dropped)
			}
			left := map[string]bool{}
			for _, o := range omitted {
				name, _, _ := strings.Cut(o, ":")
				left[name] = true
			}
			if len(outs) > 20 && len(omitted) != len(outs)-20 {
				t.Errorf("omitted %q, want %d empty outputs left out", omitted, len(outs)-20)
			}
			vars, err := parseDotenv(data)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, o := range outs {
				if !left[o.Name] {
					want[o.Name] = o.Value
				} else if o.Value != "" {
					t.Errorf("%s = %q was left out, want only empty outputs omitted", o.Name, o.Value)
				}
			}
			if diff := cmp.Diff(want, vars); diff != "" {
				t.Errorf("variables mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(vars["summary"], " ") {
				t.Errorf("summary = %q, want the one-line summary with its spaces", vars["summary"])
			}
		})
	}
}

func outs(kv ...string) []model.Output {
	var o []model.Output
	for i := 0; i+1 < len(kv); i += 2 {
		o = append(o, model.Output{Name: kv[i], Value: kv[i+1]})
	}
	return o
}

// contract is Outputs' full list of names with a value each, in its order.
func contract(value func(name string) string) []model.Output {
	var o []model.Output
	for _, d := range OutputDocs() {
		o = append(o, model.Output{Name: d.Name, Value: value(d.Name)})
	}
	return o
}

func TestDotenvRules(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 256)
	tests := []struct {
		name    string
		outs    []model.Output
		want    string
		dropped []string
	}{
		{name: "nothing", want: ""},
		{name: "kept_in_order", outs: outs("status", "failed", "error_rate", "0.0412", "detected_after_s", "40"),
			want: "status=failed\nerror_rate=0.0412\ndetected_after_s=40\n"},
		{name: "empty_value_kept", outs: outs("comment_url", ""), want: "comment_url=\n"},
		{name: "url_with_hash_equals_and_ampersand_kept", outs: outs("comment_url", "https://gitlab.example.com/a/b/-/merge_requests/4#note_9?x=1&y=2"),
			want: "comment_url=https://gitlab.example.com/a/b/-/merge_requests/4#note_9?x=1&y=2\n"},
		{name: "unicode_value_kept", outs: outs("note", "≤0.3%"), want: "note=≤0.3%\n"},
		{name: "spaces_kept", outs: outs("summary", "failed: readiness returned 503 — detected after 41s", "status", "failed"),
			want: "summary=failed: readiness returned 503 — detected after 41s\nstatus=failed\n"},
		{name: "quotes_kept", outs: outs("a", `"x"`, "b", "it's"), want: "a=\"x\"\nb=it's\n"},
		{name: "ends_trimmed", outs: outs("a", "  x y \t"), want: "a=x y\n"},
		{name: "line_breaks_and_tabs_become_spaces", outs: outs("a", "x\ny", "b", "x\r", "c", "x\r\n\ty"),
			want: "a=x y\nb=x\nc=x   y\n"},
		{name: "white_space_only_becomes_empty", outs: outs("a", " \n "), want: "a=\n"},
		{name: "dollar_dropped", outs: outs("a", "$CI_JOB_TOKEN", "b", "cost: 5$"),
			dropped: []string{"a: value has '$', which GitLab would expand as a variable", "b: value has '$', which GitLab would expand as a variable"}},
		{name: "control_dropped", outs: outs("a", "x\x1b[31m"), dropped: []string{"a: value has control characters"}},
		{name: "invalid_utf8_dropped", outs: outs("a", "x\xff"), dropped: []string{"a: value is not UTF-8"}},
		{name: "bad_names_dropped", outs: outs("p99-latency", "1", "", "1", "ü", "1", "a b\n", "1", long, "1", "ok_9", "1"),
			want: "ok_9=1\n",
			dropped: []string{`"p99-latency": name has characters other than letters, digits and '_'`, `"": empty name`,
				`"ü": name has characters other than letters, digits and '_'`,
				`"a b\n": name has characters other than letters, digits and '_'`,
				`"` + long[:63] + `…": name longer than 255 characters`}},
		{name: "duplicate_dropped", outs: outs("status", "failed", "status", "healthy"), want: "status=failed\n",
			dropped: []string{"status: duplicate name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, dropped, omitted := Dotenv(tt.outs)
			if diff := cmp.Diff(tt.want, string(data)); diff != "" {
				t.Errorf("data mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.dropped, dropped); diff != "" {
				t.Errorf("dropped mismatch (-want +got):\n%s", diff)
			}
			if len(omitted) != 0 {
				t.Errorf("omitted %q, want nothing under the limits", omitted)
			}
			if _, err := parseDotenv(data); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestDotenvLimits leaves out by priority when the outputs exceed GitLab's variable count
// or file size: empty outputs first (omitted: nothing is lost), then set ones (dropped).
func TestDotenvLimits(t *testing.T) {
	t.Parallel()
	set := func(string) string { return "1" }
	extra := outs("zz_extra", "1", "zz_more", "1")
	big := strings.Repeat("x", 2000)
	tests := []struct {
		name    string
		outs    []model.Output
		dropped []string
		omitted []string
	}{
		{
			// 21 outputs, all set and representable: the lowest ranked goes.
			name:    "one_over_the_count",
			outs:    contract(set),
			dropped: []string{"report_path: over GitLab's limit of 20 variables"},
		},
		{
			name: "three_over_the_count",
			outs: append(contract(set), extra...),
			dropped: []string{"report_path: over GitLab's limit of 20 variables", "rollback_from_revision: over GitLab's limit of 20 variables",
				"rollback_to_revision: over GitLab's limit of 20 variables"},
		},
		{
			name: "unranked_before_ranked",
			outs: append(contract(set), outs("zz_extra", "1", "zz_more", "1", "zz_third", "1", "zz_fourth", "1", "zz_fifth", "1")...),
			dropped: []string{"report_path: over GitLab's limit of 20 variables", "rollback_from_revision: over GitLab's limit of 20 variables",
				"rollback_to_revision: over GitLab's limit of 20 variables", "summary: over GitLab's limit of 20 variables",
				"zz_fifth: over GitLab's limit of 20 variables", "zz_fourth: over GitLab's limit of 20 variables"},
		},
		{
			// Empty values say nothing a missing variable would not: they go first, the
			// lowest ranked of them first.
			name: "empty_values_first",
			outs: append(contract(func(n string) string {
				if n == "deployment_id" || n == "error_rate" || n == "p99_latency_ms" {
					return ""
				}
				return "1"
			}), extra...),
			omitted: []string{"deployment_id: over GitLab's limit of 20 variables", "p99_latency_ms: over GitLab's limit of 20 variables",
				"error_rate: over GitLab's limit of 20 variables"},
		},
		{
			name:    "over_the_size",
			outs:    outs("status", "failed", "comment_url", big, "report_path", big, "started_at", big),
			dropped: []string{"report_path: the file would reach GitLab's limit of 5120 bytes"},
		},
		{
			name:    "size_drops_by_rank_not_by_length",
			outs:    outs("status", big, "comment_url", big, "started_at", big, "deployment_id", "7"),
			dropped: []string{"comment_url: the file would reach GitLab's limit of 5120 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, dropped, omitted := Dotenv(tt.outs)
			if diff := cmp.Diff(tt.dropped, dropped); diff != "" {
				t.Errorf("dropped mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.omitted, omitted); diff != "" {
				t.Errorf("omitted mismatch (-want +got):\n%s", diff)
			}
			vars, err := parseDotenv(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(vars)+len(dropped)+len(omitted) != len(tt.outs) {
				t.Errorf("%d kept + %d dropped + %d omitted, want %d outputs", len(vars), len(dropped), len(omitted), len(tt.outs))
			}
			// What is kept stays in the outputs' order.
			var order []string
			for line := range strings.Lines(string(data)) {
				order = append(order, strings.SplitN(line, "=", 2)[0])
			}
			var want []string
			for _, o := range tt.outs {
				if _, ok := vars[o.Name]; ok {
					want = append(want, o.Name)
				}
			}
			if diff := cmp.Diff(want, order); diff != "" {
				t.Errorf("order mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
