package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
)

// testEnv runs commands in-process with a map for the environment.
type testEnv struct {
	vars           map[string]string
	stdout, stderr bytes.Buffer
	dir            string
}

func newTestEnv(t *testing.T, vars map[string]string) *testEnv {
	t.Helper()
	if vars == nil {
		vars = map[string]string{}
	}
	return &testEnv{vars: vars, dir: t.TempDir()}
}

func (e *testEnv) run(ctx context.Context, args ...string) int {
	return Main(ctx, Env{
		Args: args, Stdout: &e.stdout, Stderr: &e.stderr, Dir: e.dir, Version: "1.2.3",
		Getenv: func(k string) string { return e.vars[k] },
		Environ: func() []string {
			var names []string
			for k := range e.vars {
				names = append(names, k)
			}
			return names
		},
	})
}

// github makes the environment look like a GitHub Actions step with output files.
func (e *testEnv) github(t *testing.T) (outputs func() map[string]string) {
	t.Helper()
	out := filepath.Join(e.dir, "output")
	if err := os.WriteFile(out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e.vars["GITHUB_ACTIONS"], e.vars["GITHUB_OUTPUT"] = "true", out
	e.vars["GITHUB_STEP_SUMMARY"] = filepath.Join(e.dir, "summary")
	return func() map[string]string {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i++ {
			name, delim, ok := strings.Cut(lines[i], "<<")
			if !ok {
				continue
			}
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			got[name] = strings.Join(v, "\n")
		}
		return got
	}
}

func TestSimpleCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"version"}, ExitOK, "deploywatch 1.2.3\n"},
		{[]string{"help"}, ExitOK, "Exit codes: 0 healthy"},
		{[]string{"--help"}, ExitOK, "--health-url"},
		{[]string{"run", "--help"}, ExitOK, "deploywatch validate"},
		{[]string{"frobnicate"}, ExitInvalid, ""},
		{[]string{"demo", "--list"}, ExitOK, "readiness   database pool exhausted"},
		{[]string{"demo", "--scenario", "nope"}, ExitInvalid, ""},
	}
	for _, tt := range tests {
		e := newTestEnv(t, nil)
		if code := e.run(t.Context(), tt.args...); code != tt.wantCode {
			t.Errorf("%v: exit %d, want %d; stderr %s", tt.args, code, tt.wantCode, e.stderr.String())
		}
		if !strings.Contains(e.stdout.String(), tt.wantOut) {
			t.Errorf("%v: stdout lacks %q:\n%s", tt.args, tt.wantOut, e.stdout.String())
		}
	}
}

func TestSchemaCommand(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, nil)
	if code := e.run(t.Context(), "schema"); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	want, _ := config.Schema()
	if !bytes.Equal(e.stdout.Bytes(), want) || !json.Valid(e.stdout.Bytes()) {
		t.Error("schema output differs from config.Schema()")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, map[string]string{"INPUT_INTERVAL": "5s", "INPUT_HTTP_HEADERS": "X-Key: sup3rsecret", "INPUT_EXPECTED_VERSION": "abc1234"})
	code := e.run(t.Context(), "validate", "--health-url", "https://u:hunter22@api.example.com/ready", "--info-url", "https://api.example.com/info")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, e.stderr.String())
	}
	out := e.stdout.String()
	for _, want := range []string{"configuration is valid: mode run", "interval 5s", "readiness (readiness, critical, persistence 2, from health_url): https://u:REDACTED@api.example.com/ready",
		"version (version, critical", "health_url from flag --health-url", "interval from INPUT_INTERVAL"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter22") || strings.Contains(out, "sup3rsecret") {
		t.Errorf("validate prints a secret:\n%s", out)
	}
	bad := newTestEnv(t, map[string]string{"INPUT_INTERVAL": "5"})
	if code := bad.run(t.Context(), "validate", "--fail-on", "fatal"); code != ExitInvalid {
		t.Errorf("invalid config: exit %d, want 2", code)
	}
	for _, want := range []string{`interval "5" (from INPUT_INTERVAL): needs a unit`, `fail_on "fatal" (from flag --fail-on)`, "checks: none configured"} {
		if !strings.Contains(bad.stderr.String(), want) {
			t.Errorf("validate errors lack %q:\n%s", want, bad.stderr.String())
		}
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, map[string]string{"INPUT_CONFIG": "deploy/watch.yml", "INPUT_INTERVAL": "10s"})
	if err := os.MkdirAll(filepath.Join(e.dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	yml := "interval: 3s\nchecks:\n  - {type: liveness, url: 'https://api.example.com/live', severity: warning}\n"
	if err := os.WriteFile(filepath.Join(e.dir, "deploy/watch.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := e.run(t.Context(), "validate"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, e.stderr.String())
	}
	// INPUT_INTERVAL equals the default, as the runner passes it: the file's 3s wins.
	if !strings.Contains(e.stdout.String(), "interval 3s") || !strings.Contains(e.stdout.String(), "liveness /live (liveness, warning") {
		t.Errorf("file not applied:\n%s", e.stdout.String())
	}
	missing := newTestEnv(t, map[string]string{"INPUT_CONFIG": "nope.yml"})
	if code := missing.run(t.Context(), "validate"); code != ExitInvalid ||
		!strings.Contains(missing.stderr.String(), `config "nope.yml" (from INPUT_CONFIG): cannot be read: no such file or directory`) {
		t.Errorf("missing file: exit %d, %s", code, missing.stderr.String())
	}
	// A broken file does not hide the problems of the inputs and flags beside it, nor
	// add the ones that only echo it ("checks: none configured").
	both := newTestEnv(t, map[string]string{"INPUT_CONFIG": "nope.yml", "INPUT_INTERVAL": "5"})
	code := both.run(t.Context(), "validate", "--fail-on", "fatal")
	got := both.stderr.String()
	for _, want := range []string{`config "nope.yml" (from INPUT_CONFIG): cannot be read`, `interval "5" (from INPUT_INTERVAL): needs a unit`, `fail_on "fatal" (from flag --fail-on)`} {
		if code != ExitInvalid || !strings.Contains(got, want) {
			t.Errorf("exit %d, errors lack %q:\n%s", code, want, got)
		}
	}
	if strings.Contains(got, "none configured") {
		t.Errorf("errors echo the broken file:\n%s", got)
	}
}

func TestStartAndFinishModes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, map[string]string{"INPUT_ENVIRONMENT": "staging"})
	outputs := e.github(t)
	before := time.Now().UTC().Truncate(time.Second)
	if code := e.run(t.Context(), "start"); code != ExitOK {
		t.Fatalf("start: exit %d: %s", code, e.stdout.String())
	}
	started, err := time.Parse(time.RFC3339, outputs()["started_at"])
	if err != nil || started.Before(before) {
		t.Errorf("started_at = %q (%v)", outputs()["started_at"], err)
	}
	f := newTestEnv(t, nil)
	outputs = f.github(t)
	if code := f.run(t.Context(), "finish", "--status", "failed", "--deployment-id", "42"); code != ExitOK {
		t.Fatalf("finish: exit %d: %s", code, f.stdout.String())
	}
	if got := outputs(); got["status"] != "failed" || got["deployment_id"] != "42" {
		t.Errorf("finish outputs = %v", got)
	}
	g := newTestEnv(t, nil)
	if code := g.run(t.Context(), "finish"); code != ExitInvalid {
		t.Errorf("finish without --status: exit %d", code)
	}
}

func TestMonitorModeResumesFromStart(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) }))
	t.Cleanup(srv.Close)
	e := newTestEnv(t, nil)
	outputs := e.github(t)
	startedAt := time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339)
	code := e.run(t.Context(), "monitor", "--started-at", startedAt, "--health-url", srv.URL,
		"--schedule", "1s,2s,3s", "--interval", "200ms", "--cooldown", "0s")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, e.stdout.String())
	}
	outs := outputs()
	if outs["status"] != "healthy" || outs["started_at"] != startedAt {
		t.Errorf("outputs = %v", outs)
	}
	var rep struct {
		Timeline []struct{ Text string } `json:"timeline"`
	}
	b, _ := os.ReadFile(filepath.Join(e.dir, "deploywatch-report.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	var cps []string
	for _, en := range rep.Timeline {
		if strings.HasPrefix(en.Text, "checkpoint") {
			cps = append(cps, strings.Fields(en.Text)[1])
		}
	}
	if diff := cmp.Diff([]string{"1s:", "2s:", "3s:"}, cps); diff != "" {
		t.Errorf("checkpoints (-want +got):\n%s", diff)
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		verdict model.Verdict
		dryRun  bool
		want    int
	}{
		{model.VerdictHealthy, false, ExitOK},
		{model.VerdictDegraded, false, ExitOK},
		{model.VerdictFailed, false, ExitFailed},
		{model.VerdictInconclusive, false, ExitInconclusive},
		{model.VerdictCancelled, false, ExitInconclusive},
		{model.VerdictFailed, true, ExitOK},
		{model.VerdictInconclusive, true, ExitOK},
	}
	for _, tt := range tests {
		if got := exitCode(&config.Config{DryRun: tt.dryRun}, tt.verdict); got != tt.want {
			t.Errorf("exitCode(%s, dry run %v) = %d, want %d", tt.verdict, tt.dryRun, got, tt.want)
		}
	}
}

func TestReportSignals(t *testing.T) {
	t.Parallel()
	findings := []model.Finding{
		{Type: model.FindingBreach, Signal: model.SignalSmoke, Phase: model.PhaseWarmup},                        // cleared in warm-up: no signal
		{Type: model.FindingBreach, Signal: model.SignalVersion, Phase: model.PhaseMonitor},                     // degraded: signal
		{Type: model.FindingBreach, Signal: model.SignalHealth, Phase: model.PhaseWarmup, Fatal: true},          // warm-up emergency: signal
		{Type: model.FindingProbeError, Signal: model.SignalErrorRate, Phase: model.PhaseMonitor, Active: true}, // a probe error is no signal
	}
	got := signalsOf(findings)
	want := map[model.Signal]bool{model.SignalVersion: true, model.SignalHealth: true}
	for _, s := range model.Signals() {
		if got[s] != want[s] {
			t.Errorf("signal %s = %v, want %v", s, got[s], want[s])
		}
	}
}

func TestUnknownFlagSuggestsInput(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, nil)
	if code := e.run(t.Context(), "run", "--helth-url", "https://x"); code != ExitInvalid {
		t.Fatalf("exit %d", code)
	}
	if want := "unknown flag --helth-url; did you mean --health-url?"; !strings.Contains(e.stdout.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, e.stdout.String())
	}
}
