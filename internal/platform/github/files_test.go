package github

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// parseOutputs reads an outputs file the way actions/runner does (SetEnvFileCommand /
// SetOutputFileCommand on Linux): NAME=VALUE lines, and NAME<<DELIM heredocs whose value
// runs to the line before the first line equal to DELIM.
func parseOutputs(text string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the file ends with a newline
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (hd < 0 || eq < hd) {
			out[line[:eq]] = line[eq+1:]
			continue
		}
		if hd <= 0 || hd+2 == len(line) {
			return nil, fmt.Errorf("line %d: invalid format %q", i+1, line)
		}
		name, delim := line[:hd], line[hd+2:]
		var value []string
		for i++; ; i++ {
			if i == len(lines) {
				return nil, fmt.Errorf("output %s: delimiter %q not found", name, delim)
			}
			if lines[i] == delim {
				break
			}
			value = append(value, lines[i])
		}
		out[name] = strings.Join(value, "\n")
	}
	return out, nil
}

var heredoc = regexp.MustCompile(`(?m)^[A-Za-z0-9_-]+<<(ghadelimiter_[0-9a-f]{32})$`)

func TestSetOutputsRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, []byte("earlier=step\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g, _ := newTest(t, map[string]string{"GITHUB_OUTPUT": path})
	first := []model.Output{
		{Name: "status", Value: "healthy"},
		{Name: "p99_latency_ms", Value: ""},
		{Name: "summary", Value: "line one\nline two"},
		{Name: "equals", Value: "a=b==c"},
		{Name: "heredoc", Value: "x<<EOF\nEOF"},
		{Name: "fake-delimiter", Value: "before\nghadelimiter_0123456789abcdef0123456789abcdef\n_GitHubActionsFileCommandDelimeter_\nafter"},
		{Name: "trailing_newline", Value: "v\n"},
		{Name: "leading_newline", Value: "\nv"},
		{Name: "only_newline", Value: "\n"},
		{Name: "crlf", Value: "a\r\nb"},
		{Name: "unicode", Value: "déployé ✓"},
	}
	second := []model.Output{{Name: "status", Value: "failed"}, {Name: "rolled_back", Value: "true"}}
	if err := g.SetOutputs(first); err != nil {
		t.Fatalf("SetOutputs: %v", err)
	}
	if err := g.SetOutputs(second); err != nil {
		t.Fatalf("SetOutputs: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseOutputs(string(data))
	if err != nil {
		t.Fatalf("parse %q: %v", data, err)
	}
	want := map[string]string{"earlier": "step"}
	for _, o := range append(first, second...) {
		want[o.Name] = o.Value // later writes win, as on the runner
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", diff)
	}

	// Every output is a heredoc with its own random delimiter.
	delims := heredoc.FindAllStringSubmatch(string(data), -1)
	if len(delims) != len(first)+len(second) {
		t.Errorf("found %d heredocs with a ghadelimiter_<32 hex> delimiter, want %d", len(delims), len(first)+len(second))
	}
	seen := map[string]bool{}
	for _, m := range delims {
		if seen[m[1]] {
			t.Errorf("delimiter %q used twice", m[1])
		}
		seen[m[1]] = true
	}
}

// fixedReader yields its bytes in order, then zeros forever.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	clear(p[n:])
	return len(p), nil
}

func TestSetOutputsRedrawsClashingDelimiter(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	g, _ := newTest(t, map[string]string{"GITHUB_OUTPUT": path})
	zero := "ghadelimiter_" + strings.Repeat("00", 16)
	g.rand = &fixedReader{b: append(make([]byte, 16), bytes.Repeat([]byte{0xab}, 16)...)}
	if err := g.SetOutputs([]model.Output{{Name: "summary", Value: "x\n" + zero + "\ny"}}); err != nil {
		t.Fatalf("SetOutputs: %v", err)
	}
	other := "ghadelimiter_" + strings.Repeat("ab", 16)
	want := "summary<<" + other + "\nx\n" + zero + "\ny\n" + other + "\n"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("file mismatch (-want +got):\n%s", diff)
	}

	// A source that keeps drawing the clashing delimiter gives up with an error.
	g.rand = &fixedReader{}
	err = g.SetOutputs([]model.Output{{Name: "summary", Value: zero}})
	if err == nil || !strings.Contains(err.Error(), "no delimiter found") {
		t.Errorf("SetOutputs with a stuck random source = %v, want a delimiter error", err)
	}
}

func TestSetOutputsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string // GITHUB_OUTPUT; "" unsets it
		outputs []model.Output
		want    string // substring of the error
	}{
		{name: "unset", outputs: []model.Output{{Name: "status", Value: "healthy"}},
			want: "GITHUB_OUTPUT is not set; outputs not written"},
		{name: "unset_without_outputs", want: "GITHUB_OUTPUT is not set; outputs not written"},
		{name: "directory", path: dir, outputs: []model.Output{{Name: "status", Value: "healthy"}},
			want: "write outputs: open " + dir + ": is a directory"},
		{name: "missing_parent", path: filepath.Join(dir, "nope", "output"), outputs: []model.Output{{Name: "status", Value: "healthy"}},
			want: filepath.Join(dir, "nope", "output")},
	}
	for _, name := range []string{"", "has space", "a=b", "x<<y", "ünï", "a\nb"} {
		tests = append(tests, struct {
			name    string
			path    string
			outputs []model.Output
			want    string
		}{name: "invalid_name_" + fmt.Sprintf("%q", name), path: filepath.Join(dir, "invalid"),
			outputs: []model.Output{{Name: "status", Value: "healthy"}, {Name: name, Value: "v"}},
			want:    fmt.Sprintf("output name %q is invalid", name)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, _ := newTest(t, map[string]string{"GITHUB_OUTPUT": tt.path})
			err := g.SetOutputs(tt.outputs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetOutputs() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Nothing was written for the invalid names: the write is all or nothing.
	if _, err := os.Stat(filepath.Join(dir, "invalid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("outputs file written despite an invalid name (stat: %v)", err)
	}
}

func TestSetOutputsNothingToWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	g, _ := newTest(t, map[string]string{"GITHUB_OUTPUT": path})
	if err := g.SetOutputs(nil); err != nil {
		t.Fatalf("SetOutputs(nil) = %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SetOutputs(nil) touched the file (stat: %v)", err)
	}
}

func TestWriteSummaryAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, []byte("# Earlier step\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g, out := newTest(t, map[string]string{"GITHUB_STEP_SUMMARY": path})
	for _, md := range []string{"## deploywatch\n", "| check | ok |\n|---|---|\n"} {
		if err := g.WriteSummary(md); err != nil {
			t.Fatalf("WriteSummary: %v", err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Earlier step\n## deploywatch\n| check | ok |\n|---|---|\n"
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
	if out.Len() != 0 {
		t.Errorf("WriteSummary printed %q", out.String())
	}
}

func TestWriteSummaryErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		want string
	}{
		{name: "unset", want: "GITHUB_STEP_SUMMARY is not set; summary not written"},
		{name: "directory", path: dir, want: "write summary: open " + dir + ": is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, _ := newTest(t, map[string]string{"GITHUB_STEP_SUMMARY": tt.path})
			err := g.WriteSummary("# x\n")
			if err == nil || err.Error() != tt.want {
				t.Errorf("WriteSummary() = %v, want %q", err, tt.want)
			}
		})
	}
}

var noteCount = regexp.MustCompile(`\n\n> \*\*Note:\*\* summary truncated \((\d+) bytes omitted to stay under GitHub's 1 MiB limit\); see the JSON report\.\n$`)

// checkTruncated asserts that got is a prefix of md cut at a rune boundary plus a note
// counting the bytes cut, no longer than budget, and returns the kept prefix.
func checkTruncated(t *testing.T, md, got string, budget int) string {
	t.Helper()
	m := noteCount.FindStringSubmatchIndex(got)
	if m == nil {
		t.Fatalf("no truncation note at the end of %q", got[max(len(got)-200, 0):])
	}
	kept := got[:m[0]]
	if !strings.HasPrefix(md, kept) {
		t.Fatalf("kept text is not a prefix of the summary")
	}
	if !utf8.ValidString(got) {
		t.Errorf("truncated summary is not valid UTF-8")
	}
	if n := got[m[2]:m[3]]; n != fmt.Sprint(len(md)-len(kept)) {
		t.Errorf("note says %s bytes omitted, want %d", n, len(md)-len(kept))
	}
	if len(got) > budget {
		t.Errorf("truncated summary is %d bytes, budget %d", len(got), budget)
	}
	return kept
}

func TestFitSummary(t *testing.T) {
	t.Parallel()
	noteLen := len(fmt.Sprintf(summaryNote, 999))
	tests := []struct {
		name   string
		md     string
		budget int
		check  func(t *testing.T, kept string)
	}{
		{name: "multibyte_runes_without_newlines", md: strings.Repeat("€", 200), budget: 400,
			check: func(t *testing.T, kept string) {
				// Cut only as far as the rune boundary requires.
				if len(kept) < 400-noteLen-2 {
					t.Errorf("kept %d bytes, want at least %d", len(kept), 400-noteLen-2)
				}
			}},
		{name: "cut_at_a_line_end", md: strings.Repeat("| check | ✓ |\n", 60), budget: 500,
			check: func(t *testing.T, kept string) {
				if !strings.HasSuffix(kept, "| check | ✓ |") {
					t.Errorf("kept text does not end with a whole line: %q", kept[max(len(kept)-30, 0):])
				}
			}},
		{name: "budget_smaller_than_the_note", md: strings.Repeat("x", 300), budget: 10,
			check: func(t *testing.T, kept string) {
				if kept != "" {
					t.Errorf("kept %q, want nothing", kept)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := fitSummary(tt.md, tt.budget)
			budget := max(tt.budget, noteLen)
			tt.check(t, checkTruncated(t, tt.md, got, budget))
		})
	}
	t.Run("fits_exactly", func(t *testing.T) {
		t.Parallel()
		md := strings.Repeat("é", 100)
		if got := fitSummary(md, len(md)); got != md {
			t.Errorf("fitSummary changed a summary that fits")
		}
	})
}

func TestWriteSummaryOverLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing int // bytes already in the file
		size     int
	}{
		{name: "summary_over_1_mib", size: 1_100_000},
		{name: "summary_fits_alone_but_not_after_earlier_content", existing: 1_000_000, size: 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "summary.md")
			earlier := strings.Repeat("e", tt.existing)
			if err := os.WriteFile(path, []byte(earlier), 0o600); err != nil {
				t.Fatal(err)
			}
			g, _ := newTest(t, map[string]string{"GITHUB_STEP_SUMMARY": path})
			// Three-byte runes, so a cut at an arbitrary byte would split one.
			md := strings.Repeat("✓", tt.size/3)
			if err := g.WriteSummary(md); err != nil {
				t.Fatalf("WriteSummary: %v", err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > summaryBudget || len(data) > 1<<20 {
				t.Errorf("summary file is %d bytes, over the %d budget", len(data), summaryBudget)
			}
			if !strings.HasPrefix(string(data), earlier) {
				t.Fatalf("earlier content lost")
			}
			checkTruncated(t, md, string(data[tt.existing:]), summaryBudget-tt.existing)
		})
	}
}
