package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
)

// demoExplains is, per scenario, lines of the explanation the tour must print: what the
// monitor saw, in its own words.
var demoExplains = map[string][]string{
	"readiness":   {"✗ readiness", "failing: database (error: connection pool exhausted)", "FAIL critical"},
	"healthy":     {"── checkpoint 2s", "── checkpoint 20s", "── verdict healthy: 8 checks passed", "Cool-down: ", "s left"},
	"dependency":  {"✗ readiness                redis failing (expected every dependency ok)", `WARN warning readiness: ready (200), but dependency redis reports "error: timeout"`},
	"version":     {"FAIL critical version: serving " + demo.NewRelease("1.4.1").Commit[:12] + ", expected " + demo.NewRelease("1.4.2").Commit[:12]},
	"smoke":       {"FAIL critical smoke"},
	"crash":       {"FAIL emergency", "connection refused"},
	"hang":        {"FAIL emergency", "no response within 2s"},
	"bad-info":    {"probe error: info response is not JSON", "── verdict inconclusive: version:"},
	"error-spike": {"FAIL critical error rate:", "over the last", "sustained increase"},
	"latency":     {"WARN warning p99 latency:", "2x the baseline"},
}

// demoExitCodes is the exit code a pipeline would see for each verdict.
var demoExitCodes = map[string]int{"healthy": 0, "degraded": 0, "failed": 1, "inconclusive": 3}

var (
	failLine   = regexp.MustCompile(`(?m)^\+(\S+)\s+FAIL `)
	detectedIn = regexp.MustCompile(`detected after (\S+)`)
)

// TestDemo runs the README's first command the way a user does (the built binary, a bare
// environment), once per scenario, and checks the tour: banner, the deploy named after its
// commit, live progress, the scenario's explanation, the verdict the scenario expects with
// the exit code a pipeline would see, the report, and an exit code of 0 because the
// monitor reached that verdict. A failure is printed when it is detected: the FAIL line's
// offset is the verdict's "detected after".
func TestDemo(t *testing.T) {
	t.Parallel()
	sha7 := demo.NewRelease("1.4.2").Commit[:7]
	for _, sc := range demo.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			explains, ok := demoExplains[sc.Name]
			if !ok {
				t.Fatalf("scenario %q has no expected explanation in this test", sc.Name)
			}
			dir := t.TempDir()
			cmd := exec.Command(binary, "demo", "--scenario", sc.Name)
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
			if code := s.wait(90 * time.Second); code != 0 {
				t.Errorf("demo exit code %d, want 0:\n%s", code, out.String())
			}
			log := out.String()
			want := append([]string{
				"deploywatch demo: " + sc.Title,
				fmt.Sprintf("deployment %q to demo started", "Deploy "+sha7+" to demo"),
				"▸ Verify", "✓ readiness",
				"── verdict " + sc.Expect,
				fmt.Sprintf("the monitor reached the expected verdict for this scenario: %s (exit code %d in a pipeline)", sc.Expect, demoExitCodes[sc.Expect]),
			}, explains...)
			for _, w := range want {
				if !strings.Contains(log, w) {
					t.Errorf("demo output lacks %q:\n%s", w, log)
				}
			}
			if strings.Contains(log, "\x1b[") {
				t.Error("colour codes printed to a pipe")
			}
			if sc.Expect == "failed" {
				checkDemoDetection(t, log)
			}
			b, err := os.ReadFile(filepath.Join(dir, "deploywatch-report.json"))
			var rep struct {
				Status string `json:"status"`
			}
			if err != nil || json.Unmarshal(b, &rep) != nil || rep.Status != sc.Expect {
				t.Errorf("report: status %q (%v), want %s", rep.Status, err, sc.Expect)
			}
		})
	}
}

// checkDemoDetection checks that the first FAIL line is printed at the offset the verdict
// gives as its detection time (to the display's rounding).
func checkDemoDetection(t *testing.T, log string) {
	t.Helper()
	f, d := failLine.FindStringSubmatch(log), detectedIn.FindStringSubmatch(log)
	if f == nil || d == nil {
		t.Errorf("no FAIL line or no detection time:\n%s", log)
		return
	}
	printed, err1 := time.ParseDuration(f[1])
	detected, err2 := time.ParseDuration(d[1])
	if err1 != nil || err2 != nil {
		t.Errorf("FAIL at %q, detected after %q: %v %v", f[1], d[1], err1, err2)
		return
	}
	if diff := printed - detected; diff > time.Second || diff < -time.Second {
		t.Errorf("FAIL printed at +%s but the verdict says detected after %s", printed, detected)
	}
}
