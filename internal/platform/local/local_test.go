package local

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
)

// session drives a Local the way a run does: groups, each log level, each annotation.
func session(l *Local) {
	l.Group("Verify")
	l.Log(platform.LevelDebug, "GET https://shop.example.com/health")
	l.Log(platform.LevelInfo, "readiness: 200 in 12ms")
	l.Log(platform.LevelSuccess, "✓ version 0a1b2c3")
	l.Log(platform.LevelWarning, "latency 2.1x baseline")
	l.Log(platform.LevelError, "smoke GET /api/v1/status failed")
	l.EndGroup()
	l.Annotate(platform.LevelError, "Smoke test failed", "GET /api/v1/status returned 500")
	l.Annotate(platform.LevelWarning, "Latency", "p99 2.1x baseline")
	l.Annotate(platform.LevelInfo, "", "deployment started")
	l.Annotate(platform.LevelSuccess, "Verdict", "healthy\nall 4 checks passed\n\nnone failed")
	l.Annotate(platform.LevelDebug, "Probe", "")
}

func TestOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		color bool
		want  string
	}{
		{name: "plain", color: false, want: "\n▸ Verify\n" +
			"GET https://shop.example.com/health\n" +
			"readiness: 200 in 12ms\n" +
			"✓ version 0a1b2c3\n" +
			"latency 2.1x baseline\n" +
			"smoke GET /api/v1/status failed\n" +
			"error: Smoke test failed: GET /api/v1/status returned 500\n" +
			"warning: Latency: p99 2.1x baseline\n" +
			"note: deployment started\n" +
			"note: Verdict: healthy\n  all 4 checks passed\n\n  none failed\n" +
			"note: Probe:\n"},
		{name: "colour", color: true, want: "\n\x1b[1m▸ Verify\x1b[0m\n" +
			"\x1b[2mGET https://shop.example.com/health\x1b[0m\n" +
			"readiness: 200 in 12ms\n" +
			"\x1b[32m✓ version 0a1b2c3\x1b[0m\n" +
			"\x1b[33mlatency 2.1x baseline\x1b[0m\n" +
			"\x1b[31msmoke GET /api/v1/status failed\x1b[0m\n" +
			"\x1b[1m\x1b[31merror:\x1b[0m Smoke test failed: GET /api/v1/status returned 500\n" +
			"\x1b[1m\x1b[33mwarning:\x1b[0m Latency: p99 2.1x baseline\n" +
			"\x1b[1m\x1b[36mnote:\x1b[0m deployment started\n" +
			"\x1b[1m\x1b[32mnote:\x1b[0m Verdict: healthy\n  all 4 checks passed\n\n  none failed\n" +
			"\x1b[1m\x1b[2mnote:\x1b[0m Probe:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			session(New(Options{Stdout: &out, Color: tt.color}))
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUntrustedTextSanitised(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		color bool
		do    func(*Local)
		want  string
	}{
		{name: "escape_sequences_dropped", color: false,
			do:   func(l *Local) { l.Log(platform.LevelInfo, "\x1b[2J\x1b[31mfake\x1b[0m ok") },
			want: "[2J[31mfake[0m ok\n"},
		{name: "escape_dropped_before_our_colour", color: true,
			do:   func(l *Local) { l.Log(platform.LevelError, "boom\x1b[0m\x1b]0;title\x07") },
			want: "\x1b[31mboom[0m]0;title\x1b[0m\n"},
		{name: "line_breaks_become_spaces", color: false,
			do:   func(l *Local) { l.Log(platform.LevelInfo, "a\r\nb\nc\rd") },
			want: "a b c d\n"},
		{name: "c1_and_bidi_controls_dropped", color: false,
			do:   func(l *Local) { l.Log(platform.LevelInfo, "x\u009b31my \u202eevil\u202c z\x00\x7f") },
			want: "x31my evil z\n"},
		{name: "invalid_utf8_replaced", color: false,
			do:   func(l *Local) { l.Log(platform.LevelInfo, "raw \x9b31m byte") },
			want: "raw \ufffd31m byte\n"},
		{name: "tab_kept", color: false,
			do:   func(l *Local) { l.Log(platform.LevelInfo, "a\tb") },
			want: "a\tb\n"},
		{name: "group_title", color: false,
			do:   func(l *Local) { l.Group("Monitor\n\x1b[8mhidden") },
			want: "\n▸ Monitor [8mhidden\n"},
		{name: "annotation_title_and_message", color: false,
			do:   func(l *Local) { l.Annotate(platform.LevelError, "t\x1b[1m\r\nx", "m\x1b[0m\r\nsecond\rline") },
			want: "error: t[1m x: m[0m\n  second line\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			tt.do(New(Options{Stdout: &out, Color: tt.color}))
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSilentMethods(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	l := New(Options{Stdout: &out, Color: true})
	l.Mask("s3cr3t")
	if err := l.SetOutputs([]model.Output{{Name: "status", Value: "healthy"}}); err != nil {
		t.Errorf("SetOutputs() = %v, want nil", err)
	}
	if err := l.WriteSummary("# deploywatch\n"); err != nil {
		t.Errorf("WriteSummary() = %v, want nil", err)
	}
	l.EndGroup()
	if out.Len() != 0 {
		t.Errorf("printed %q, want nothing", out.String())
	}
}

func TestContextAndName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   model.RunContext
		want model.RunContext
	}{
		{name: "empty", want: model.RunContext{Platform: "local"}},
		{name: "given", in: model.RunContext{Repository: "octo-org/shop-api", SHA: "0a1b2c3"},
			want: model.RunContext{Platform: "local", Repository: "octo-org/shop-api", SHA: "0a1b2c3"}},
		{name: "platform_kept", in: model.RunContext{Platform: "jenkins"}, want: model.RunContext{Platform: "jenkins"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := New(Options{Context: tt.in})
			if diff := cmp.Diff(tt.want, l.Context()); diff != "" {
				t.Errorf("Context() mismatch (-want +got):\n%s", diff)
			}
			if l.Name() != "local" {
				t.Errorf("Name() = %q, want local", l.Name())
			}
			l.Log(platform.LevelInfo, "nil Stdout discards") // must not panic
		})
	}
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name string
		f    *os.File
	}{
		{name: "nil", f: nil},
		{name: "regular_file", f: file},
		{name: "pipe", f: w},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if IsTerminal(tt.f) {
				t.Errorf("IsTerminal(%s) = true, want false", tt.name)
			}
		})
	}
	t.Run("character_device", func(t *testing.T) {
		null, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatalf("open %s: %v", os.DevNull, err)
		}
		defer null.Close()
		if !IsTerminal(null) {
			t.Errorf("IsTerminal(%s) = false, want true (a character device)", os.DevNull)
		}
	})
}

// TestConcurrentUse checks, under -race, that lines from several goroutines stay whole.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	l := New(Options{Stdout: &out, Color: true})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				l.Log(platform.LevelSuccess, fmt.Sprintf("worker %d line %d", i, j))
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("printed %d lines, want 400", len(lines))
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "\x1b[32mworker ") || !strings.HasSuffix(line, "\x1b[0m") {
			t.Fatalf("garbled line %q", line)
		}
	}
}
