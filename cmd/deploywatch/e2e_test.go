package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/testutil/kubecluster"
)

// The end-to-end tests build the real binary and run it the way the GitHub runner runs a
// Docker action: a clean environment holding only what the runner sets (GITHUB_* context,
// an INPUT_<NAME> for every input of action.yml with its default, the step's `with:`
// values), empty GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a pull_request event
// payload, the workspace as working directory. The service is the demo service on
// loopback, with real faults.

var (
	binary  string
	cluster *kubecluster.Cluster
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploywatch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "deploywatch")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goBin, "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build deploywatch: %v\n%s", err, out)
		os.Exit(1)
	}
	// One real Kubernetes control plane for the package's Kubernetes tests (about 3 s to
	// start from the binaries `make kube-cluster` builds).
	var stop func()
	cluster, stop = kubecluster.StartMain(m)
	code := m.Run()
	stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// fakeToken stands for ${{ github.token }}; it must never be printed or written. It is the
// token the fake GitHub of each step accepts.
const fakeToken = githubtest.Token

// release is what the test service deploys; the event payload's head SHA is its commit.
var (
	oldRelease = demo.NewRelease("1.4.1")
	newRelease = demo.NewRelease("1.4.2")
)

// actionDefaults reads action.yml and returns INPUT_<NAME> → default, as the runner sets
// them for inputs the workflow does not give.
func actionDefaults(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for name, in := range action.Inputs {
		v := in.Default
		if v == "${{ github.token }}" {
			v = fakeToken
		}
		env["INPUT_"+strings.ToUpper(name)] = v
	}
	return env
}

// step is one run of the action.
type step struct {
	t         *testing.T
	github    *githubtest.Server
	workspace string
	output    string
	summary   string
	cmd       *exec.Cmd
	stdout    *lockedBuffer
	started   time.Time
}

// newStep prepares the runner's files and environment; with holds the step's inputs.
func newStep(t *testing.T, with map[string]string) *step {
	t.Helper()
	root := t.TempDir()
	// Every step reports to its own fake GitHub, as a real run reports to GitHub.
	s := &step{t: t, workspace: filepath.Join(root, "workspace"), github: githubtest.Start(t)}
	// The pull request of the event payload below.
	s.github.AddPullRequest(42, newRelease.Commit, "open")
	commands := filepath.Join(root, "file_commands")
	for _, d := range []string{s.workspace, commands, filepath.Join(root, "home"), filepath.Join(root, "workflow")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s.output = filepath.Join(commands, "set_output_0f1e2d")
	s.summary = filepath.Join(commands, "step_summary_0f1e2d")
	for _, f := range []string{s.output, s.summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	event := filepath.Join(root, "workflow", "event.json")
	writeEvent(t, event)
	env := actionDefaults(t)
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "CI": "true", "HOME": filepath.Join(root, "home"),
		"GITHUB_WORKSPACE": s.workspace, "GITHUB_OUTPUT": s.output, "GITHUB_STEP_SUMMARY": s.summary,
		"GITHUB_EVENT_PATH": event, "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_SHA": "ffffffffffffffffffffffffffffffffffffffff", "GITHUB_REF": "refs/pull/42/merge",
		"GITHUB_REPOSITORY": "acme/shop", "GITHUB_REPOSITORY_OWNER": "acme", "GITHUB_RUN_ID": "9001",
		"GITHUB_RUN_NUMBER": "7", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_ACTOR": "octocat",
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": s.github.URL,
		"GITHUB_WORKFLOW": "deploy", "GITHUB_JOB": "deploy", "RUNNER_OS": "Linux", "RUNNER_TEMP": root,
	} {
		env[k] = v
	}
	for k, v := range with {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	s.cmd = exec.Command(binary)
	s.cmd.Dir = s.workspace
	for k, v := range env {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	s.stdout = &lockedBuffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stdout
	return s
}

func writeEvent(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile("../../testdata/github/events/pull_request.opened.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	pr := ev["pull_request"].(map[string]any)
	pr["head"].(map[string]any)["sha"] = newRelease.Commit
	// The payload's repositories are the run's (GITHUB_REPOSITORY): a head repository of
	// another name is a pull request from a fork, which reports nothing on GitHub.
	for _, repo := range []any{ev["repository"], pr["head"].(map[string]any)["repo"], pr["base"].(map[string]any)["repo"]} {
		if r, ok := repo.(map[string]any); ok {
			r["full_name"], r["name"] = "acme/shop", "shop"
			if o, ok := r["owner"].(map[string]any); ok {
				o["login"] = "acme"
			}
		}
	}
	out, _ := json.Marshal(ev)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *step) start() {
	s.t.Helper()
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	// Stop what we started, even when the test fails.
	s.t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
}

// waitLog waits until the output holds want, at most limit.
func (s *step) waitLog(want string, limit time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(s.stdout.String(), want) {
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q in the output within %s:\n%s", want, limit, s.stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the process, at most limit, and returns its exit code.
func (s *step) wait(limit time.Duration) int {
	s.t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		_ = s.cmd.Process.Kill()
		<-done
		s.t.Fatalf("deploywatch did not exit within %s; output:\n%s", limit, s.stdout.String())
	}
	return s.cmd.ProcessState.ExitCode()
}

// outputs parses GITHUB_OUTPUT as the runner does (name<<DELIMITER ... DELIMITER).
func (s *step) outputs() map[string]string {
	s.t.Helper()
	data, err := os.ReadFile(s.output)
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		name, delim, ok := strings.Cut(line, "<<")
		if !ok {
			if line != "" {
				s.t.Fatalf("GITHUB_OUTPUT line not in heredoc form: %q", line)
			}
			continue
		}
		var value []string
		for sc.Scan() && sc.Text() != delim {
			value = append(value, sc.Text())
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

func (s *step) summaryText() string {
	s.t.Helper()
	b, err := os.ReadFile(s.summary)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// report reads the JSON report the run left in the workspace.
func (s *step) report() map[string]any {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.workspace, "deploywatch-report.json"))
	if err != nil {
		s.t.Fatalf("report not written: %v\n%s", err, s.stdout.String())
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		s.t.Fatal(err)
	}
	return r
}

// noSecrets fails when the fake token shows anywhere the run wrote, except in the
// ::add-mask:: command that hides it.
func (s *step) noSecrets() {
	s.t.Helper()
	stdout := withoutMasks(s.stdout.String())
	report, _ := os.ReadFile(filepath.Join(s.workspace, "deploywatch-report.json"))
	for name, text := range map[string]string{"log": stdout, "outputs": readFile(s.output), "summary": readFile(s.summary), "report": string(report)} {
		if strings.Contains(text, fakeToken) {
			s.t.Errorf("the token leaks into the %s", name)
		}
	}
	if !strings.Contains(s.stdout.String(), "::add-mask::"+fakeToken) {
		s.t.Error("the token was not masked with ::add-mask::")
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// service starts the demo service with the new release deployed and fault injected at
// onset after the step starts.
func service(t *testing.T) *demo.Service {
	t.Helper()
	svc, err := demo.Start(demo.Options{Initial: oldRelease})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	svc.Deploy(newRelease)
	return svc
}

func standardInputs(base string) map[string]string {
	return map[string]string{
		"health_url":  base + "/health/ready",
		"live_url":    base + "/health/live",
		"info_url":    base + "/health/info",
		"smoke_tests": "GET " + base + "/api/v1/status .status == \"ok\"\nPOST " + base + "/auth/health",
		// An accelerated schedule: checkpoints at 1s and 4s, a round every 300ms.
		"schedule": "1s,4s", "interval": "300ms", "cooldown": "1s", "http_timeout": "1s",
		"http_headers": "X-Probe-Token: probe-secret-value-42",
	}
}

// lockedBuffer is a bytes.Buffer safe for the process's writer and the test's reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestForkPullRequest runs the binary on a pull_request event from a fork, whose
// GITHUB_TOKEN GitHub makes read-only: the run reports nothing on GitHub, without trying
// (no call at all), says so in one warning, and its verdict and exit code are the
// service's, as on any other run.
func TestForkPullRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      demo.Fault
		wantExit   int
		wantStatus string
	}{
		{name: "healthy", fault: demo.FaultNone, wantExit: 0, wantStatus: "healthy"},
		{name: "failed", fault: demo.FaultReadiness, wantExit: 1, wantStatus: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			s := newStep(t, standardInputs(svc.URL()))
			fromFork(t, s, "mallory/shop")
			svc.SetFault(tt.fault)
			s.start()
			code := s.wait(30 * time.Second)
			log := s.stdout.String()
			if outs := s.outputs(); code != tt.wantExit || outs["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q\n%s", code, outs["status"], tt.wantExit, tt.wantStatus, log)
			}
			if calls := s.github.Calls(); len(calls) != 0 {
				t.Errorf("%d GitHub calls, want none: %+v", len(calls), calls)
			}
			warnings, _ := s.report()["warnings"].([]any)
			if len(warnings) != 1 || !strings.Contains(fmt.Sprint(warnings[0]), "pull request #42 comes from the fork mallory/shop") ||
				!strings.Contains(fmt.Sprint(warnings[0]), "deployments: write, pull-requests: write") {
				t.Errorf("report warnings %q, want the one about the fork", warnings)
			}
			if n := strings.Count(log, "comes from the fork mallory/shop"); n != 1 {
				t.Errorf("the fork warning is in the log %d times, want once:\n%s", n, log)
			}
			s.noSecrets()
		})
	}
}

// fromFork rewrites the step's event payload as a pull request whose head is in repo.
func fromFork(t *testing.T, s *step, repo string) {
	t.Helper()
	var path string
	for _, kv := range s.cmd.Env {
		if v, ok := strings.CutPrefix(kv, "GITHUB_EVENT_PATH="); ok {
			path = v
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	head := ev["pull_request"].(map[string]any)["head"].(map[string]any)
	head["repo"] = map[string]any{"full_name": repo, "fork": true}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
