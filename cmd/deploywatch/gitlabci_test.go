package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
)

// The GitLab tests run the component as GitLab would, with gitlab-ci-local
// (https://github.com/firecow/gitlab-ci-local): scripts/gitlab/publish-component.sh
// publishes gitlab-component/ into a scratch catalog repository, a consumer pipeline there
// includes it by $CI_SERVER_FQDN/<project>/deploywatch@$CI_COMMIT_SHA (gitlab-ci-local sets
// CI_COMMIT_SHA from HEAD, the published commit, and reads a component of its own project
// at HEAD from the working tree, as GitLab reads it from the repository), and gitlab-ci-local
// interpolates it (inputs checked as GitLab checks them, the result against GitLab's CI
// schema) and runs its jobs with the shell executor, with this package's binary as the
// `deploywatch` on PATH.

var updateGitLab = flag.Bool("update-gitlab", false, "rewrite the golden file of the gitlab-ci-local preview")

const (
	catalogOrigin  = "git@gitlab.example.com:deploywatch/deploywatch.git"
	catalogVersion = "1.2.3"
	previewGolden  = "../../internal/app/testdata/gitlab-ci-local-preview.yml"
	// deployToken and jobToken stand for a masked CI/CD variable and CI_JOB_TOKEN; neither
	// may show in the job log or the artifacts.
	deployToken = "deploy-secret-7f3a9c"
	jobToken    = gitlabtest.JobToken
)

// gitlabCILocal returns the command that runs gitlab-ci-local. A missing tool is a failure,
// never a skip: the component would go untested.
func gitlabCILocal(t *testing.T) []string {
	t.Helper()
	const hint = "`make test` (or `make gitlab-ci-local`) installs gitlab-ci-local and rsync"
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatalf("rsync not found (gitlab-ci-local copies the project with it): %s", hint)
	}
	path := os.Getenv("DEPLOYWATCH_GITLAB_CI_LOCAL")
	if path == "" {
		path = "../../bin/tools/gitlab-ci-local/node_modules/gitlab-ci-local/dist/index.js"
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		t.Fatalf("gitlab-ci-local not found at %s (%v): %s; DEPLOYWATCH_GITLAB_CI_LOCAL names another copy", path, err, hint)
	}
	if !strings.HasSuffix(abs, ".js") {
		return []string{abs}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found, needed to run %s: %v", abs, err)
	}
	return []string{node, abs}
}

// catalog is a scratch clone of the catalog project, with a consumer pipeline.
type catalog struct {
	t    *testing.T
	dir  string
	sha  string
	env  []string
	tool []string
}

// publishCatalog publishes the component with the release script into a new repository
// whose origin is the catalog project on gitlab.example.com.
func publishCatalog(t *testing.T) *catalog {
	t.Helper()
	root := t.TempDir()
	c := &catalog{t: t, dir: filepath.Join(root, "catalog"), tool: gitlabCILocal(t)}
	bin := filepath.Join(root, "bin")
	for _, d := range []string{c.dir, bin, filepath.Join(root, "home")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(binary, filepath.Join(bin, "deploywatch")); err != nil {
		t.Fatal(err)
	}
	// Only what a runner would have: the process's own variables (GITHUB_ACTIONS on our CI,
	// INPUT_* from a shell) would reach the job through the shell executor.
	c.env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + filepath.Join(root, "home"), "LANG=C.UTF-8", "NO_COLOR=1", "FORCE_COLOR=0",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	}
	c.git("init", "-q", "-b", "main")
	// gitlab-ci-local reads the user from git config (GITLAB_USER_NAME, _EMAIL).
	c.git("config", "user.name", "Release Bot")
	c.git("config", "user.email", "release@example.com")
	c.git("remote", "add", "origin", catalogOrigin)
	script, err := filepath.Abs("../../scripts/gitlab/publish-component.sh")
	if err != nil {
		t.Fatal(err)
	}
	c.exec("bash", script, catalogVersion, c.dir)
	c.sha = c.git("rev-parse", "HEAD")
	if tag := c.git("rev-parse", catalogVersion+"^{commit}"); tag != c.sha {
		t.Fatalf("tag %s is %s, want HEAD %s", catalogVersion, tag, c.sha)
	}
	// Silences gitlab-ci-local's "Unable to retrieve default remote branch"; nothing is fetched.
	c.git("update-ref", "refs/remotes/origin/main", "HEAD")
	c.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	return c
}

// exec runs a short command in the catalog and returns its trimmed output.
func (c *catalog) exec(name string, args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (c *catalog) git(args ...string) string { return c.exec("git", args...) }

// pipeline writes the consumer's .gitlab-ci.yml, left uncommitted so HEAD stays the
// published commit that the include names.
func (c *catalog) pipeline(text string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, ".gitlab-ci.yml"), []byte(text), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// run runs gitlab-ci-local in the catalog, at most limit, and returns what it printed on
// stdout (the jobs' logs, the preview, the list) and on stderr (its progress and errors),
// and its exit code. It runs in its own process group so a timeout also ends its jobs.
func (c *catalog) run(limit time.Duration, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.tool[0], append(c.tool[1:], args...)...)
	cmd.Dir, cmd.Env = c.dir, c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	c.t.Logf("gitlab-ci-local %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		c.t.Fatalf("gitlab-ci-local %s did not finish within %s:\n%s%s", strings.Join(args, " "), limit, out.String(), errOut.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		c.t.Fatalf("gitlab-ci-local: %v\n%s%s", err, out.String(), errOut.String())
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// artifact reads a file the job exported, where gitlab-ci-local keeps what GitLab would
// upload: artifacts:paths under .gitlab-ci-local/artifacts/<job>/, reports:dotenv under
// its .gitlab-ci-reports/dotenv/.
func (c *catalog) artifact(job, path string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, ".gitlab-ci-local", "artifacts", job, path))
	if err != nil {
		c.t.Errorf("artifact %s of job %s: %v", path, job, err)
	}
	return string(b)
}

// consumerPipeline is a deploy followed by the component, as the README shows it: the
// deploy job's dotenv gives the URL, a masked variable a header, and a later job reads
// the verdict and the summary from the component's dotenv report. extra are more input
// lines ("name: value").
func consumerPipeline(deployURL string, extra ...string) string {
	var more strings.Builder
	for _, l := range extra {
		more.WriteString("      " + l + "\n")
	}
	return fmt.Sprintf(`deploy:
  stage: deploy
  script:
    - echo "DEPLOY_URL=%s" > deploy.env
  artifacts:
    reports:
      dotenv: deploy.env

include:
  - component: $CI_SERVER_FQDN/deploywatch/deploywatch/deploywatch@$CI_COMMIT_SHA
    inputs:
      image: registry.example.com/mirror/deploywatch:%s
      health_url: $DEPLOY_URL/health/ready
      info_url: $DEPLOY_URL/health/info
      expected_version: %s
      smoke_tests: |
        GET $DEPLOY_URL/api/v1/status .status == "ok"
      http_headers: "X-Deploy-Token: $DEPLOY_TOKEN"
      schedule: 1s,2s
      interval: 300ms
      cooldown: 1s
      http_timeout: 1s
      persistence: 2
      dry_run: false
%s
after-deploywatch:
  stage: .post
  needs: [deploywatch]
  when: always
  script:
    - echo "deploywatch said status=$status"
    - echo "deploywatch summary=$summary"
`, deployURL, catalogVersion, newRelease.Commit, more.String())
}

// headerProxy stands in front of the demo service and records the X-Deploy-Token values
// the checks sent, to prove the masked variable reached them.
type headerProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]bool
}

func startProxy(t *testing.T, svc *demo.Service) *headerProxy {
	t.Helper()
	target, err := url.Parse(svc.URL())
	if err != nil {
		t.Fatal(err)
	}
	p := &headerProxy{seen: map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen[r.Header.Get("X-Deploy-Token")] = true
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *headerProxy) tokens() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

func TestGitLabComponentPreview(t *testing.T) {
	t.Parallel()
	c := publishCatalog(t)
	c.pipeline(consumerPipeline("http://127.0.0.1:8080"))
	out, errOut, code := c.run(time.Minute, "--preview")
	if code != 0 {
		t.Fatalf("--preview exited %d:\n%s%s", code, out, errOut)
	}
	preview := loopbackPort.ReplaceAllString(out, "127.0.0.1:PORT")
	if *updateGitLab {
		if err := os.WriteFile(previewGolden, []byte(preview), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(previewGolden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), preview); diff != "" {
		t.Errorf("interpolated pipeline differs from %s (-want +got); rerun with -update-gitlab if intended:\n%s", previewGolden, diff)
	}

	var doc struct {
		Job struct {
			Stage       string            `yaml:"stage"`
			Image       map[string]any    `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Variables   map[string]string `yaml:"variables"`
			Script      []string          `yaml:"script"`
			Artifacts   map[string]any    `yaml:"artifacts"`
		} `yaml:"deploywatch"`
	}
	if err := yaml.Unmarshal([]byte(preview), &doc); err != nil {
		t.Fatal(err)
	}
	j := doc.Job
	if j.Stage != ".post" || j.Image["name"] != "registry.example.com/mirror/deploywatch:"+catalogVersion {
		t.Errorf("stage %q, image %v", j.Stage, j.Image)
	}
	if diff := cmp.Diff(map[string]string{"name": "production", "action": "verify"}, j.Environment); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"deploywatch"}, j.Script); diff != "" {
		t.Errorf("script: no input may reach it (-want +got):\n%s", diff)
	}
	reports, _ := j.Artifacts["reports"].(map[string]any)
	if j.Artifacts["when"] != "always" || reports["dotenv"] != "deploywatch.env" || reports["junit"] != "deploywatch-junit.xml" {
		t.Errorf("artifacts %v", j.Artifacts)
	}
	// Every input arrives as INPUT_<NAME>: given ones as written (references expanded only
	// when the job runs), typed ones as text, the others with their defaults.
	for name, want := range map[string]string{
		"INPUT_HEALTH_URL": "$DEPLOY_URL/health/ready", "INPUT_HTTP_HEADERS": "X-Deploy-Token: $DEPLOY_TOKEN",
		"INPUT_GITLAB_TOKEN": "$CI_JOB_TOKEN", "INPUT_PERSISTENCE": "2", "INPUT_DRY_RUN": "false",
		"INPUT_MODE": "run", "INPUT_ENVIRONMENT": "production", "INPUT_SCHEDULE": "1s,2s",
		"INPUT_SMOKE_TESTS": "GET $DEPLOY_URL/api/v1/status .status == \"ok\"\n", "INPUT_DOTENV_PATH": "deploywatch.env",
	} {
		if got, ok := j.Variables[name]; !ok || got != want {
			t.Errorf("%s = %q (set: %v), want %q", name, got, ok, want)
		}
	}
	for _, in := range config.Inputs() {
		if _, ok := j.Variables[in.Env()]; !ok {
			t.Errorf("%s is not set", in.Env())
		}
	}
}

func TestGitLabComponentInvalidInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, want string
	}{
		{"dry_run_not_a_boolean", "dry_run: maybe", "`dry_run` input: provided value is not a boolean"},
		{"fail_on_not_an_option", "fail_on: fatal", "`fail_on` input: `fatal` cannot be used because it is not in the list of allowed options"},
		{"interval_not_a_duration", "interval: 10 seconds", "`interval` input: `10 seconds` does not match required regex"},
		{"schedule_item_not_a_duration", "schedule: 10s,soon", "`schedule` input: `10s,soon` does not match required regex"},
		{"persistence_quoted", `persistence: "3"`, "`persistence` input: provided value is not a number"},
		// An empty or glob path would leave the artifacts entry without the file written.
		{"dotenv_path_empty", `dotenv_path: ""`, "`dotenv_path` input: `` does not match required regex"},
		{"junit_path_glob", "junit_path: out/*.xml", "`junit_path` input: `out/*.xml` does not match required regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := publishCatalog(t)
			c.pipeline("include:\n  - component: $CI_SERVER_FQDN/deploywatch/deploywatch/deploywatch@$CI_COMMIT_SHA\n    inputs:\n      " + tt.input + "\n")
			out, errOut, code := c.run(time.Minute, "--list")
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("--list exited %d, want a failure saying %q:\n%s%s", code, tt.want, out, errOut)
			}
		})
	}
}

// TestGitLabComponentFilePaths moves every file the job writes: the artifacts follow the
// inputs, so the dotenv and JUnit reports and the exposed files are not lost.
func TestGitLabComponentFilePaths(t *testing.T) {
	t.Parallel()
	c := publishCatalog(t)
	c.pipeline("include:\n  - component: $CI_SERVER_FQDN/deploywatch/deploywatch/deploywatch@$CI_COMMIT_SHA\n    inputs:\n" +
		"      report_path: out/report.json\n      summary_path: out/summary.md\n      junit_path: out/junit.xml\n      dotenv_path: out/verdict.env\n")
	out, errOut, code := c.run(time.Minute, "--preview")
	var doc struct {
		Job struct {
			Variables map[string]string `yaml:"variables"`
			Artifacts map[string]any    `yaml:"artifacts"`
		} `yaml:"deploywatch"`
	}
	if err := yaml.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		t.Fatalf("--preview exited %d (%v):\n%s%s", code, err, out, errOut)
	}
	want := map[string]any{
		"when":      "always",
		"reports":   map[string]any{"dotenv": "out/verdict.env", "junit": "out/junit.xml"},
		"paths":     []any{"out/report.json", "out/summary.md", "out/junit.xml"},
		"expose_as": "deploywatch report",
	}
	if diff := cmp.Diff(want, doc.Job.Artifacts); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"INPUT_REPORT_PATH": "out/report.json", "INPUT_SUMMARY_PATH": "out/summary.md",
		"INPUT_JUNIT_PATH": "out/junit.xml", "INPUT_DOTENV_PATH": "out/verdict.env"} {
		if got := doc.Job.Variables[name]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestGitLabCatalogPipeline checks the catalog project's own pipeline as published: the
// self-test of the component at this commit always, the release on semver tags only.
func TestGitLabCatalogPipeline(t *testing.T) {
	t.Parallel()
	c := publishCatalog(t)
	for tag, wantRelease := range map[string]bool{catalogVersion: true, "v" + catalogVersion: false, "": false} {
		out, errOut, code := c.run(time.Minute, "--list", "--variable", "CI_COMMIT_TAG="+tag)
		jobs := regexp.MustCompile(`(?m)^(deploywatch-selftest|release)\s+(\S+)`).FindAllStringSubmatch(out, -1)
		got := map[string]string{}
		for _, m := range jobs {
			got[m[1]] = m[2]
		}
		want := map[string]string{"deploywatch-selftest": "test"}
		if wantRelease {
			want["release"] = "release"
		}
		if diff := cmp.Diff(want, got); code != 0 || diff != "" {
			t.Errorf("tag %q: --list exited %d, jobs (-want +got):\n%s\n%s%s", tag, code, diff, out, errOut)
		}
	}
	out, errOut, code := c.run(time.Minute, "--preview")
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
		t.Fatalf("--preview exited %d (%v):\n%s%s", code, err, out, errOut)
	}
	job, _ := doc["deploywatch-selftest"].(map[string]any)
	release, _ := doc["release"].(map[string]any)
	image, _ := job["image"].(map[string]any)
	if image["name"] != "ghcr.io/deploywatch/deploywatch:"+catalogVersion {
		t.Errorf("self-test image %v, want the one the release pinned", image["name"])
	}
	if services, _ := job["services"].([]any); len(services) != 1 {
		t.Errorf("self-test services %v, want the nginx it watches", job["services"])
	}
	if rel, _ := release["release"].(map[string]any); rel["tag_name"] != "$CI_COMMIT_TAG" {
		t.Errorf("release job's release: %v", release)
	}
}

// jobTokenWarning is the one warning of a run whose only token is CI_JOB_TOKEN.
const jobTokenWarning = "CI_JOB_TOKEN cannot create them"

func TestGitLabComponentRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      demo.Fault
		apiToken   bool // gitlab_token is an api-scope token (a masked variable), commit_status on
		wantCode   bool // gitlab-ci-local exits 0
		wantStatus string
	}{
		{name: "healthy_deploy_passes", fault: demo.FaultNone, wantCode: true, wantStatus: "healthy"},
		{name: "failing_readiness_fails_the_job", fault: demo.FaultReadiness, wantCode: false, wantStatus: "failed"},
		{name: "api_token_notes_and_sets_the_commit_status", fault: demo.FaultNone, apiToken: true, wantCode: true, wantStatus: "healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			svc.SetFault(tt.fault)
			proxy := startProxy(t, svc)
			// The project's API: the fake GitLab, which accepts CI_JOB_TOKEN where GitLab does.
			api := gitlabtest.Start(t)
			c := publishCatalog(t)
			// The pipeline's commit belongs to an open merge request, found through the API.
			api.AddMergeRequest(41, c.sha, "opened")
			var extra []string
			args := []string{"--force-shell-executor",
				// What a GitLab runner sets and gitlab-ci-local does not (it says GITLAB_CI=false)
				// or sets otherwise (CI_PIPELINE_ID: the fake's pipeline, which owns the job token).
				"--variable", "GITLAB_CI=true", "--variable", "CI_JOB_TOKEN=" + jobToken,
				"--variable", "CI_API_V4_URL=" + api.URL + "/api/v4", "--variable", "CI_SERVER_URL=" + api.URL,
				"--variable", "CI_PROJECT_ID=" + strconv.Itoa(gitlabtest.ProjectID),
				"--variable", "CI_PIPELINE_ID=" + strconv.Itoa(gitlabtest.PipelineID),
				"--ignore-predefined-vars", "GITLAB_CI,CI_JOB_TOKEN,CI_API_V4_URL,CI_SERVER_URL,CI_PROJECT_ID,CI_PIPELINE_ID",
				// A masked project variable.
				"--variable", "DEPLOY_TOKEN=" + deployToken}
			if tt.apiToken {
				extra = []string{"gitlab_token: $DEPLOYWATCH_GITLAB_TOKEN", "commit_status: true"}
				args = append(args, "--variable", "DEPLOYWATCH_GITLAB_TOKEN="+gitlabtest.Token)
			}
			c.pipeline(consumerPipeline(proxy.URL, extra...))
			out, errOut, code := c.run(2*time.Minute, args...)
			if (code == 0) != tt.wantCode {
				t.Errorf("gitlab-ci-local exited %d:\n%s%s", code, out, errOut)
			}
			wantResult := map[bool]string{true: "PASS", false: "FAIL"}[tt.wantCode]
			if !regexp.MustCompile(`(?m)^\s*` + wantResult + `\s+deploywatch\s*$`).MatchString(out) {
				t.Errorf("the job did not %s:\n%s", wantResult, out)
			}
			if !proxy.tokens()[deployToken] || len(proxy.tokens()) != 1 {
				t.Errorf("the checks sent X-Deploy-Token %v, want only the masked variable's value", proxy.tokens())
			}
			// Either token records the deployment (no deploy job made one) and its outcome.
			want := map[string]string{"healthy": "success", "failed": "failed"}[tt.wantStatus]
			if deps := api.Deployments(); len(deps) != 1 || deps[0].Status != want {
				t.Errorf("deployments %+v, want one ending %s", deps, want)
			}
			// gitlab_token defaults to $CI_JOB_TOKEN, expanded when the job runs: every call
			// uses it, and the note and the commit status are off with exactly one warning.
			// With an api token, the job uses it for every call, keeps one sticky note on the
			// merge request and sets its commit status in the run's pipeline.
			wantAuth := map[bool]string{false: "JOB-TOKEN", true: "PRIVATE-TOKEN"}[tt.apiToken]
			for _, call := range api.Calls() {
				if call.Auth != wantAuth {
					t.Errorf("a GitLab API call with %s, want %s: %s %s", call.Auth, wantAuth, call.Method, call.Path)
				}
			}
			notes, statuses := api.MergeRequestNotes(41), api.CommitStatuses(c.sha)
			t.Logf("%d GitLab API calls, %d notes, %d commit statuses", len(api.Calls()), len(notes), len(statuses))
			if n := strings.Count(out, jobTokenWarning); !tt.apiToken && n != 1 || tt.apiToken && n != 0 {
				t.Errorf("the job-token warning shows %d times, want %d:\n%s", n, map[bool]int{false: 1, true: 0}[tt.apiToken], out)
			}
			if !tt.apiToken && (len(notes) != 0 || len(statuses) != 0) {
				t.Errorf("with the job token: notes %+v, statuses %+v, want none", notes, statuses)
			}
			if tt.apiToken {
				if len(notes) != 1 || !strings.Contains(notes[0].Body, "deploywatch — "+tt.wantStatus) {
					t.Errorf("merge request notes %+v, want one sticky note saying %s", notes, tt.wantStatus)
				}
				if len(statuses) == 0 {
					t.Fatal("no commit status")
				}
				for _, st := range statuses {
					if st.PipelineID != gitlabtest.PipelineID || st.Name != "deploywatch/production" {
						t.Errorf("commit status %+v, want deploywatch/production on pipeline %d", st, gitlabtest.PipelineID)
					}
				}
				if last := statuses[len(statuses)-1]; last.Status != want {
					t.Errorf("last commit status %s, want %s", last.Status, want)
				}
			}
			var rep map[string]any
			if err := json.Unmarshal([]byte(c.artifact("deploywatch", "deploywatch-report.json")), &rep); err != nil || rep["status"] != tt.wantStatus {
				t.Errorf("report status %v (%v), want %s", rep["status"], err, tt.wantStatus)
			}
			dotenv := c.artifact("deploywatch", ".gitlab-ci-reports/dotenv/deploywatch.env")
			if !regexp.MustCompile(`(?m)^status=` + tt.wantStatus + `$`).MatchString(dotenv) {
				t.Errorf("dotenv report lacks status=%s:\n%s", tt.wantStatus, dotenv)
			}
			if junit := c.artifact("deploywatch", "deploywatch-junit.xml"); !strings.Contains(junit, "<testsuite") {
				t.Errorf("JUnit report has no <testsuite:\n%s", junit)
			}
			if summary := c.artifact("deploywatch", "deploywatch-summary.md"); !strings.Contains(strings.ToLower(summary), tt.wantStatus) {
				t.Errorf("summary does not say %s:\n%s", tt.wantStatus, summary)
			}
			// A later job reads the verdict and the one-line summary, spaces and all, from
			// the dotenv report.
			if !strings.Contains(out, "deploywatch said status="+tt.wantStatus) {
				t.Errorf("after-deploywatch did not get status=%s from the dotenv report:\n%s", tt.wantStatus, out)
			}
			if !regexp.MustCompile(`deploywatch summary=` + tt.wantStatus + `: \S+ `).MatchString(out) {
				t.Errorf("after-deploywatch did not get the summary line from the dotenv report:\n%s", out)
			}
			c.noSecrets(out+errOut, deployToken, jobToken, gitlabtest.Token)
		})
	}
}

// noSecrets fails when a secret shows in the pipeline's output or in what the job exported.
func (c *catalog) noSecrets(out string, secrets ...string) {
	c.t.Helper()
	texts := map[string]string{"log": out}
	_ = filepath.WalkDir(filepath.Join(c.dir, ".gitlab-ci-local", "artifacts", "deploywatch"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			texts[filepath.Base(p)] = string(b)
		}
		return nil
	})
	for name, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				c.t.Errorf("a secret leaks into %s", name)
			}
		}
	}
}

// TestGitLabPublishScript checks the release script's guards (it replaces the content of
// the checkout it is given) and that a later release lands on top of an earlier one.
func TestGitLabPublishScript(t *testing.T) {
	t.Parallel()
	script, err := filepath.Abs("../../scripts/gitlab/publish-component.sh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		prepare func(c *catalog)
		version string
		image   string // --image, when set
		want    string // "" for success
	}{
		{name: "version_with_v", version: "v1.3.0", want: "version must be semantic, without a v"},
		{name: "four_numbers", version: "1.3.0.1", want: "version must be semantic"},
		{name: "tag_taken", version: catalogVersion, want: "tag " + catalogVersion + " already exists"},
		{name: "uncommitted_changes", version: "1.3.0", want: "has uncommitted changes",
			prepare: func(c *catalog) { c.pipeline("# local edit\n") }},
		{name: "foreign_checkout", version: "1.3.0", want: "neither empty nor a previous publication",
			prepare: func(c *catalog) {
				c.git("rm", "-q", "-r", "templates")
				c.git("commit", "-q", "-m", "not a component")
			}},
		{name: "image_with_a_tag", version: "1.3.0", image: "ghcr.io/acme/deploywatch:1.3.0", want: "--image must be an image name without a tag"},
		{name: "image_with_a_sed_delimiter", version: "1.3.0", image: "ghcr.io/acme#x/deploywatch", want: "--image must be an image name without a tag"},
		{name: "next_release", version: "1.3.0-rc.1"},
		// A fork's release workflow builds ghcr.io/<owner>/deploywatch: the component pins that.
		{name: "fork_image", version: "1.3.0", image: "ghcr.io/acme/deploywatch"},
		{name: "registry_with_port", version: "1.3.0", image: "registry.example.com:5000/mirror/deploywatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := publishCatalog(t)
			if tt.prepare != nil {
				tt.prepare(c)
			}
			before := c.git("rev-parse", "HEAD")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := []string{script, tt.version, c.dir}
			if tt.image != "" {
				args = append(args, "--image", tt.image)
			}
			cmd := exec.CommandContext(ctx, "bash", args...)
			cmd.Env = c.env
			out, err := cmd.CombinedOutput()
			if tt.want != "" {
				if err == nil || !strings.Contains(string(out), tt.want) || c.git("rev-parse", "HEAD") != before {
					t.Errorf("err %v, HEAD moved: %v, want a refusal saying %q:\n%s", err, c.git("rev-parse", "HEAD") != before, tt.want, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			tmpl, _ := os.ReadFile(filepath.Join(c.dir, "templates", "deploywatch.yml"))
			readme, _ := os.ReadFile(filepath.Join(c.dir, "README.md"))
			image := tt.image
			if image == "" {
				image = "ghcr.io/deploywatch/deploywatch"
			}
			if !strings.Contains(string(tmpl), `default: "`+image+`:`+tt.version+`"`) ||
				!strings.Contains(string(readme), image+":"+tt.version) || strings.Contains(string(readme), "deploywatch:1.0.0") ||
				!strings.Contains(string(readme), "/deploywatch@"+tt.version) || strings.Contains(string(readme), "/deploywatch@1.0.0") {
				t.Errorf("the image and the README's examples are not pinned to %s:%s", image, tt.version)
			}
			if parent := c.git("rev-parse", tt.version+"^{commit}^"); parent != before {
				t.Errorf("release %s is not on top of the previous one", tt.version)
			}
			if status := c.git("status", "--porcelain"); status != "" {
				t.Errorf("the release left changes behind:\n%s", status)
			}
		})
	}
}
