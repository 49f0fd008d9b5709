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

// PermissionError is a call GitHub refused because the token lacks a permission: a
// GITHUB_TOKEN restricted by the job's permissions: block, or the read-only token of a
// pull request from a fork. Classify wraps it in the *sink.Error it returns.
type PermissionError struct {
	// Need names the permission, "deployments: write"; empty when unknown.
	Need string
	// Accepted is GitHub's X-Accepted-GitHub-Permissions, when it sent one.
	Accepted string
}

func newPermissionError(need, accepted string) *PermissionError {
	accepted = strings.TrimSpace(accepted)
	if need == "" && accepted != "" {
		need = strings.ReplaceAll(strings.ReplaceAll(strings.Split(accepted, ";")[0], "=", ": "), "_", "-")
	}
	return &PermissionError{Need: need, Accepted: accepted}
}

func (e *PermissionError) Error() string {
	hint := "the token lacks a permission this needs"
	if e.Need != "" {
		hint = "the token lacks " + e.Need + "; grant it in the job's permissions: block"
	}
	if e.Accepted != "" {
		hint += " (GitHub accepts " + e.Accepted + ")"
	}
	return hint + "; a pull request from a fork only ever gets a read-only token"
}
