package github

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/platform"
)

// newTest returns a GitHub platform over an empty environment, printing to the buffer.
func newTest(t *testing.T, vars map[string]string) (*GitHub, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	g, err := New(Options{Getenv: env(vars), Stdout: &out})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g, &out
}

func TestMask(t *testing.T) {
	t.Parallel()
	g, out := newTest(t, nil)
	key := "-----BEGIN KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0B\n\n   \nAB%CD\nuser:\n"
	g.Mask(key)
	g.Mask(key)                        // same value: once
	g.Mask("MIIEvQIBADANBgkqhkiG9w0B") // already masked as a line
	g.Mask("")
	g.Mask(" \t ")
	g.Mask("a")
	g.Mask("s3cr3t")
	// The runner masks line by line; short lines ("AB%CD", "user:") are structure, not
	// credentials, and masking them would garble ordinary text for the rest of the job.
	want := "::add-mask::-----BEGIN KEY-----%0D%0AMIIEvQIBADANBgkqhkiG9w0B%0A%0A   %0AAB%25CD%0Auser:%0A\n" +
		"::add-mask::-----BEGIN KEY-----\n" +
		"::add-mask::MIIEvQIBADANBgkqhkiG9w0B\n" +
		"::add-mask::a\n" +
		"::add-mask::s3cr3t\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	g, out := newTest(t, nil)
	g.EndGroup() // nothing open: nothing printed
	g.Group("Verify")
	g.Log(platform.LevelInfo, "checking")
	g.Group("Monitor\n::error::x") // closes Verify first; the title stays one line
	g.EndGroup()
	g.EndGroup()
	g.Group("Verdict")
	g.Flush()
	want := "::group::Verify\nchecking\n::endgroup::\n::group::Monitor ::error::x\n::endgroup::\n" +
		"::group::Verdict\n::endgroup::\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

// registered are the commands the runner knows (names compare case-insensitively).
var registered = map[string]bool{
	"add-mask": true, "add-matcher": true, "remove-matcher": true, "debug": true, "notice": true,
	"warning": true, "error": true, "group": true, "endgroup": true, "echo": true,
	"set-output": true, "set-env": true, "save-state": true, "add-path": true, "stop-commands": true,
}

// runnerCommand mimics actions/runner's ActionCommand.TryParseV2 and TryParse on one
// output line and returns the command it would run, or "". With ignorable set, prefix
// comparisons skip format characters (zero-width space, soft hyphen) as a
// culture-sensitive ICU comparison does, while offsets stay those of the real string.
func runnerCommand(line string, ignorable bool) string {
	r := []rune(strings.TrimLeftFunc(line, unicode.IsSpace)) // .NET TrimStart
	if at := indexOf(r, "::", 0, ignorable); at == 0 || (ignorable && at > 0 && onlyFormat(r[:at])) {
		if end := indexOf(r, "::", 2, ignorable); end >= 2 {
			if name := commandName(string(r[2:end])); name != "" {
				return name
			}
		}
	}
	r = []rune(line) // the legacy form is looked for anywhere in the untrimmed line
	if p := indexOf(r, "##[", 0, ignorable); p >= 0 {
		for rb := p; rb < len(r); rb++ {
			if r[rb] == ']' {
				if rb < p+3 {
					return "" // .NET Substring throws; the runner treats it as text
				}
				return commandName(string(r[p+3 : rb]))
			}
		}
	}
	return ""
}

func commandName(info string) string {
	name, _, _ := strings.Cut(info, " ")
	if registered[strings.ToLower(name)] {
		return name
	}
	return ""
}

func onlyFormat(r []rune) bool {
	for _, c := range r {
		if !unicode.Is(unicode.Cf, c) {
			return false
		}
	}
	return true
}

// indexOf finds s in r from start; with ignorable, format characters inside the match
// are skipped.
func indexOf(r []rune, s string, start int, ignorable bool) int {
	want := []rune(s)
	for at := start; at < len(r); at++ {
		if ignorable && unicode.Is(unicode.Cf, r[at]) {
			continue
		}
		j := 0
		for i := at; i < len(r) && j < len(want); i++ {
			if ignorable && unicode.Is(unicode.Cf, r[i]) {
				continue
			}
			if r[i] != want[j] {
				break
			}
			j++
		}
		if j == len(want) {
			return at
		}
	}
	return -1
}

// TestRunnerModel checks the model used by TestLogNeverIssuesCommands against lines the
// runner documents as commands, so a model that sees no command anywhere cannot pass.
func TestRunnerModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want string
	}{
		{name: "v2", line: "::error title=a::b", want: "error"},
		{name: "v2_leading_space", line: " \t::set-output name=a::b", want: "set-output"},
		{name: "v2_case_insensitive", line: "::Warning::x", want: "Warning"},
		{name: "v2_unknown", line: "::nope::x", want: ""},
		{name: "v1_mid_line", line: "text ##[add-mask]x", want: "add-mask"},
		{name: "plain", line: "hello: world", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, ignorable := range []bool{false, true} {
				if got := runnerCommand(tt.line, ignorable); got != tt.want {
					t.Errorf("runnerCommand(%q, %v) = %q, want %q", tt.line, ignorable, got, tt.want)
				}
			}
		})
	}
}

func TestLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		level platform.Level
		line  string
		want  string
	}{
		{name: "info_plain", level: platform.LevelInfo, line: "GET https://shop.example.com/health 200 in 12ms", want: "GET https://shop.example.com/health 200 in 12ms\n"},
		{name: "success_plain", level: platform.LevelSuccess, line: "✓ readiness", want: "✓ readiness\n"},
		{name: "warning_not_annotated", level: platform.LevelWarning, line: "latency 2.1x baseline", want: "latency 2.1x baseline\n"},
		{name: "error_not_annotated", level: platform.LevelError, line: "health check failed", want: "health check failed\n"},
		{name: "debug", level: platform.LevelDebug, line: "probe took 12ms", want: "::debug::probe took 12ms\n"},
		{name: "debug_one_line", level: platform.LevelDebug, line: "a\r\nb\nc%", want: "::debug::a b c%25\n"},
		{name: "set_output_neutralised", level: platform.LevelInfo, line: "::set-output name=x::y", want: "\u200b::set-output name=x::y\n"},
		{name: "leading_space_command_neutralised", level: platform.LevelInfo, line: "  \t::error::boom", want: "  \t\u200b::error::boom\n"},
		{name: "unicode_space_command_neutralised", level: platform.LevelInfo, line: "\u3000::add-mask::x", want: "\u3000\u200b::add-mask::x\n"},
		{name: "newline_then_command_neutralised", level: platform.LevelWarning, line: "\r\n::warning::spoof", want: " \u200b::warning::spoof\n"},
		{name: "command_mid_line_left_alone", level: platform.LevelInfo, line: "body: ::error::x", want: "body: ::error::x\n"},
		{name: "injected_second_line_joined", level: platform.LevelInfo, line: "ok\n::error::injected", want: "ok ::error::injected\n"},
		{name: "legacy_command_anywhere", level: platform.LevelInfo, line: "body: ##[error]boom ##[set-output name=a;]b", want: "body: ##\u200b[error]boom ##\u200b[set-output name=a;]b\n"},
		{name: "escape_sequences_dropped", level: platform.LevelInfo, line: "\x1b[31mred\x1b[0m\x07 \u202edone", want: "[31mred[0m done\n"},
		{name: "invalid_utf8_replaced", level: platform.LevelInfo, line: "bad \xff byte", want: "bad \ufffd byte\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, out := newTest(t, nil)
			g.Log(tt.level, tt.line)
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("Log(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

// TestLogNeverIssuesCommands feeds untrusted lines built to be read as workflow commands
// and checks with a model of the runner's parser that none of the printed lines is one,
// whether the runner compares strings ordinally or ignoring zero-width characters.
func TestLogNeverIssuesCommands(t *testing.T) {
	t.Parallel()
	attacks := []string{
		"::set-output name=status::healthy",
		"::add-mask::",
		"   ::error title=x::y",
		"\u2003::warning::em space",
		"::stop-commands::tok",
		"::ERROR::upper case",
		"##[error]legacy",
		"text ##[set-output name=status;]healthy",
		"\u00ad::error::soft hyphen first",
		":\u00ad:error::soft hyphen inside",
		"#\u00ad#[error]soft hyphen inside legacy",
		"\u200b::error::already zero-width",
		"log line\n::error::second line",
	}
	for _, line := range attacks {
		g, out := newTest(t, nil)
		g.Log(platform.LevelInfo, line)
		for printed := range strings.Lines(out.String()) {
			printed = strings.TrimSuffix(printed, "\n")
			for _, ignorable := range []bool{false, true} {
				if cmd := runnerCommand(printed, ignorable); cmd != "" {
					t.Errorf("Log(%q) printed %q, which the runner reads as ::%s (ignorable=%v)", line, printed, cmd, ignorable)
				}
			}
		}
	}
}

func TestAnnotate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		level          platform.Level
		title, message string
		want           string
	}{
		{name: "error", level: platform.LevelError, title: "Health check failed", message: "GET https://shop.example.com/health returned 503",
			want: "::error title=Health check failed::GET https://shop.example.com/health returned 503\n"},
		{name: "warning", level: platform.LevelWarning, title: "Latency", message: "p99 2.1x baseline",
			want: "::warning title=Latency::p99 2.1x baseline\n"},
		{name: "info_is_notice", level: platform.LevelInfo, title: "Deploy", message: "started",
			want: "::notice title=Deploy::started\n"},
		{name: "success_is_notice", level: platform.LevelSuccess, title: "Verdict", message: "healthy",
			want: "::notice title=Verdict::healthy\n"},
		{name: "debug_is_a_debug_line", level: platform.LevelDebug, title: "Probe", message: "12ms\nok",
			want: "::debug::Probe: 12ms ok\n"},
		{name: "no_title", level: platform.LevelError, message: "failed",
			want: "::error::failed\n"},
		{name: "title_and_message_escaped", level: platform.LevelError,
			title:   "50% of probes: p99, p50\r\nnext",
			message: "rate 5%\r\n::set-output name=x::y, z: w",
			want:    "::error title=50%25 of probes%3A p99%2C p50%0D%0Anext::rate 5%25%0D%0A::set-output name=x::y, z: w\n"},
		{name: "control_characters_dropped", level: platform.LevelWarning, title: "a\x1b[1mb", message: "c\x00d",
			want: "::warning title=a[1mb::cd\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, out := newTest(t, nil)
			g.Annotate(tt.level, tt.title, tt.message)
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
			if strings.Count(out.String(), "\n") != 1 {
				t.Errorf("annotation spans several lines: %q", out.String())
			}
		})
	}
}

func TestAnnotationCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		errors   int
		warnings int
		notices  int
		want     map[string]int // printed lines by command ("warning:" a plain line past the cap)
		notice   string         // the suppression notice, "" when none
	}{
		{name: "under_the_cap", errors: 10, warnings: 9, notices: 10,
			want: map[string]int{"error": 10, "warning": 9, "notice": 10}},
		{name: "over_every_cap", errors: 12, warnings: 11, notices: 13,
			want:   map[string]int{"error": 10, "warning": 10, "notice": 10, "error:": 2, "warning:": 2, "notice:": 3},
			notice: "::warning title=deploywatch::7 more annotations were suppressed; see the job summary\n"},
		{name: "tenth_warning_makes_room_for_the_notice", warnings: 10,
			want:   map[string]int{"warning": 10, "warning:": 1},
			notice: "::warning title=deploywatch::1 more annotation was suppressed; see the job summary\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, out := newTest(t, nil)
			for i := range tt.errors {
				g.Annotate(platform.LevelError, "e", fmt.Sprint(i))
			}
			for i := range tt.warnings {
				g.Annotate(platform.LevelWarning, "w", fmt.Sprint(i))
			}
			for i := range tt.notices {
				level := platform.LevelInfo
				if i%2 == 1 {
					level = platform.LevelSuccess // shares the notice cap
				}
				g.Annotate(level, "n", fmt.Sprint(i))
			}
			before := out.Len()
			g.Flush()
			g.Flush()
			if err := g.WriteSummary("x"); err == nil {
				t.Fatal("WriteSummary without GITHUB_STEP_SUMMARY succeeded")
			}
			if diff := cmp.Diff(tt.notice, out.String()[before:]); diff != "" {
				t.Errorf("suppression notice mismatch (-want +got):\n%s", diff)
			}
			got := map[string]int{}
			for line := range strings.Lines(out.String()) {
				cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "::"), " ")
				got[cmd]++
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("annotations by command mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteSummaryPrintsSuppressionNotice(t *testing.T) {
	t.Parallel()
	g, out := newTest(t, map[string]string{"GITHUB_STEP_SUMMARY": t.TempDir() + "/summary.md"})
	for range 11 {
		g.Annotate(platform.LevelError, "e", "m")
	}
	out.Reset()
	if err := g.WriteSummary("# ok\n"); err != nil {
		t.Fatal(err)
	}
	g.Flush()
	want := "::warning title=deploywatch::1 more annotation was suppressed; see the job summary\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestStdoutFailureDoesNotPanic(t *testing.T) {
	t.Parallel()
	g, err := New(Options{Getenv: env(nil), Stdout: failingWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	g.Mask("secret")
	g.Group("Verify")
	g.Log(platform.LevelDebug, "d")
	g.Annotate(platform.LevelError, "t", "m")
	g.Flush()
	want := []string{"writing to the log failed: broken pipe"}
	if diff := cmp.Diff(want, g.Warnings()); diff != "" {
		t.Errorf("Warnings() mismatch (-want +got):\n%s", diff)
	}
}

// TestConcurrentUse checks, under -race, that lines written from several goroutines stay
// whole.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	g, out := newTest(t, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				g.Log(platform.LevelInfo, fmt.Sprintf("worker %d line %d", i, j))
				g.Annotate(platform.LevelWarning, "w", "m")
			}
		})
	}
	wg.Wait()
	lines := 0
	for line := range strings.Lines(out.String()) {
		lines++
		if !strings.HasPrefix(line, "worker ") && line != "::warning title=w::m\n" && line != "warning: w: m\n" {
			t.Fatalf("garbled line %q", line)
		}
	}
	// Every annotation is a line: raised up to the cap, plain after it.
	if want := 8*50 + 8*50; lines != want {
		t.Errorf("printed %d lines, want %d", lines, want)
	}
}
