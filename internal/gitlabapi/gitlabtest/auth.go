package gitlabtest

import (
	"context"
	"net/http"
	"strings"
)

// caller is who a request acts as.
type caller struct {
	username string
	id       int64
	job      bool // authenticated by the job token
}

type callerKey struct{}

func withUser(ctx context.Context, c *caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// callerOf is the user the request acts as; routes run only for authenticated requests.
func callerOf(r *http.Request) *caller {
	c, _ := r.Context().Value(callerKey{}).(*caller)
	if c == nil {
		return &caller{}
	}
	return c
}

// authenticate reads the token: PRIVATE-TOKEN or a bearer token for the access token,
// JOB-TOKEN for the job token. It returns the header used and the caller, nil when the
// token is missing or unknown.
func authenticate(h http.Header) (string, *caller) {
	if v := h.Get("Private-Token"); v != "" {
		return "PRIVATE-TOKEN", accessToken(v)
	}
	if v := h.Get("Job-Token"); v != "" {
		if v == JobToken {
			return "JOB-TOKEN", &caller{username: JobUser, id: JobUserID, job: true}
		}
		return "JOB-TOKEN", nil
	}
	if v := h.Get("Authorization"); v != "" {
		scheme, token, _ := strings.Cut(v, " ")
		if strings.EqualFold(scheme, "bearer") {
			return "Authorization", accessToken(token)
		}
		return "Authorization", nil
	}
	return "", nil
}

func accessToken(v string) *caller {
	if v != Token {
		return nil
	}
	return &caller{username: Bot, id: BotID}
}

// allowed answers 401 to a request without a valid token, and to a job token on an
// endpoint GitLab does not open to job tokens: there GitLab ignores the JOB-TOKEN header,
// so the request has no user.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request, who *caller) bool {
	if who == nil || who.job && !jobTokenRoute(r.Method, r.URL.EscapedPath()) {
		writeMessage(w, http.StatusUnauthorized, "401 Unauthorized")
		return false
	}
	return true
}

// jobTokenRoute reports whether a CI_JOB_TOKEN may call method on p, after
// https://docs.gitlab.com/ci/jobs/ci_job_token/: the deployments and environments APIs
// (every endpoint), GET of a commit and of its merge requests, GET of merge requests and
// of their notes, and GET /job.
func jobTokenRoute(method, p string) bool {
	seg := strings.Split(strings.Trim(strings.TrimPrefix(p, "/api/v4"), "/"), "/")
	get := method == http.MethodGet || method == http.MethodHead
	if len(seg) == 1 && seg[0] == "job" {
		return get
	}
	if len(seg) < 3 || seg[0] != "projects" {
		return false
	}
	rest := seg[2:]
	switch rest[0] {
	case "deployments", "environments":
		return true
	case "repository":
		// repository/commits/:sha and repository/commits/:sha/merge_requests
		return get && len(rest) >= 3 && rest[1] == "commits" &&
			(len(rest) == 3 || len(rest) == 4 && rest[3] == "merge_requests")
	case "merge_requests":
		// merge_requests, merge_requests/:iid, merge_requests/:iid/notes[/:id]
		return get && (len(rest) <= 2 || rest[2] == "notes" && len(rest) <= 4)
	}
	return false
}
