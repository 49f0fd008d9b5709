package gitlab

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
)

// maxOpenMergeRequests is how many entries GitLab puts in CI_OPEN_MERGE_REQUESTS; more
// would mean the value is not GitLab's.
const maxOpenMergeRequests = 4

// readContext builds the run context from GitLab's predefined variables. It never fails:
// a malformed value is left out and explained in the warnings.
func readContext(getenv func(string) string) (model.RunContext, []string) {
	r := reader{getenv: getenv}
	c := model.RunContext{
		Platform:      "gitlab",
		Repository:    getenv("CI_PROJECT_PATH"),
		SHA:           getenv("CI_COMMIT_SHA"),
		Ref:           getenv("CI_COMMIT_REF_NAME"),
		EventName:     getenv("CI_PIPELINE_SOURCE"),
		Actor:         getenv("GITLAB_USER_LOGIN"),
		Workspace:     getenv("CI_PROJECT_DIR"),
		CommitMessage: getenv("CI_COMMIT_MESSAGE"),
		ProjectID:     r.id("CI_PROJECT_ID"),
		PipelineID:    r.id("CI_PIPELINE_ID"),
		Tag:           getenv("CI_COMMIT_TAG") != "",
	}
	// Only merged-results pipelines set the source branch SHA; they run a merge commit, so
	// the deployed head is the source branch's.
	if head := getenv("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"); head != "" && head != c.SHA {
		c.HeadSHA = head
	}
	c.PullRequest = r.mergeRequest(c.Repository)
	c.RunURL = r.url("CI_JOB_URL")
	if c.RunURL == "" {
		c.RunURL = r.url("CI_PIPELINE_URL")
	}
	c.ServerURL = r.url("CI_SERVER_URL")
	c.APIURL = r.url("CI_API_V4_URL")
	if c.APIURL == "" && c.ServerURL != "" {
		c.APIURL = c.ServerURL + "/api/v4"
	}
	return c, r.warnings
}

// reader reads and checks variables, collecting a warning for each malformed one.
type reader struct {
	getenv   func(string) string
	warnings []string
}

func (r *reader) warn(name, value, problem string) {
	r.warnings = append(r.warnings, fmt.Sprintf("%s=%q %s; ignored", name, value, problem))
}

// id reads a positive decimal number (a project or pipeline ID), kept as text.
func (r *reader) id(name string) string {
	v := r.getenv(name)
	if v == "" {
		return ""
	}
	if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 1 || strconv.FormatInt(n, 10) != v {
		r.warn(name, v, "is not a positive number")
		return ""
	}
	return v
}

// iid reads a merge request IID: a positive number in canonical form that fits an int32
// (GitLab's IID column).
func iid(v string) (int, bool) {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != v {
		return 0, false
	}
	return int(n), true
}

// url reads an absolute http(s) URL, without its trailing slash.
func (r *reader) url(name string) string {
	v := r.getenv(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.warn(name, v, "is not an http(s) URL")
		return ""
	}
	return strings.TrimRight(v, "/")
}

// mergeRequest is the run's merge request: CI_MERGE_REQUEST_IID in a merge request
// pipeline, else the first of CI_OPEN_MERGE_REQUESTS ("group/project!iid", comma
// separated) that belongs to this project. A branch pipeline may list merge requests of
// other projects (forks, upstream); those IIDs mean nothing here.
func (r *reader) mergeRequest(project string) int {
	if v := r.getenv("CI_MERGE_REQUEST_IID"); v != "" {
		if n, ok := iid(v); ok {
			return n
		}
		r.warn("CI_MERGE_REQUEST_IID", v, "is not a merge request IID")
	}
	v := r.getenv("CI_OPEN_MERGE_REQUESTS")
	if v == "" {
		return 0
	}
	entries := strings.Split(v, ",")
	if len(entries) > maxOpenMergeRequests {
		r.warn("CI_OPEN_MERGE_REQUESTS", v, fmt.Sprintf("lists more than %d merge requests", maxOpenMergeRequests))
		return 0
	}
	found := 0
	for _, e := range entries {
		path, num, ok := strings.Cut(strings.TrimSpace(e), "!")
		n, valid := iid(num)
		if !ok || path == "" || !valid {
			r.warn("CI_OPEN_MERGE_REQUESTS", v, fmt.Sprintf("has a malformed entry %q", e))
			return 0
		}
		// GitLab paths are case-insensitive.
		if found == 0 && project != "" && strings.EqualFold(path, project) {
			found = n
		}
	}
	return found
}
