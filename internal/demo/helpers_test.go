package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Releases used across tests: the one serving before the deploy and the new one.
var (
	oldRelease = NewRelease("1.4.1")
	newRelease = NewRelease("1.4.2")
)

// startTest starts a service with a fixed seed on a free loopback port, deployed to
// newRelease, and stops it when the test ends.
func startTest(t *testing.T) *Service {
	t.Helper()
	s, err := start(Options{Initial: oldRelease}, 1)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	s.Deploy(newRelease)
	return s
}

// answer is a decoded response.
type answer struct {
	code        int
	contentType string
	body        string
}

// do sends one request with a fresh client (no connection reuse) and a hang guard.
func do(t *testing.T, method, url string) (answer, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(""))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{code: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(b)}, nil
}

// mustDo is do that fails the test on a transport error.
func mustDo(t *testing.T, method, url string) answer {
	t.Helper()
	a, err := do(t, method, url)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// decode parses a JSON body into a generic value for cmp.
func decode(t *testing.T, body string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	return v
}

// logRecorder collects Logf lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logRecorder) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
