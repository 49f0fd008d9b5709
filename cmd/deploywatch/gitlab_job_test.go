package main_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
)

// gitlabJob runs the binary the way a GitLab runner runs the component's job: a clean
// environment with GITLAB_CI, the predefined CI_* variables and the INPUT_* variables the
// template sets, in the project directory. Its API is the fake GitLab.
type gitlabJob struct {
	dir    string
	cmd    *exec.Cmd
	stdout *lockedBuffer
	api    *gitlabtest.Server
}

// componentJobVariables returns the job variables of the component's template with every
// input at its spec default, as GitLab interpolates them for a pipeline that gives no
// inputs: every INPUT_<NAME> is set, booleans and numbers as text, "" where the default is
// empty. References in them ($CI_JOB_TOKEN) are left for the runner to expand.
func componentJobVariables(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../gitlab-component/templates/deploywatch.yml")
	if err != nil {
		t.Fatal(err)
	}
	header, body, ok := strings.Cut(string(data), "\n---\n")
	if !ok {
		t.Fatal("the template has no spec header")
	}
	var spec struct {
		Spec struct {
			Inputs map[string]struct {
				Default any `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"spec"`
	}
	var job map[string]struct {
		Variables map[string]string `yaml:"variables"`
	}
	if err := yaml.Unmarshal([]byte(header), &spec); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(body), &job); err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`\$\[\[\s*inputs\.([a-z0-9_]+)\s*\]\]`)
	vars := map[string]string{}
	for _, j := range job {
		for name, v := range j.Variables {
			vars[name] = ref.ReplaceAllStringFunc(v, func(m string) string {
				in, ok := spec.Spec.Inputs[ref.FindStringSubmatch(m)[1]]
				if !ok || in.Default == nil {
					t.Fatalf("%s refers to %s, an input without a default", name, m)
				}
				return fmt.Sprint(in.Default)
			})
		}
	}
	if len(vars) == 0 {
		t.Fatal("the template's job sets no variables")
	}
	return vars
}

// TestComponentJobVariables checks what the GitLab job tests start the binary with: every
// input of the table, at the template's default, as text.
func TestComponentJobVariables(t *testing.T) {
	t.Parallel()
	vars := componentJobVariables(t)
	for _, in := range config.Inputs() {
		if _, ok := vars[in.Env()]; !ok {
			t.Errorf("%s is not set", in.Env())
		}
	}
	for name, want := range map[string]string{"INPUT_GITLAB_TOKEN": "$CI_JOB_TOKEN", "INPUT_DRY_RUN": "false", "INPUT_PERSISTENCE": "2",
		"INPUT_COMMENT": "auto", "INPUT_DEPLOYMENT_STATUS": "true", "INPUT_DOTENV_PATH": "deploywatch.env", "INPUT_HEALTH_URL": ""} {
		if got := vars[name]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func newGitLabJob(t *testing.T, inputs map[string]string, token string) *gitlabJob {
	t.Helper()
	j := &gitlabJob{dir: t.TempDir(), api: gitlabtest.Start(t), stdout: &lockedBuffer{}}
	j.api.AddMergeRequest(41, newRelease.Commit, "opened")
	env := map[string]string{
		"GITLAB_CI": "true", "CI": "true", "HOME": j.dir, "PATH": os.Getenv("PATH"),
		"CI_PROJECT_DIR": j.dir, "CI_PROJECT_ID": fmt.Sprint(gitlabtest.ProjectID), "CI_PROJECT_PATH": gitlabtest.ProjectPath,
		"CI_COMMIT_SHA": newRelease.Commit, "CI_COMMIT_REF_NAME": "feature/retry", "CI_COMMIT_BRANCH": "feature/retry",
		"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "41",
		"CI_PIPELINE_ID": fmt.Sprint(gitlabtest.PipelineID), "CI_JOB_ID": fmt.Sprint(gitlabtest.JobID),
		"CI_SERVER_URL": j.api.URL, "CI_API_V4_URL": j.api.URL + "/api/v4",
		"CI_JOB_URL": gitlabtest.ServerURL + "/acme/shop/-/jobs/5550001", "CI_PIPELINE_URL": gitlabtest.ServerURL + "/acme/shop/-/pipelines/987654",
		"CI_JOB_TOKEN": gitlabtest.JobToken, "GITLAB_USER_LOGIN": "jdoe", "CI_ENVIRONMENT_NAME": "production", "CI_ENVIRONMENT_ACTION": "verify",
	}
	// The template sets every input, given or not; the runner expands the references in
	// them (gitlab_token defaults to $CI_JOB_TOKEN) from the job's variables.
	vars := componentJobVariables(t)
	if token != "" {
		vars["INPUT_GITLAB_TOKEN"] = token
	}
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range vars {
		env[k] = os.Expand(v, func(name string) string { return env[name] })
	}
	j.cmd = exec.Command(binary)
	j.cmd.Dir = j.dir
	for k, v := range env {
		j.cmd.Env = append(j.cmd.Env, k+"="+v)
	}
	j.cmd.Stdout, j.cmd.Stderr = j.stdout, j.stdout
	return j
}

func (j *gitlabJob) run(t *testing.T) int {
	t.Helper()
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- j.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second): // a hang guard
		_ = j.cmd.Process.Kill()
		<-done
		t.Fatalf("the job did not end:\n%s", j.stdout.String())
	}
	return j.cmd.ProcessState.ExitCode()
}

// dotenv reads the dotenv report as GitLab would (split at the first '=', white space
// around key and value stripped, quotes kept) and fails on a line GitLab would read
// differently from what was written.
func (j *gitlabJob) dotenv(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(readFile(filepath.Join(j.dir, "deploywatch.env"))), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(k) != k || strings.TrimSpace(v) != v || strings.Contains(v, "$") {
			t.Errorf("dotenv line %q is not KEY=value as GitLab reads it", l)
			continue
		}
		out[k] = v
	}
	if len(out) > 20 {
		t.Errorf("dotenv has %d variables, GitLab's default limit is 20", len(out))
	}
	return out
}

func TestGitLabJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       demo.Fault
		token       string
		wantExit    int
		wantStatus  string
		wantDeploy  string // the deployment's final status
		wantFailed  int    // JUnit failures
		wantNote    bool
		wantWarning string
	}{
		{name: "healthy_with_an_api_token", fault: demo.FaultNone, token: gitlabtest.Token, wantExit: 0, wantStatus: "healthy",
			wantDeploy: "success", wantNote: true},
		{name: "failed_with_an_api_token", fault: demo.FaultReadiness, token: gitlabtest.Token, wantExit: 1, wantStatus: "failed",
			wantDeploy: "failed", wantFailed: 2, wantNote: true},
		{name: "job_token_only", fault: demo.FaultNone, token: gitlabtest.JobToken, wantExit: 0, wantStatus: "healthy",
			wantDeploy: "success", wantWarning: "CI_JOB_TOKEN cannot create them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			svc.SetFault(tt.fault)
			inputs := standardInputs(svc.URL())
			inputs["commit_status"] = "true"
			j := newGitLabJob(t, inputs, tt.token)
			code := j.run(t)
			log := j.stdout.String()
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.wantExit, log)
			}
			// The log folds by phase, GitLab's way.
			if !strings.Contains(log, "section_start:") || !strings.Contains(log, "section_end:") || strings.Contains(log, "::group::") {
				t.Errorf("no GitLab sections in the log:\n%s", log)
			}
			env := j.dotenv(t)
			if env["status"] != tt.wantStatus || env["started_at"] == "" || env["deployment_id"] == "" {
				t.Errorf("dotenv %v", env)
			}
			// The one-line summary reaches later jobs, spaces and all.
			if !strings.HasPrefix(env["summary"], tt.wantStatus+": ") || !strings.Contains(env["summary"], " ") {
				t.Errorf("dotenv summary = %q, want the summary line of a %s run", env["summary"], tt.wantStatus)
			}
			var suites struct {
				Suites []struct {
					Tests    int `xml:"tests,attr"`
					Failures int `xml:"failures,attr"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal([]byte(readFile(filepath.Join(j.dir, "deploywatch-junit.xml"))), &suites); err != nil || len(suites.Suites) != 1 {
				t.Fatalf("JUnit report unreadable (%v): %+v", err, suites)
			}
			if s := suites.Suites[0]; s.Tests != 6 || s.Failures != tt.wantFailed {
				t.Errorf("JUnit: %d tests, %d failures; want 6 (the verdict and five checks), %d", s.Tests, s.Failures, tt.wantFailed)
			}
			if sum := readFile(filepath.Join(j.dir, "deploywatch-summary.md")); !strings.Contains(sum, "deploywatch — "+tt.wantStatus) || !strings.Contains(sum, "Merge request: !41") {
				t.Errorf("summary file:\n%s", sum)
			}
			if readFile(filepath.Join(j.dir, "deploywatch-report.json")) == "" {
				t.Error("no JSON report")
			}
			// The API: a deployment made by the run (no deploy job made one), ending as
			// the verdict says; with an api token, one sticky note and the commit status.
			deps := j.api.Deployments()
			if len(deps) != 1 || deps[0].Status != tt.wantDeploy || deps[0].SHA != newRelease.Commit || deps[0].JobID != 0 {
				t.Errorf("deployments %+v, want one of ours ending %s", deps, tt.wantDeploy)
			}
			notes := j.api.MergeRequestNotes(41)
			if tt.wantNote != (len(notes) == 1) || tt.wantNote && !strings.Contains(notes[0].Body, "deploywatch — "+tt.wantStatus) {
				t.Errorf("merge request notes %+v, want a sticky one: %v", notes, tt.wantNote)
			}
			statuses := j.api.CommitStatuses(newRelease.Commit)
			if tt.wantNote && (len(statuses) == 0 || statuses[len(statuses)-1].PipelineID != gitlabtest.PipelineID) {
				t.Errorf("commit statuses %+v, want ours on pipeline %d", statuses, gitlabtest.PipelineID)
			}
			// The state machine, end to end: running once, then the verdict once; never
			// the same state twice, never another context.
			if tt.wantNote {
				var states []string
				for _, c := range j.api.CallsTo("POST", "/api/v4/projects/*/statuses/*") {
					var body struct {
						State, Name string
						PipelineID  int64 `json:"pipeline_id"`
					}
					if err := json.Unmarshal([]byte(c.Body), &body); err != nil {
						t.Fatalf("commit status body %q: %v", c.Body, err)
					}
					if body.Name != "deploywatch/production" || body.PipelineID != gitlabtest.PipelineID {
						t.Errorf("commit status %+v, want deploywatch/production on pipeline %d", body, gitlabtest.PipelineID)
					}
					states = append(states, body.State)
				}
				final := map[string]string{"healthy": "success", "failed": "failed"}[tt.wantStatus]
				if diff := cmp.Diff([]string{"running", final}, states); diff != "" {
					t.Errorf("commit status posts (-want +got):\n%s", diff)
				}
			}
			if tt.wantWarning != "" && strings.Count(log, tt.wantWarning) != 1 {
				t.Errorf("want one warning %q:\n%s", tt.wantWarning, log)
			}
			if tt.wantWarning == "" && strings.Contains(log, "WARNING") {
				t.Errorf("unexpected warning:\n%s", log)
			}
			for _, secret := range []string{gitlabtest.Token, gitlabtest.JobToken, "probe-secret-value-42"} {
				for _, f := range []string{"deploywatch.env", "deploywatch-junit.xml", "deploywatch-summary.md", "deploywatch-report.json"} {
					if strings.Contains(readFile(filepath.Join(j.dir, f)), secret) {
						t.Errorf("%s holds a secret", f)
					}
				}
				if strings.Contains(log, secret) {
					t.Error("the log holds a secret")
				}
			}
			t.Logf("%d GitLab API calls", len(j.api.Calls()))
		})
	}
}
