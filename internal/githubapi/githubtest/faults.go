package githubtest

import (
	"io"
	"net/http"
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
// path.Match pattern on the URL path, "" for any) answer status, headers and body
// instead. Faults queue up; each is used once.
func (s *Server) FailNext(method, pathPattern string, status int, headers http.Header, body string) {
	s.addFault(&fault{method: method, pattern: pathPattern, status: status, header: headers, body: body})
}

// FailAfterNext is FailNext for an answer lost on the way back: the request is carried
// out (a comment is created), then answered with the fault.
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
		if (f.method == "" || f.method == r.Method) && matchPath(f.pattern, r.URL.Path) {
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
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}
