package sinktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server is a fake endpoint on loopback: it records every request, answers with the API
// handler, and can be told to fail the next requests first.
type Server struct {
	*httptest.Server
	api http.Handler

	mu       sync.Mutex
	requests []Recorded
	faults   []Fault
}

// Recorded is one request the server received.
type Recorded struct {
	Method string
	// Path includes the query, as sent.
	Path   string
	Header http.Header
	Body   []byte
}

// Fault is how the server answers one request instead of the API.
type Fault struct {
	Status int
	Header http.Header
	Body   string
	// Echo makes the body repeat the request (its URL, headers and body), as some servers
	// do in errors: a sink must not pass secrets on from there.
	Echo bool
	// Hang holds the request until the client gives up.
	Hang bool
}

// NewServer starts a server answering with api (nil: 200 and an empty JSON object) and
// stops it when the test ends.
func NewServer(t testing.TB, api http.Handler) *Server {
	t.Helper()
	if api == nil {
		api = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "{}")
		})
	}
	s := &Server{api: api}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Fail makes the next len(faults) requests fail, in order.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Requests returns what the server received so far.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	s.requests = append(s.requests, Recorded{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	var f *Fault
	if len(s.faults) > 0 {
		f = &s.faults[0]
		s.faults = s.faults[1:]
	}
	s.mu.Unlock()
	if f == nil {
		s.api.ServeHTTP(w, r)
		return
	}
	if f.Hang {
		<-r.Context().Done()
		return
	}
	for k, vs := range f.Header {
		w.Header()[k] = vs
	}
	text := f.Body
	if f.Echo {
		var b strings.Builder
		fmt.Fprintf(&b, "cannot handle %s %s", r.Method, r.URL.String())
		for k, vs := range r.Header {
			fmt.Fprintf(&b, " %s=%s", k, strings.Join(vs, ","))
		}
		fmt.Fprintf(&b, " body=%s", body)
		msg, _ := json.Marshal(b.String())
		text = `{"message":` + string(msg) + `}`
	}
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, text)
}

// Transcript renders requests for a golden file: method and path, the named headers, and
// the body (JSON indented). Secrets are replaced by <secret>, so goldens hold none.
func Transcript(reqs []Recorded, headers, secrets []string) string {
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.Path)
		for _, h := range headers {
			if v := r.Header.Get(h); v != "" {
				fmt.Fprintf(&b, "%s: %s\n", h, v)
			}
		}
		b.WriteString("\n")
		if len(r.Body) > 0 {
			var out bytes.Buffer
			if json.Indent(&out, r.Body, "", "  ") == nil {
				b.Write(out.Bytes())
			} else {
				b.Write(r.Body)
			}
			b.WriteString("\n\n")
		}
	}
	text := b.String()
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "<secret>")
		}
	}
	return text
}
