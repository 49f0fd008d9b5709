package github

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// env is a fake environment; a variable not in the map is unset.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runnerEnv is what the runner sets for a run of octo-org/shop-api, with overrides
// applied (an empty override unsets the variable).
func runnerEnv(overrides map[string]string) func(string) string {
	vars := map[string]string{
		"GITHUB_ACTIONS":     "true",
		"GITHUB_REPOSITORY":  "octo-org/shop-api",
		"GITHUB_SHA":         "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
		"GITHUB_REF":         "refs/heads/main",
		"GITHUB_EVENT_NAME":  "push",
		"GITHUB_EVENT_PATH":  filepath.Join("..", "..", "..", "testdata", "github", "events", "push.json"),
		"GITHUB_ACTOR":       "monalisa",
		"GITHUB_RUN_ID":      "8123460000",
		"GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_SERVER_URL":  "https://github.com",
		"GITHUB_API_URL":     "https://api.github.com",
		"GITHUB_WORKSPACE":   "/github/workspace",
	}
	for k, v := range overrides {
		vars[k] = v
	}
	return env(vars)
}

const (
	mainSHA  = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
	prHead   = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	mergeSHA = "d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6071829304"
	runURL1  = "https://github.com/octo-org/shop-api/actions/runs/8123460000"
)

// pushContext is the context runnerEnv describes with no overrides.
func pushContext() model.RunContext {
	return model.RunContext{
		Platform:   "github",
		Repository: "octo-org/shop-api",
		SHA:        mainSHA,
		Ref:        "refs/heads/main",
		EventName:  "push",
		Actor:      "monalisa",
		RunURL:     runURL1,
		ServerURL:  "https://github.com",
		APIURL:     "https://api.github.com",
		Workspace:  "/github/workspace",
		// From the push payload runnerEnv points at.
		CommitMessage: "Merge pull request #41 from octo-org/retry-budget",
	}
}

func event(name string) string {
	return filepath.Join("..", "..", "..", "testdata", "github", "events", name)
}

// withHeadRepo writes the opened pull request payload with head.repo replaced by repo
// (JSON) into dir/name and returns its path.
func withHeadRepo(t *testing.T, dir, name, repo string) string {
	t.Helper()
	data, err := os.ReadFile(event("pull_request.opened.json"))
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(data, &payload); err != nil {
		t.Fatal(err)
	}
	var r any
	if err := json.Unmarshal([]byte(repo), &r); err != nil {
		t.Fatal(err)
	}
	payload["pull_request"].(map[string]any)["head"].(map[string]any)["repo"] = r
	out, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badJSON := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badJSON, []byte(`{"pull_request": `), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.json")
	// The opened pull request as it comes from a fork, and from a fork since deleted.
	fork := withHeadRepo(t, dir, "fork.json", `{"full_name": "mallory/shop-api", "fork": true}`)
	deleted := withHeadRepo(t, dir, "deleted.json", `null`)

	tests := []struct {
		name     string
		env      map[string]string
		want     func(*model.RunContext)
		warnings []string // substrings, one per expected warning
	}{
		{
			name: "push",
			want: func(*model.RunContext) {},
		},
		{
			name: "pull_request",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event("pull_request.opened.json"),
				"GITHUB_SHA": mergeSHA, "GITHUB_REF": "refs/pull/42/merge"},
			want: func(c *model.RunContext) {
				c.EventName, c.SHA, c.Ref = "pull_request", mergeSHA, "refs/pull/42/merge"
				c.PullRequest, c.HeadSHA, c.CommitMessage = 42, prHead, ""
				c.HeadRef, c.HeadRepository = "cart-cache", "octo-org/shop-api"
			},
		},
		{
			name: "pull_request_head_ref_from_the_runner",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event("pull_request.opened.json"),
				"GITHUB_SHA": mergeSHA, "GITHUB_REF": "refs/pull/42/merge", "GITHUB_HEAD_REF": "feature/from-env"},
			want: func(c *model.RunContext) {
				c.EventName, c.SHA, c.Ref = "pull_request", mergeSHA, "refs/pull/42/merge"
				c.PullRequest, c.HeadSHA, c.CommitMessage = 42, prHead, ""
				c.HeadRef, c.HeadRepository = "feature/from-env", "octo-org/shop-api"
			},
		},
		{
			name: "pull_request_from_a_fork",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": fork,
				"GITHUB_SHA": mergeSHA, "GITHUB_REF": "refs/pull/42/merge"},
			want: func(c *model.RunContext) {
				c.EventName, c.SHA, c.Ref = "pull_request", mergeSHA, "refs/pull/42/merge"
				c.PullRequest, c.HeadSHA, c.CommitMessage = 42, prHead, ""
				c.HeadRef, c.HeadRepository, c.Fork = "cart-cache", "mallory/shop-api", true
			},
		},
		{
			name: "pull_request_from_a_deleted_fork",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": deleted,
				"GITHUB_SHA": mergeSHA, "GITHUB_REF": "refs/pull/42/merge"},
			want: func(c *model.RunContext) {
				c.EventName, c.SHA, c.Ref = "pull_request", mergeSHA, "refs/pull/42/merge"
				c.PullRequest, c.HeadSHA, c.CommitMessage = 42, prHead, ""
				c.HeadRef, c.Fork = "cart-cache", true
			},
		},
		{
			name: "pull_request_target",
			env: map[string]string{"GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_EVENT_PATH": event("pull_request.opened.json"),
				"GITHUB_SHA": "9049f1265b7d61be4a8904a9a27120d2064dab3b"},
			want: func(c *model.RunContext) {
				c.EventName, c.SHA = "pull_request_target", "9049f1265b7d61be4a8904a9a27120d2064dab3b"
				c.PullRequest, c.HeadSHA, c.CommitMessage = 42, prHead, ""
				c.HeadRef, c.HeadRepository = "cart-cache", "octo-org/shop-api"
			},
		},
		{
			name: "workflow_run_from_pull_request",
			env:  map[string]string{"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": event("workflow_run.completed.json")},
			want: func(c *model.RunContext) {
				c.EventName, c.PullRequest, c.HeadSHA = "workflow_run", 42, prHead
				c.CommitMessage = "Cache the cart per session"
			},
		},
		{
			name: "workflow_run_from_push_takes_head_sha",
			env: map[string]string{"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": event("workflow_run.completed.push.json"),
				"GITHUB_SHA": "ffffffffffffffffffffffffffffffffffffffff"},
			want: func(c *model.RunContext) {
				c.EventName, c.SHA, c.HeadSHA = "workflow_run", "ffffffffffffffffffffffffffffffffffffffff", mainSHA
			},
		},
		{
			name: "deployment",
			env:  map[string]string{"GITHUB_EVENT_NAME": "deployment", "GITHUB_EVENT_PATH": event("deployment.created.json")},
			want: func(c *model.RunContext) {
				c.EventName, c.HeadSHA, c.DeploymentID, c.CommitMessage = "deployment", mainSHA, "1456789012", ""
			},
		},
		{
			name: "deployment_status",
			env:  map[string]string{"GITHUB_EVENT_NAME": "deployment_status", "GITHUB_EVENT_PATH": event("deployment_status.created.json")},
			want: func(c *model.RunContext) {
				c.EventName, c.HeadSHA, c.DeploymentID, c.CommitMessage = "deployment_status", mainSHA, "1456789012", ""
			},
		},
		{
			name: "enterprise_server_urls",
			env:  map[string]string{"GITHUB_SERVER_URL": "https://ghes.example.com/", "GITHUB_API_URL": "https://ghes.example.com/api/v3"},
			want: func(c *model.RunContext) {
				c.ServerURL, c.APIURL = "https://ghes.example.com", "https://ghes.example.com/api/v3"
				c.RunURL = "https://ghes.example.com/octo-org/shop-api/actions/runs/8123460000"
			},
		},
		{
			name: "default_urls_when_unset",
			env:  map[string]string{"GITHUB_SERVER_URL": "", "GITHUB_API_URL": ""},
			want: func(*model.RunContext) {},
		},
		{
			name: "run_attempt_2",
			env:  map[string]string{"GITHUB_RUN_ATTEMPT": "2"},
			want: func(c *model.RunContext) { c.RunURL = runURL1 + "/attempts/2" },
		},
		{
			name:     "missing_event_file",
			env:      map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": missing},
			want:     func(c *model.RunContext) { c.EventName, c.CommitMessage = "pull_request", "" },
			warnings: []string{"event payload " + missing + " not found"},
		},
		{
			name:     "event_path_is_a_directory",
			env:      map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": dir},
			want:     func(c *model.RunContext) { c.EventName, c.CommitMessage = "pull_request", "" },
			warnings: []string{"event payload unusable (could not read event file"},
		},
		{
			name:     "event_file_not_json",
			env:      map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": badJSON},
			want:     func(c *model.RunContext) { c.EventName, c.CommitMessage = "pull_request", "" },
			warnings: []string{"event payload unusable (failed to unmarshal event payload"},
		},
		{
			name:     "event_path_unset_on_pull_request",
			env:      map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": ""},
			want:     func(c *model.RunContext) { c.EventName, c.CommitMessage = "pull_request", "" },
			warnings: []string{"GITHUB_EVENT_PATH is not set"},
		},
		{
			name:     "payload_of_another_shape",
			env:      map[string]string{"GITHUB_EVENT_NAME": "pull_request"},
			want:     func(c *model.RunContext) { c.EventName, c.CommitMessage = "pull_request", "" },
			warnings: []string{"pull_request payload has no pull_request object"},
		},
		{
			name:     "malformed_run_id_and_attempt",
			env:      map[string]string{"GITHUB_RUN_ID": "abc", "GITHUB_RUN_ATTEMPT": "two"},
			want:     func(c *model.RunContext) { c.RunURL = "" },
			warnings: []string{`GITHUB_RUN_ATTEMPT="two" is not a number`, `GITHUB_RUN_ID="abc" is not a number`},
		},
		{
			name:     "server_url_not_a_url",
			env:      map[string]string{"GITHUB_SERVER_URL": "ghes.example.com"},
			want:     func(c *model.RunContext) { c.RunURL, c.ServerURL = "", "ghes.example.com" },
			warnings: []string{`GITHUB_SERVER_URL="ghes.example.com" is not an http(s) URL`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := New(Options{Getenv: runnerEnv(tt.env), Stdout: &bytes.Buffer{}})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			want := pushContext()
			tt.want(&want)
			if diff := cmp.Diff(want, g.Context()); diff != "" {
				t.Errorf("Context() mismatch (-want +got):\n%s", diff)
			}
			got := g.Warnings()
			if len(got) != len(tt.warnings) {
				t.Fatalf("Warnings() = %q, want %d matching %q", got, len(tt.warnings), tt.warnings)
			}
			for i, w := range tt.warnings {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestNewWithEmptyEnv(t *testing.T) {
	t.Parallel()
	g, err := New(Options{Getenv: env(nil), Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	want := model.RunContext{Platform: "github", ServerURL: "https://github.com", APIURL: "https://api.github.com"}
	if diff := cmp.Diff(want, g.Context()); diff != "" {
		t.Errorf("Context() mismatch (-want +got):\n%s", diff)
	}
	if w := g.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none", w)
	}
	if g.Name() != "github" {
		t.Errorf("Name() = %q, want github", g.Name())
	}
}

func TestNewRequiresGetenvAndStdout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
	}{
		{name: "no_getenv", opts: Options{Stdout: &bytes.Buffer{}}},
		{name: "no_stdout", opts: Options{Getenv: env(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if g, err := New(tt.opts); err == nil || g != nil {
				t.Errorf("New() = %v, %v; want nil and an error", g, err)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		want  bool
	}{
		{name: "on_actions", value: "true", want: true},
		{name: "unset", value: "", want: false},
		{name: "other_value", value: "1", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Detect(env(map[string]string{"GITHUB_ACTIONS": tt.value})); got != tt.want {
				t.Errorf("Detect(GITHUB_ACTIONS=%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}
