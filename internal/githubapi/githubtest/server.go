// Package githubtest is a fake GitHub for tests: a stateful http.Handler routed on the real
// REST paths (deployments and their statuses, pull request and commit comments, commit
// statuses, pull requests of a commit) and on POST /graphql (the viewer, a repository's
// deployments, a commit's pull requests), answering in GitHub's shapes and with GitHub's
// validations: the 65,536-character comment limit, the 140-character status description,
// the 409 a deployment gets when required_contexts is omitted while a commit status is not
// green. It records every call, checks the token, paginates lists with Link headers,
// injects faults and can make the token read-only, as a pull request from a fork has it.
//
// It serves one repository (Owner/Repo) and accepts the GitHub Enterprise prefixes
// (/api/v3, /api/graphql). Use Start for a loopback server, or Transport to call the
// handler in memory (inside testing/synctest, where network I/O would stop the clock).
//
// REST reference: https://docs.github.com/rest; GraphQL: https://docs.github.com/graphql.
package githubtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake's fixed identities.
const (
	// Token is the only token accepted (as "Bearer <token>" or "token <token>").
	Token = "ghs_githubtestT0kenValue0123456789"
	// Owner and Repo name the repository served.
	Owner = "acme"
	Repo  = "shop"
	// Bot is the login of the token: GitHub spells a GITHUB_TOKEN's account so in REST
	// and in the GraphQL viewer; as a GraphQL author or creator it drops the "[bot]".
	Bot = "github-actions[bot]"
	// ServerURL is the web root used in html_url fields.
	ServerURL = "https://github.com"
)

// Epoch is the fake's clock at start; every write moves it on by a second, so times are
// distinct, ordered and the same in every run.
var Epoch = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// Call is one request the fake received.
type Call struct {
	// At is the (possibly synctest) time the request arrived.
	At     time.Time
	Method string
	// Path is the URL path as sent; Query the raw query.
	Path   string
	Query  string
	Body   string
	Status int
}

// Server is the fake GitHub. The zero value is not usable: call New or Start.
type Server struct {
	// URL is the server's root when started with Start.
	URL string

	mux *http.ServeMux

	mu       sync.Mutex
	login    string
	readOnly bool
	faults   []*fault
	calls    []Call
	seq      int64
	clock    time.Time
	state
}

// New returns the fake with an empty repository.
func New() *Server {
	s := &Server{login: Bot, seq: 1000, clock: Epoch}
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

// SetViewer changes the token's login (Bot by default).
func (s *Server) SetViewer(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.login = login
}

// SetReadOnly makes every write answer 403 "Resource not accessible by integration" with
// X-Accepted-GitHub-Permissions, as GitHub answers a token without the permission.
func (s *Server) SetReadOnly(ro bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly = ro
}

// Calls returns the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls with method ("" for any) whose path matches pattern.
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
	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{At: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
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
	if !authorized(r.Header.Get("Authorization")) {
		writeError(rw, http.StatusUnauthorized, "Bad credentials", nil)
		return
	}
	in := r.Clone(context.WithValue(r.Context(), baseKey{}, base(r)))
	in.URL.Path = strings.TrimPrefix(in.URL.Path, "/api/v3")
	if in.URL.Path == "/api/graphql" {
		in.URL.Path = "/graphql"
	}
	if f != nil {
		// Carried out as usual, read-only refusal included; only the answer is lost.
		if discard := httptest.NewRecorder(); !s.denied(discard, in) {
			s.mux.ServeHTTP(discard, in)
		}
		writeFault(rw, f)
		return
	}
	s.rateHeaders(rw.Header(), in.URL.Path)
	if s.denied(rw, in) {
		return
	}
	s.mux.ServeHTTP(rw, in)
}

func authorized(h string) bool {
	scheme, token, ok := strings.Cut(h, " ")
	return ok && (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "token")) && token == Token
}

// rateHeaders adds GitHub's rate-limit headers, spending one request per call.
func (s *Server) rateHeaders(h http.Header, p string) {
	s.mu.Lock()
	used := len(s.calls)
	s.mu.Unlock()
	resource := "core"
	if p == "/graphql" {
		resource = "graphql"
	}
	h.Set("X-Ratelimit-Limit", "1000")
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(1000-used, 1)))
	h.Set("X-Ratelimit-Used", strconv.Itoa(used))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	h.Set("X-Ratelimit-Resource", resource)
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

// baseKey carries the API root the request came to, for the URLs in answers.
type baseKey struct{}

func base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	root := scheme + "://" + host
	if strings.HasPrefix(r.URL.Path, "/api/v3/") {
		root += "/api/v3"
	}
	return root
}

func apiBase(r *http.Request) string {
	b, _ := r.Context().Value(baseKey{}).(string)
	return b
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
