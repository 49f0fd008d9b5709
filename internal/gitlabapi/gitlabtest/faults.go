package gitlabtest

import (
	"io"
	"net/http"
	"strconv"
	"time"
)

// fault is a canned answer for the next matching request.
type fault struct {
	method, pattern string
	status          int
	header          http.Header
	body            string
	// after carries the request out before answering with the fault: the answer lost.
	after bool
}

// FailNext makes the next request matching method ("" for any) and pathPattern (a
// path.Match pattern on the escaped URL path, "" for any) answer status, headers and body
// instead. Faults queue up; each is used once.
func (s *Server) FailNext(method, pathPattern string, status int, headers http.Header, body string) {
	s.addFault(&fault{method: method, pattern: pathPattern, status: status, header: headers, body: body})
}

// FailAfterNext is FailNext for an answer lost on the way back: the request is carried
// out (a note is created), then answered with the fault.
func (s *Server) FailAfterNext(method, pathPattern string, status int, headers http.Header, body string) {
	s.addFault(&fault{method: method, pattern: pathPattern, status: status, header: headers, body: body, after: true})
}

func (s *Server) addFault(f *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

func (s *Server) takeFault(r *http.Request) *fault {
	for i, f := range s.faults {
		if (f.method == "" || f.method == r.Method) && matchPath(f.pattern, r.URL.EscapedPath()) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f
		}
	}
	return nil
}

func writeFault(w http.ResponseWriter, f *fault) {
	for k, vs := range f.header {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}

// RateLimitBody is the body of GitLab's 429 (its rate limiter answers in plain text).
const RateLimitBody = "Retry later\n"

// RateLimitHeaders are the headers of GitLab's 429 asking to wait retryAfter; now is the
// time of the answer (RateLimit-Reset is a Unix time).
func RateLimitHeaders(retryAfter time.Duration, now time.Time) http.Header {
	reset := now.Add(retryAfter)
	return http.Header{
		"Content-Type":        {"text/plain"},
		"Retry-After":         {strconv.Itoa(int(retryAfter / time.Second))},
		"RateLimit-Name":      {"throttle_authenticated_api"},
		"RateLimit-Limit":     {"2000"},
		"RateLimit-Observed":  {"2001"},
		"RateLimit-Remaining": {"0"},
		"RateLimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
		"RateLimit-ResetTime": {reset.UTC().Format(http.TimeFormat)},
	}
}
