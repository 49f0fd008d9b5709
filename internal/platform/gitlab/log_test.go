package gitlab

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
)

// t0 is 2026-11-21T10:00:00Z in Unix seconds.
const t0 = 1795255200

// ticking is a clock that starts at t0 and advances a second at every reading. The
// platform reads it under its lock, so it needs none of its own.
func ticking() func() time.Time {
	n := int64(t0)
	return func() time.Time {
		n++
		return time.Unix(n-1, 0)
	}
}

// newTest returns a GitLab platform over vars, printing to the buffer, on a ticking clock.
func newTest(t *testing.T, vars map[string]string) (*GitLab, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	g, err := New(Options{Getenv: env(vars), Stdout: &out, Now: ticking()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g, &out
}

func start(ts int, name, header string) string {
	return fmt.Sprintf("\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K\x1b[1;36m%s\x1b[0m\n", ts, name, header)
}

func end(ts int, name string) string {
	return fmt.Sprintf("\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", ts, name)
}

func TestSections(t *testing.T) {
	t.Parallel()
	g, out := newTest(t, nil)
	g.EndGroup() // nothing open: nothing printed
	g.Group("Verify (+0s)")
	g.Log(platform.LevelInfo, "checking")
	g.Group("Monitor (+10s)\nsection_end") // ends Verify first; the header stays one line
	g.EndGroup()
	g.EndGroup()
	g.Group("Verify (+0s)") // the same title again gets a name of its own
	g.Group("")
	g.Group("Ünïcode ✓ check")
	g.Flush()
	g.Flush()
	want := start(t0, "Verify_0s", "Verify (+0s)") +
		"checking\n" +
		end(t0+1, "Verify_0s") +
		start(t0+2, "Monitor_10s_section_end", "Monitor (+10s) section_end") +
		end(t0+3, "Monitor_10s_section_end") +
		start(t0+4, "Verify_0s_2", "Verify (+0s)") +
		end(t0+5, "Verify_0s_2") +
		start(t0+6, "section", "") +
		end(t0+7, "section") +
		start(t0+8, "n_code_check", "Ünïcode ✓ check") +
		end(t0+9, "n_code_check")
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

func TestSectionName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, title, want string
	}{
		{name: "phase", title: "Cool-down (+5m0s)", want: "Cool-down_5m0s"},
		{name: "allowed_punctuation_kept", title: "v1.4_rc-2", want: "v1.4_rc-2"},
		{name: "leading_and_trailing_junk_dropped", title: "  (Verify)  ", want: "Verify"},
		{name: "nothing_usable", title: "✓✓✓", want: "section"},
		{name: "capped", title: strings.Repeat("a", 100), want: strings.Repeat("a", maxSectionName)},
		{name: "marker_characters_dropped", title: "x[collapsed=false]\r\x1b[0K", want: "x_collapsed_false_0K"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := sectionName(tt.title); got != tt.want {
				t.Errorf("sectionName(%q) = %q, want %q", tt.title, got, tt.want)
			}
		})
	}
}

func TestLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		vars  map[string]string
		level platform.Level
		line  string
		want  string
	}{
		{name: "info_plain", level: platform.LevelInfo, line: "+10s  ✓ readiness 200 in 12ms", want: "+10s  ✓ readiness 200 in 12ms\n"},
		{name: "success_green", level: platform.LevelSuccess, line: "ok", want: "\x1b[32mok\x1b[0m\n"},
		{name: "warning_yellow", level: platform.LevelWarning, line: "slow", want: "\x1b[33mslow\x1b[0m\n"},
		{name: "error_red", level: platform.LevelError, line: "down", want: "\x1b[31mdown\x1b[0m\n"},
		{name: "debug_hidden", level: platform.LevelDebug, line: "probe GET /health", want: ""},
		{name: "debug_shown_with_trace", vars: map[string]string{"CI_DEBUG_TRACE": "true"}, level: platform.LevelDebug,
			line: "probe GET /health", want: "\x1b[2mprobe GET /health\x1b[0m\n"},
		{name: "multi_line_made_one", level: platform.LevelInfo, line: "a\r\nb\nc\rd\te", want: "a b c d\te\n"},
		{name: "escape_codes_dropped", level: platform.LevelError, line: "\x1b[32mgreen?\x1b[0m\u202e", want: "\x1b[31m[32mgreen?[0m\x1b[0m\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, out := newTest(t, tt.vars)
			g.Log(tt.level, tt.line)
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnnotate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		vars      map[string]string
		inSection bool
		level     platform.Level
		title     string
		message   string
		want      string
	}{
		{name: "error_red", level: platform.LevelError, title: "deploywatch: critical readiness",
			message: "readiness returned 503 (value 503, expected 2xx)",
			want:    "\x1b[1;31mERROR: deploywatch: critical readiness: readiness returned 503 (value 503, expected 2xx)\x1b[0m\n"},
		{name: "warning_yellow", level: platform.LevelWarning, title: "w", message: "m", want: "\x1b[1;33mWARNING: w: m\x1b[0m\n"},
		{name: "notice_green", level: platform.LevelInfo, title: "n", message: "m", want: "\x1b[1;32mNOTICE: n: m\x1b[0m\n"},
		{name: "success_is_a_notice", level: platform.LevelSuccess, title: "deploywatch: healthy", message: "4 checks passed",
			want: "\x1b[1;32mNOTICE: deploywatch: healthy: 4 checks passed\x1b[0m\n"},
		{name: "no_title", level: platform.LevelWarning, message: "m", want: "\x1b[1;33mWARNING: m\x1b[0m\n"},
		{name: "message_made_one_line", level: platform.LevelError, title: "t\n", message: "line one\nline two",
			want: "\x1b[1;31mERROR: t : line one line two\x1b[0m\n"},
		{name: "debug_hidden", level: platform.LevelDebug, title: "t", message: "m", want: ""},
		{name: "debug_with_trace", vars: map[string]string{"CI_DEBUG_TRACE": "true"}, level: platform.LevelDebug, title: "t", message: "m",
			want: "\x1b[2mt: m\x1b[0m\n"},
		{
			// Inside a collapsed section the line would be hidden: the section is ended
			// around it and continued after it.
			name: "inside_a_section", inSection: true, level: platform.LevelError, title: "t", message: "m",
			want: start(t0, "Monitor_10s", "Monitor (+10s)") + end(t0+1, "Monitor_10s") +
				"\x1b[1;31mERROR: t: m\x1b[0m\n" +
				start(t0+2, "Monitor_10s_continued", "Monitor (+10s) (continued)"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, out := newTest(t, tt.vars)
			if tt.inSection {
				g.Group("Monitor (+10s)")
			}
			g.Annotate(tt.level, tt.title, tt.message)
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnnotateTwiceInASectionContinuesOnce(t *testing.T) {
	t.Parallel()
	g, out := newTest(t, nil)
	g.Group("Monitor")
	g.Annotate(platform.LevelWarning, "a", "1")
	g.Annotate(platform.LevelWarning, "b", "2")
	g.Log(platform.LevelInfo, "after")
	g.Flush()
	want := start(t0, "Monitor", "Monitor") + end(t0+1, "Monitor") +
		"\x1b[1;33mWARNING: a: 1\x1b[0m\n" +
		start(t0+2, "Monitor_continued", "Monitor (continued)") + end(t0+3, "Monitor_continued") +
		"\x1b[1;33mWARNING: b: 2\x1b[0m\n" +
		start(t0+4, "Monitor_continued_2", "Monitor (continued)") +
		"after\n" +
		end(t0+5, "Monitor_continued_2")
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output mismatch (-want +got):\n%s", diff)
	}
}

// gitlabSection is GitLab's own pattern for a section marker (lib/gitlab/regex.rb,
// build_trace_section_regex): what the job log viewer folds on.
var gitlabSection = regexp.MustCompile(`section_((?:start)|(?:end)):(\d+):([a-zA-Z0-9_.-]+)(\[(?:\w+=\w+)(?:, ?(?:\w+=\w+))*\])?\r\x1b\[0K`)

// ours are the only escape sequences the platform may print.
var ours = []string{reset, dim, red, green, yellow, boldRed, boldGreen, boldYellow, boldCyan, eraseLine}

// TestHostileTextCannotForgeMarkers feeds text that tries to end the open section, open
// another and restyle the log, and checks with GitLab's own pattern that only our markers
// are markers, and that every ESC and CR printed is one of ours.
func TestHostileTextCannotForgeMarkers(t *testing.T) {
	t.Parallel()
	hostile := "x\x1b[0Ksection_end:1795255200:Monitor\r\x1b[0K\x1b[0Ksection_start:1795255200:evil[collapsed=false]\r\x1b[0K\x1b[8mhidden\r"
	g, out := newTest(t, map[string]string{"CI_DEBUG_TRACE": "true"})
	g.Group("Monitor")
	for _, level := range []platform.Level{platform.LevelDebug, platform.LevelInfo, platform.LevelSuccess, platform.LevelWarning, platform.LevelError} {
		g.Log(level, hostile)
		g.Annotate(level, hostile, hostile)
	}
	g.Group(hostile)
	g.Flush()

	got := out.String()
	var markers []string
	for _, m := range gitlabSection.FindAllStringSubmatch(got, -1) {
		markers = append(markers, m[1]+":"+m[3])
	}
	// Each non-debug Annotate ends the section and continues it.
	want := []string{"start:Monitor"}
	prev := "Monitor"
	for _, next := range []string{"Monitor_continued", "Monitor_continued_2", "Monitor_continued_3", "Monitor_continued_4"} {
		want = append(want, "end:"+prev, "start:"+next)
		prev = next
	}
	name := "x_0Ksection_end_1795255200_Monitor_0K_0Ksection_start_1795255200_evil_collapsed_false_0K_8mhidden"[:maxSectionName]
	want = append(want, "end:"+prev, "start:"+name, "end:"+name)
	if diff := cmp.Diff(want, markers); diff != "" {
		t.Errorf("section markers GitLab would see (-want +got):\n%s", diff)
	}
	for i := 0; i < len(got); i++ {
		switch got[i] {
		case '\x1b':
			if !hasAny(got[i:], ours) {
				t.Fatalf("foreign escape sequence at %d: %q", i, got[i:min(len(got), i+12)])
			}
		case '\r':
			if !strings.HasPrefix(got[i:], "\r"+eraseLine) {
				t.Fatalf("stray CR at %d: %q", i, got[max(0, i-12):min(len(got), i+12)])
			}
		}
	}
	if n := strings.Count(got, "\r"); n != len(want) {
		t.Errorf("printed %d CRs, want one per marker (%d)", n, len(want))
	}
}

func hasAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func TestSilentMethods(t *testing.T) {
	t.Parallel()
	g, out := newTest(t, nil)
	g.Mask("s3cr3t")
	if err := g.SetOutputs([]model.Output{{Name: "status", Value: "healthy"}}); err != nil {
		t.Errorf("SetOutputs: %v", err)
	}
	if err := g.WriteSummary("# deploywatch"); err != nil {
		t.Errorf("WriteSummary: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q, want nothing", out.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestStdoutFailureIsAWarning(t *testing.T) {
	t.Parallel()
	g, err := New(Options{Getenv: env(nil), Stdout: failingWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	g.Group("Verify")
	g.Log(platform.LevelInfo, "l")
	g.Annotate(platform.LevelError, "t", "m")
	g.Flush()
	want := []string{"writing to the log failed: broken pipe"}
	if diff := cmp.Diff(want, g.Warnings()); diff != "" {
		t.Errorf("Warnings() mismatch (-want +got):\n%s", diff)
	}
}

// TestConcurrentUse checks, under -race, that lines written from several goroutines stay
// whole and sections stay balanced.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	g, err := New(Options{Getenv: env(nil), Stdout: &out, Now: func() time.Time { return time.Unix(t0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				g.Log(platform.LevelInfo, fmt.Sprintf("worker %d line %d", i, j))
				g.Annotate(platform.LevelWarning, "w", "m")
				if j%10 == 0 {
					g.Group(fmt.Sprintf("worker %d", i))
				}
			}
		})
	}
	wg.Wait()
	g.Flush()
	logs, open := 0, ""
	for line := range strings.Lines(out.String()) {
		switch {
		case strings.HasPrefix(line, "worker "):
			logs++
		case line == "\x1b[1;33mWARNING: w: m\x1b[0m\n":
			if open != "" {
				t.Fatalf("annotation inside section %q", open)
			}
		case gitlabSection.MatchString(line):
			m := gitlabSection.FindStringSubmatch(line)
			if m[1] == "start" {
				if open != "" {
					t.Fatalf("section %q started inside %q", m[3], open)
				}
				open = m[3]
			} else {
				if m[3] != open {
					t.Fatalf("section %q ended while %q is open", m[3], open)
				}
				open = ""
			}
		default:
			t.Fatalf("garbled line %q", line)
		}
	}
	if logs != 8*50 || open != "" {
		t.Errorf("printed %d log lines (want %d), section %q left open", logs, 8*50, open)
	}
}
