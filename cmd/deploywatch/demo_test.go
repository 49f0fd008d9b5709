package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's first command the way a user does (the built binary, a bare
// environment) and checks the tour: banner, live progress, the finding, the verdict, the
// report, and an exit code of 0 because the monitor reached the scenario's verdict.
func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(binary, "demo")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TERM=dumb"}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &step{t: t, cmd: cmd, stdout: out}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	if code := s.wait(60 * time.Second); code != 0 {
		t.Errorf("demo exit code %d, want 0:\n%s", code, out.String())
	}
	log := out.String()
	for _, want := range []string{
		"deploywatch demo: database pool exhausted 6s after the deploy",
		"▸ Verify", "✓ readiness", "── checkpoint 2s",
		"FAIL critical readiness:", "database (error: connection pool exhausted)",
		"── verdict failed:", "the monitor reached the expected verdict for this scenario: failed",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("demo output lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "\x1b[") {
		t.Error("colour codes printed to a pipe")
	}
	if _, err := os.Stat(filepath.Join(dir, "deploywatch-report.json")); err != nil {
		t.Errorf("report not written: %v", err)
	}
}
