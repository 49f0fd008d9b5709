package github

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/deploywatch/deploywatch/internal/model"
)

// payloadEvents are the events whose payload adds a pull request or a head commit.
var payloadEvents = map[string]bool{
	"pull_request": true, "pull_request_target": true, "workflow_run": true,
	"deployment": true, "deployment_status": true,
}

// readContext builds the run context from the environment and the event payload. It
// never fails: what cannot be read is left empty and explained in the warnings.
func readContext(getenv func(string) string) (model.RunContext, []string) {
	var warnings []string
	gc, err := actionsContext(getenv)
	if gc == nil {
		// go-githubactions drops the whole context when the payload is unreadable or not
		// JSON; read it again without the payload so the environment part survives.
		warnings = append(warnings, fmt.Sprintf("event payload unusable (%v); pull request details unavailable", err))
		gc, err = actionsContext(func(k string) string {
			if k == "GITHUB_EVENT_PATH" {
				return ""
			}
			return getenv(k)
		})
		if gc == nil { // unreachable: without a payload the library always returns a context
			return model.RunContext{Platform: "github"}, append(warnings, fmt.Sprintf("github context unreadable: %v", err))
		}
	} else if gc.EventPath != "" && gc.Event == nil {
		warnings = append(warnings, missingPayload(gc.EventPath))
	} else if gc.EventPath == "" && payloadEvents[gc.EventName] {
		warnings = append(warnings, "GITHUB_EVENT_PATH is not set; pull request details unavailable")
	}
	if err != nil {
		warnings = append(warnings, malformed(getenv, err)...)
	}

	c := model.RunContext{
		Platform:   "github",
		Repository: gc.Repository,
		SHA:        gc.SHA,
		Ref:        gc.Ref,
		EventName:  gc.EventName,
		Actor:      gc.Actor,
		ServerURL:  strings.TrimRight(gc.ServerURL, "/"),
		APIURL:     strings.TrimRight(gc.APIURL, "/"),
		Workspace:  gc.Workspace,
		HeadRef:    gc.HeadRef,
	}
	runURL, warn := runURL(gc)
	c.RunURL = runURL
	if warn != "" {
		warnings = append(warnings, warn)
	}
	if gc.Event != nil {
		warnings = append(warnings, fromPayload(&c, gc.EventName, gc.Event)...)
	}
	return c, warnings
}

func actionsContext(getenv func(string) string) (*githubactions.GitHubContext, error) {
	return githubactions.New(
		githubactions.WithGetenv(githubactions.GetenvFunc(getenv)),
		githubactions.WithWriter(io.Discard),
	).Context()
}

// missingPayload explains an event path that yielded no payload: go-githubactions
// ignores a file that does not exist, and a file holding JSON null parses to nothing.
func missingPayload(path string) string {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("event payload %s not found; pull request details unavailable", path)
	}
	return fmt.Sprintf("event payload %s is empty; pull request details unavailable", path)
}

// malformed names the variables go-githubactions could not parse; its joined error
// carries the bad values but not the variable names.
func malformed(getenv func(string) string, err error) []string {
	var out []string
	for _, name := range []string{"GITHUB_ACTIONS", "GITHUB_REF_PROTECTED"} {
		if v := getenv(name); v != "" {
			if _, perr := strconv.ParseBool(v); perr != nil {
				out = append(out, fmt.Sprintf("%s=%q is not a boolean; ignored", name, v))
			}
		}
	}
	for _, name := range []string{"GITHUB_RETENTION_DAYS", "GITHUB_RUN_ATTEMPT", "GITHUB_RUN_ID", "GITHUB_RUN_NUMBER"} {
		if v := getenv(name); v != "" {
			if _, perr := strconv.ParseInt(v, 10, 64); perr != nil {
				out = append(out, fmt.Sprintf("%s=%q is not a number; ignored", name, v))
			}
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("github context: %v", err))
	}
	return out
}

// runURL is <server>/<owner>/<repo>/actions/runs/<id>, plus /attempts/<n> on a re-run so
// the link opens the attempt being watched.
func runURL(gc *githubactions.GitHubContext) (string, string) {
	if gc.Repository == "" || gc.RunID <= 0 {
		return "", ""
	}
	owner, name, ok := strings.Cut(gc.Repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", fmt.Sprintf("GITHUB_REPOSITORY=%q is not owner/name; run URL unknown", gc.Repository)
	}
	base, err := url.Parse(gc.ServerURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return "", fmt.Sprintf("GITHUB_SERVER_URL=%q is not an http(s) URL; run URL unknown", gc.ServerURL)
	}
	elems := []string{owner, name, "actions", "runs", strconv.FormatInt(gc.RunID, 10)}
	if gc.RunAttempt > 1 {
		elems = append(elems, "attempts", strconv.FormatInt(gc.RunAttempt, 10))
	}
	return base.JoinPath(elems...).String(), ""
}

// fromPayload adds the pull request and head commit the event names. GITHUB_SHA is a
// merge commit on pull_request and the default branch's head on workflow_run, so the
// payload is the only place the deployed commit can be found for those events.
func fromPayload(c *model.RunContext, event string, payload map[string]any) []string {
	switch event {
	case "pull_request", "pull_request_target":
		pr, ok := payload["pull_request"].(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s payload has no pull_request object", event)}
		}
		c.PullRequest = number(pr["number"])
		c.HeadSHA = headSHA(pr)
		head, _ := pr["head"].(map[string]any)
		if ref, _ := head["ref"].(string); c.HeadRef == "" {
			c.HeadRef = ref
		}
		c.HeadRepository, c.Fork = headRepository(c.Repository, head)
	case "workflow_run":
		run, ok := payload["workflow_run"].(map[string]any)
		if !ok {
			return []string{"workflow_run payload has no workflow_run object"}
		}
		c.HeadSHA, _ = run["head_sha"].(string)
		if prs, _ := run["pull_requests"].([]any); len(prs) > 0 {
			if pr, ok := prs[0].(map[string]any); ok {
				c.PullRequest = number(pr["number"])
				if sha := headSHA(pr); sha != "" {
					c.HeadSHA = sha
				}
			}
		}
	case "deployment", "deployment_status":
		d, ok := payload["deployment"].(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s payload has no deployment object", event)}
		}
		c.HeadSHA, _ = d["sha"].(string)
		// Deployment ids outgrew 32 bits; a float64 holds them exactly up to 2^53.
		if id, ok := d["id"].(float64); ok && id >= 1 && id < 1<<53 && id == float64(int64(id)) {
			c.DeploymentID = strconv.FormatInt(int64(id), 10)
		}
	}
	c.CommitMessage = commitMessage(event, payload)
	return nil
}

// commitMessage reads the head commit's message from a push or workflow_run payload.
func commitMessage(event string, payload map[string]any) string {
	holder := payload
	if event == "workflow_run" {
		holder, _ = payload["workflow_run"].(map[string]any)
	}
	head, _ := holder["head_commit"].(map[string]any)
	msg, _ := head["message"].(string)
	return msg
}

// headRepository reads where a pull request comes from: head.repo.full_name, and whether
// that is a fork of repository. A head repository that is null was deleted, which only a
// fork can be while the base runs. head.repo.fork is not used: it is true for a branch of
// a repository that is itself a fork, whose own pull requests get a write token.
func headRepository(repository string, head map[string]any) (string, bool) {
	repo, present := head["repo"]
	if !present {
		return "", false
	}
	r, _ := repo.(map[string]any)
	if r == nil {
		return "", true
	}
	name, _ := r["full_name"].(string)
	return name, name != "" && !strings.EqualFold(name, repository)
}

func headSHA(pr map[string]any) string {
	head, _ := pr["head"].(map[string]any)
	sha, _ := head["sha"].(string)
	return sha
}

// number reads a positive integer from a JSON number (decoded as float64); anything else
// is 0, "no pull request".
func number(v any) int {
	f, ok := v.(float64)
	if !ok || f < 1 || f > 1<<31-1 || f != float64(int(f)) {
		return 0
	}
	return int(f)
}
