// Package gitlabtest is a fake GitLab for tests: a stateful http.Handler routed on the real
// REST v4 paths the GitLab sinks use (deployments, merge request notes, commit discussions,
// commit statuses, the merge requests of a commit, the token's user and the job of a job
// token), answering in GitLab's shapes and with GitLab's rules: the commit status state
// machine ("Cannot transition status via :run from :running"), the deployment state
// machine and its refusal to update a deployment a job made, the 1,000,000-character note
// limit, offset pagination (X-Next-Page, X-Total-Pages, Link), and the limits of a
// CI_JOB_TOKEN, which reaches only the endpoints GitLab opens to job tokens and is
// refused elsewhere with the 401 GitLab gives a request without a token. It records every
// call and injects faults.
//
// It serves one project, by id (ProjectID) or by path (ProjectPath), under /api/v4. Use
// Start for a loopback server, or Transport to call the handler in memory (inside
// testing/synctest, where network I/O would stop the clock).
//
// REST reference: https://docs.gitlab.com/api/rest/; job token limits:
// https://docs.gitlab.com/ci/jobs/ci_job_token/.
package gitlabtest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake's fixed identities.
const (
	// Token is the access token accepted (PRIVATE-TOKEN, or Authorization: Bearer); it acts
	// as the project access token's bot user.
	Token = "glpat-gitlabtestT0kenValue0123"
	// JobToken is the CI_JOB_TOKEN accepted (JOB-TOKEN); it acts as JobUser, the user who
	// started the job, on the endpoints open to job tokens only.
	JobToken = "glcbt-64_gitlabtestJobT0kenValue"
	// ProjectID and ProjectPath name the project served.
	ProjectID   = 4242
	ProjectPath = "acme/shop"
	// ServerURL is the web root used in web_url fields.
	ServerURL = "https://gitlab.example.com"
	// PipelineID and JobID are the pipeline and job the job token belongs to.
	PipelineID = 987654
	JobID      = 5550001
	// Bot is the username of Token's user (a project access token's bot), BotID its id.
	Bot   = "project_4242_bot_5e8c1f0a"
	BotID = 9001
	// JobUser is the username of the job's user, JobUserID its id.
	JobUser   = "jdoe"
	JobUserID = 7
)

// Epoch is the fake's clock at start; every write moves it on by a second, so times are
// distinct, ordered and the same in every run.
var Epoch = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// Call is one request the fake received.
type Call struct {
	// At is the (possibly synctest) time the request arrived.
	At     time.Time
	Method string
	// Path is the URL path as sent (escaped, so a project path stays one segment); Query
	// the raw query.
	Path  string
	Query string
	Body  string
	// Auth is the header the token came in: "PRIVATE-TOKEN", "JOB-TOKEN", "Authorization"
	// or "" for none.
	Auth   string
	Status int
}

// Server is the fake GitLab. The zero value is not usable: call New or Start.
type Server struct {
	// URL is the server's root when started with Start; the API is under URL + "/api/v4".
	URL string

	mux *http.ServeMux

	mu     sync.Mutex
	faults []*fault
	calls  []Call
	seq    int64
	clock  time.Time
	state
}

// New returns the fake with an empty project.
func New() *Server {
	s := &Server{seq: 1000, clock: Epoch}
	s.state.environments = map[string]int64{}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Start serves the fake on loopback until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Calls returns the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls with method ("" for any) whose escaped path matches pattern
// (path.Match, "" for any), e.g. "/api/v4/projects/*/merge_requests/*/notes".
func (s *Server) CallsTo(method, pattern string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if (method == "" || c.Method == method) && matchPath(pattern, c.Path) {
			out = append(out, c)
		}
	}
	return out
}

func matchPath(pattern, p string) bool {
	if pattern == "" {
		return true
	}
	ok, err := path.Match(pattern, p)
	return err == nil && ok
}

// ServeHTTP records the call, applies a pending fault, checks the token and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	kind, who := authenticate(r.Header)
	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{At: time.Now(), Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Body: string(body), Auth: kind})
	f := s.takeFault(r)
	s.mu.Unlock()
	rw := &recorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.calls[idx].Status = rw.status
		s.mu.Unlock()
	}()
	if f != nil && !f.after {
		writeFault(rw, f)
		return
	}
	in := r.WithContext(withUser(r.Context(), who))
	if f != nil {
		// Carried out as usual, refusals included; only the answer is lost.
		if discard := httptest.NewRecorder(); s.allowed(discard, in, who) {
			s.mux.ServeHTTP(discard, in)
		}
		writeFault(rw, f)
		return
	}
	if s.allowed(rw, in, who) {
		s.mux.ServeHTTP(rw, in)
	}
}

// recorder remembers the status written.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// apiRoot is the API root the request came to, for the Link header.
func apiRoot(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host
}

// now moves the clock on and returns it. s.mu must be held.
func (s *Server) now() time.Time {
	s.clock = s.clock.Add(time.Second)
	return s.clock
}

// nextID returns a fresh id. s.mu must be held.
func (s *Server) nextID() int64 {
	s.seq++
	return s.seq
}

// projectOK checks that the request is for the project served, by id or by path.
func projectOK(w http.ResponseWriter, r *http.Request) bool {
	id := r.PathValue("id")
	if id != "4242" && !strings.EqualFold(id, ProjectPath) {
		writeMessage(w, http.StatusNotFound, "404 Project Not Found")
		return false
	}
	return true
}
