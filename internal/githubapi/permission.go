package githubapi

import (
	"net/http"
	"strings"
)

// missingPermission tells a 403 for a permission the token lacks (a restricted
// GITHUB_TOKEN, a pull request from a fork) from other refusals. GitHub names the
// permissions it would have accepted in X-Accepted-GitHub-Permissions.
func missingPermission(h http.Header, detail string) bool {
	return h.Get("X-Accepted-Github-Permissions") != "" ||
		strings.Contains(detail, "Resource not accessible by integration") ||
		strings.Contains(detail, "Resource not accessible by personal access token")
}

// permissionFor names the workflow permission a REST call needs, from its path.
func permissionFor(method, path string) string {
	level := "write"
	if method == http.MethodGet || method == http.MethodHead {
		level = "read"
	}
	_, rest, ok := strings.Cut(path, "/repos/")
	if !ok {
		return ""
	}
	// rest is owner/repo/<resource>/...
	parts := strings.Split(rest, "/")
	if len(parts) < 3 {
		return ""
	}
	res := parts[2:]
	switch {
	case res[0] == "deployments":
		return "deployments: " + level
	case res[0] == "statuses":
		return "statuses: " + level
	case res[0] == "issues":
		// Pull request conversation comments are issue comments; pull-requests: write
		// covers them (issues: write does too).
		return "pull-requests: " + level
	case res[0] == "pulls", res[0] == "commits" && len(res) >= 3 && res[2] == "pulls":
		return "pull-requests: " + level
	case res[0] == "commits" && len(res) >= 3 && res[2] == "statuses":
		return "statuses: " + level
	case res[0] == "comments", res[0] == "commits" && len(res) >= 3 && res[2] == "comments":
		return "contents: " + level
	}
	return ""
}

// permissionHint says what to grant. accepted is GitHub's X-Accepted-GitHub-Permissions
// ("deployments=write", sets separated by ";"), shown when it adds to need.
func permissionHint(need, accepted string) string {
	accepted = strings.TrimSpace(accepted)
	if need == "" && accepted != "" {
		need = strings.ReplaceAll(strings.ReplaceAll(strings.Split(accepted, ";")[0], "=", ": "), "_", "-")
	}
	hint := "the token lacks a permission this needs"
	if need != "" {
		hint = "the token lacks " + need + "; grant it in the job's permissions: block"
	}
	if accepted != "" {
		hint += " (GitHub accepts " + accepted + ")"
	}
	return hint + "; a pull request from a fork only ever gets a read-only token"
}
