package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// docs is the documentation_url GitHub puts in error answers.
const docs = "https://docs.github.com/rest"

// Header values and body of GitHub's answers to rate limits, for FailNext.
const (
	// SecondaryRateLimitBody is the body of a secondary rate limit; go-github recognises
	// it by its documentation_url.
	SecondaryRateLimitBody = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",` +
		`"documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`
	// PrimaryRateLimitBody is the body of an exhausted primary rate limit.
	PrimaryRateLimitBody = `{"message":"API rate limit exceeded for installation.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`
	// ForbiddenBody is GitHub's answer to a token without the permission.
	ForbiddenBody = `{"message":"Resource not accessible by integration","documentation_url":"` + docs + `","status":"403"}`
)

// SecondaryRateLimitHeaders are the headers of a secondary rate limit asking to wait.
func SecondaryRateLimitHeaders(retryAfter time.Duration) http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(int(retryAfter / time.Second))}}
}

// PrimaryRateLimitHeaders are the headers of an exhausted primary rate limit.
func PrimaryRateLimitHeaders(reset time.Time) http.Header {
	return http.Header{
		"X-Ratelimit-Limit": {"1000"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Used": {"1000"},
		"X-Ratelimit-Reset": {strconv.FormatInt(reset.Unix(), 10)}, "X-Ratelimit-Resource": {"core"},
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// fieldError is one entry of a validation answer's errors.
type fieldError struct {
	Resource string `json:"resource,omitempty"`
	Code     string `json:"code,omitempty"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message,omitempty"`
	Contexts []any  `json:"contexts,omitempty"`
}

func writeError(w http.ResponseWriter, status int, message string, errs []fieldError) {
	doc := map[string]any{"message": message, "documentation_url": docs, "status": strconv.Itoa(status)}
	if len(errs) > 0 {
		doc["errors"] = errs
	}
	writeJSON(w, status, doc)
}

func notFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, "Not Found", nil) }

func invalid(w http.ResponseWriter, resource, field, message string) {
	writeError(w, http.StatusUnprocessableEntity, "Validation Failed",
		[]fieldError{{Resource: resource, Code: "custom", Field: field, Message: message}})
}

// denied answers a write with 403 when the token is read-only.
func (s *Server) denied(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	ro := s.readOnly
	s.mu.Unlock()
	if !ro || r.Method == http.MethodGet || r.Method == http.MethodHead || r.URL.Path == "/graphql" {
		return false
	}
	w.Header().Set("X-Accepted-Github-Permissions", acceptedPermissions(r.URL.Path))
	writeJSON(w, http.StatusForbidden, json.RawMessage(ForbiddenBody))
	return true
}

// acceptedPermissions is what GitHub names in X-Accepted-GitHub-Permissions for a write.
func acceptedPermissions(p string) string {
	switch {
	case strings.Contains(p, "/deployments"):
		return "deployments=write"
	case strings.Contains(p, "/issues/"):
		return "issues=write; pull_requests=write"
	case strings.Contains(p, "/statuses/"):
		return "statuses=write"
	}
	return "contents=write"
}

// user is GitHub's user object for a login.
func user(login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{"login": login, "id": loginID(login), "type": typ,
		"html_url": ServerURL + "/" + strings.TrimSuffix(login, "[bot]")}
}

func loginID(login string) int64 {
	var h int64 = 7
	for _, r := range login {
		h = (h*31 + int64(r)) % 100000000
	}
	return h
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// paginate cuts n items to the page asked for (per_page, default 30, at most 100; page,
// from 1) and sets the Link header GitHub sends when there are several pages.
func paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((n+per-1)/per, 1)
	lo, hi = min((page-1)*per, n), min(page*per, n)
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("per_page", strconv.Itoa(per))
		v.Set("page", strconv.Itoa(p))
		return fmt.Sprintf("<%s%s?%s>; rel=%q", apiBase(r), r.URL.Path, v.Encode(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return lo, hi
}

// repoOK checks that the request is for the repository served.
func repoOK(w http.ResponseWriter, r *http.Request) bool {
	if !strings.EqualFold(r.PathValue("owner"), Owner) || !strings.EqualFold(r.PathValue("repo"), Repo) {
		notFound(w)
		return false
	}
	return true
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", nil)
		return false
	}
	return true
}

func pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		notFound(w)
		return 0, false
	}
	return id, true
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
