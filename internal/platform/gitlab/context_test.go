package gitlab

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// env is a fake environment; a variable not in the map is unset.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

const (
	mainSHA  = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
	headSHA  = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	mergeSHA = "d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6071829304"
	jobURL   = "https://gitlab.com/acme/shop/-/jobs/9876543210"
	pipeURL  = "https://gitlab.com/acme/shop/-/pipelines/1234567890"
)

// runnerEnv is what GitLab sets for a branch pipeline of acme/shop on GitLab.com, with
// overrides applied (an empty override unsets the variable).
func runnerEnv(overrides map[string]string) func(string) string {
	vars := map[string]string{
		"GITLAB_CI":          "true",
		"CI_PROJECT_PATH":    "acme/shop",
		"CI_PROJECT_ID":      "4815162342",
		"CI_PIPELINE_ID":     "1234567890",
		"CI_PIPELINE_SOURCE": "push",
		"CI_COMMIT_SHA":      mainSHA,
		"CI_COMMIT_REF_NAME": "main",
		"CI_COMMIT_MESSAGE":  "Cache the cart per session\n\nCloses #12\n",
		"GITLAB_USER_LOGIN":  "monalisa",
		"CI_JOB_URL":         jobURL,
		"CI_PIPELINE_URL":    pipeURL,
		"CI_SERVER_URL":      "https://gitlab.com",
		"CI_API_V4_URL":      "https://gitlab.com/api/v4",
		"CI_PROJECT_DIR":     "/builds/acme/shop",
	}
	for k, v := range overrides {
		vars[k] = v
	}
	return env(vars)
}

// branchContext is the context runnerEnv describes with no overrides.
func branchContext() model.RunContext {
	return model.RunContext{
		Platform:      "gitlab",
		Repository:    "acme/shop",
		SHA:           mainSHA,
		Ref:           "main",
		CommitMessage: "Cache the cart per session\n\nCloses #12\n",
		ProjectID:     "4815162342",
		PipelineID:    "1234567890",
		EventName:     "push",
		Actor:         "monalisa",
		RunURL:        jobURL,
		ServerURL:     "https://gitlab.com",
		APIURL:        "https://gitlab.com/api/v4",
		Workspace:     "/builds/acme/shop",
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		want     func(*model.RunContext)
		warnings []string // substrings, one per expected warning, in order
	}{
		{
			name: "branch_pipeline",
			want: func(*model.RunContext) {},
		},
		{
			// A merge request pipeline runs the source branch's head; GitLab sets the source
			// branch SHA only in merged-results pipelines and leaves it empty here.
			name: "merge_request_pipeline",
			env: map[string]string{"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "42",
				"CI_COMMIT_SHA": headSHA, "CI_COMMIT_REF_NAME": "cart-cache", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": ""},
			want: func(c *model.RunContext) {
				c.EventName, c.PullRequest, c.SHA, c.Ref = "merge_request_event", 42, headSHA, "cart-cache"
			},
		},
		{
			name: "merged_results_pipeline_takes_the_source_head",
			env: map[string]string{"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "42",
				"CI_COMMIT_SHA": mergeSHA, "CI_COMMIT_REF_NAME": "cart-cache", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": headSHA},
			want: func(c *model.RunContext) {
				c.EventName, c.PullRequest, c.Ref = "merge_request_event", 42, "cart-cache"
				c.SHA, c.HeadSHA = mergeSHA, headSHA
			},
		},
		{
			name: "source_branch_sha_equal_to_sha_is_no_head",
			env:  map[string]string{"CI_MERGE_REQUEST_IID": "42", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": mainSHA},
			want: func(c *model.RunContext) { c.PullRequest = 42 },
		},
		{
			name: "branch_pipeline_with_an_open_merge_request",
			env:  map[string]string{"CI_OPEN_MERGE_REQUESTS": "acme/shop!17"},
			want: func(c *model.RunContext) { c.PullRequest = 17 },
		},
		{
			name: "open_merge_requests_of_another_project_first",
			env:  map[string]string{"CI_OPEN_MERGE_REQUESTS": "upstream/shop!3,acme/shop!17,acme/shop!18"},
			want: func(c *model.RunContext) { c.PullRequest = 17 },
		},
		{
			name: "open_merge_requests_only_of_another_project",
			env:  map[string]string{"CI_OPEN_MERGE_REQUESTS": "upstream/shop!3,acme/shop-docs!4"},
			want: func(*model.RunContext) {},
		},
		{
			name: "open_merge_requests_in_a_subgroup_compare_case_insensitively",
			env:  map[string]string{"CI_PROJECT_PATH": "Acme/Web/Shop", "CI_OPEN_MERGE_REQUESTS": "acme/web!9,acme/web/shop!21"},
			want: func(c *model.RunContext) { c.Repository, c.PullRequest = "Acme/Web/Shop", 21 },
		},
		{
			name: "merge_request_iid_wins_over_open_merge_requests",
			env:  map[string]string{"CI_MERGE_REQUEST_IID": "42", "CI_OPEN_MERGE_REQUESTS": "acme/shop!17"},
			want: func(c *model.RunContext) { c.PullRequest = 42 },
		},
		{
			name: "tag_pipeline",
			env:  map[string]string{"CI_COMMIT_REF_NAME": "v1.4.0", "CI_COMMIT_TAG": "v1.4.0", "CI_COMMIT_MESSAGE": "Release 1.4.0"},
			want: func(c *model.RunContext) { c.Ref, c.CommitMessage, c.Tag = "v1.4.0", "Release 1.4.0", true },
		},
		{
			name: "self_managed_urls",
			env: map[string]string{"CI_SERVER_URL": "https://gitlab.example.com:8443/", "CI_API_V4_URL": "https://gitlab.example.com:8443/api/v4/",
				"CI_JOB_URL": "https://gitlab.example.com:8443/acme/shop/-/jobs/77"},
			want: func(c *model.RunContext) {
				c.ServerURL, c.APIURL = "https://gitlab.example.com:8443", "https://gitlab.example.com:8443/api/v4"
				c.RunURL = "https://gitlab.example.com:8443/acme/shop/-/jobs/77"
			},
		},
		{
			name: "self_managed_under_a_path_without_api_url",
			env:  map[string]string{"CI_SERVER_URL": "http://example.com/gitlab", "CI_API_V4_URL": ""},
			want: func(c *model.RunContext) {
				c.ServerURL, c.APIURL = "http://example.com/gitlab", "http://example.com/gitlab/api/v4"
			},
		},
		{
			name: "pipeline_url_when_no_job_url",
			env:  map[string]string{"CI_JOB_URL": ""},
			want: func(c *model.RunContext) { c.RunURL = pipeURL },
		},
		{
			name: "malformed_ids",
			env:  map[string]string{"CI_PROJECT_ID": "12a", "CI_PIPELINE_ID": "-1", "CI_MERGE_REQUEST_IID": "abc"},
			want: func(c *model.RunContext) { c.ProjectID, c.PipelineID = "", "" },
			warnings: []string{`CI_PROJECT_ID="12a" is not a positive number`, `CI_PIPELINE_ID="-1" is not a positive number`,
				`CI_MERGE_REQUEST_IID="abc" is not a merge request IID`},
		},
		{
			name:     "non_canonical_ids",
			env:      map[string]string{"CI_PROJECT_ID": "007", "CI_PIPELINE_ID": "+5", "CI_MERGE_REQUEST_IID": "0"},
			want:     func(c *model.RunContext) { c.ProjectID, c.PipelineID = "", "" },
			warnings: []string{`CI_PROJECT_ID="007"`, `CI_PIPELINE_ID="+5"`, `CI_MERGE_REQUEST_IID="0"`},
		},
		{
			name:     "malformed_iid_falls_back_to_open_merge_requests",
			env:      map[string]string{"CI_MERGE_REQUEST_IID": "99999999999", "CI_OPEN_MERGE_REQUESTS": "acme/shop!17"},
			want:     func(c *model.RunContext) { c.PullRequest = 17 },
			warnings: []string{`CI_MERGE_REQUEST_IID="99999999999" is not a merge request IID; ignored`},
		},
		{
			name:     "open_merge_requests_malformed",
			env:      map[string]string{"CI_OPEN_MERGE_REQUESTS": "acme/shop!17,acme/shop"},
			want:     func(*model.RunContext) {},
			warnings: []string{`CI_OPEN_MERGE_REQUESTS="acme/shop!17,acme/shop" has a malformed entry "acme/shop"`},
		},
		{
			name:     "open_merge_requests_iid_not_a_number",
			env:      map[string]string{"CI_OPEN_MERGE_REQUESTS": "acme/shop!x"},
			want:     func(*model.RunContext) {},
			warnings: []string{`CI_OPEN_MERGE_REQUESTS="acme/shop!x" has a malformed entry`},
		},
		{
			name:     "open_merge_requests_too_many",
			env:      map[string]string{"CI_OPEN_MERGE_REQUESTS": "a/b!1,a/b!2,a/b!3,a/b!4,acme/shop!5"},
			want:     func(*model.RunContext) {},
			warnings: []string{"lists more than 4 merge requests"},
		},
		{
			name: "urls_not_http",
			env: map[string]string{"CI_JOB_URL": "javascript:alert(1)", "CI_PIPELINE_URL": "/acme/shop/-/pipelines/1",
				"CI_SERVER_URL": "gitlab.example.com", "CI_API_V4_URL": "ftp://gitlab.example.com/api/v4"},
			want: func(c *model.RunContext) { c.RunURL, c.ServerURL, c.APIURL = "", "", "" },
			warnings: []string{`CI_JOB_URL="javascript:alert(1)" is not an http(s) URL`, `CI_PIPELINE_URL="/acme/shop/-/pipelines/1" is not an http(s) URL`,
				`CI_SERVER_URL="gitlab.example.com" is not an http(s) URL`, `CI_API_V4_URL="ftp://gitlab.example.com/api/v4" is not an http(s) URL`},
		},
		{
			name:     "bad_api_url_falls_back_to_the_server",
			env:      map[string]string{"CI_API_V4_URL": "::"},
			want:     func(*model.RunContext) {},
			warnings: []string{`CI_API_V4_URL="::" is not an http(s) URL; ignored`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := New(Options{Getenv: runnerEnv(tt.env), Stdout: &bytes.Buffer{}})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			want := branchContext()
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
	if diff := cmp.Diff(model.RunContext{Platform: "gitlab"}, g.Context()); diff != "" {
		t.Errorf("Context() mismatch (-want +got):\n%s", diff)
	}
	if w := g.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none", w)
	}
	if g.Name() != "gitlab" {
		t.Errorf("Name() = %q, want gitlab", g.Name())
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
		{name: "on_gitlab", value: "true", want: true},
		{name: "unset", value: "", want: false},
		{name: "other_value", value: "1", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Detect(env(map[string]string{"GITLAB_CI": tt.value})); got != tt.want {
				t.Errorf("Detect(GITLAB_CI=%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}
