package prometheus

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// reply is what the backend answers on an API path.
type reply struct {
	status      int
	contentType string // default application/json, like Prometheus
	file        string // under testdata/
	body        string // when no file
}

// request is what the backend received.
type request struct {
	Method string
	Host   string
	Path   string
	Form   url.Values
	Header http.Header
}

// backend is an httptest server routed on the real API paths under prefix; any other
// path gets the mux's plain-text 404, as from Prometheus itself.
type backend struct {
	*httptest.Server
	mu  sync.Mutex
	got []request
}

func newBackend(t *testing.T, prefix string, replies map[string]reply) *backend {
	t.Helper()
	b := &backend{}
	mux := http.NewServeMux()
	for path, rep := range replies {
		mux.HandleFunc(prefix+path, func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				t.Errorf("ParseForm: %v", err)
			}
			b.mu.Lock()
			b.got = append(b.got, request{Method: r.Method, Host: r.Host, Path: r.URL.Path, Form: r.Form, Header: r.Header.Clone()})
			b.mu.Unlock()
			body := rep.body
			if rep.file != "" {
				body = fixture(t, rep.file)
			}
			ct := rep.contentType
			if ct == "" {
				ct = "application/json"
			}
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(rep.status)
			_, _ = w.Write([]byte(body))
		})
	}
	b.Server = httptest.NewServer(mux)
	t.Cleanup(b.Close)
	return b
}

// requests returns what the backend received so far.
func (b *backend) requests() []request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]request(nil), b.got...)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// ok is a 200 answer from a fixture.
func ok(file string) reply { return reply{status: http.StatusOK, file: file} }

// expand puts the backend's URL in a wanted message.
func expand(s, url string) string { return strings.ReplaceAll(s, "{url}", url) }
