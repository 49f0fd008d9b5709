package sinktest

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// Case describes a sink for Run.
type Case struct {
	// New builds the sink under test pointed at baseURL, the fake server's root.
	New func(t *testing.T, baseURL string) sink.Sink
	// API answers the sink's requests when no fault is injected; nil answers 200 "{}".
	API http.Handler
	// Events are sent in order for the golden payloads; nil sends Events().
	Events []sink.Event
	// Golden is the file holding the expected requests (see Transcript).
	Golden string
	// Update rewrites Golden instead of comparing (the test package's -update flag).
	Update bool
	// Headers are the request headers shown in the golden file.
	Headers []string
	// Secrets must appear in no error and no log line; they are <secret> in the golden.
	Secrets []string
	// Probe is the event the fault tests send; zero sends Finished().
	Probe sink.Event
}

// Run checks a sink against the contract every sink keeps:
//   - golden_payloads: the requests for Events match the golden file;
//   - retries_5xx: a 503 asks for a retry, and the retry succeeds;
//   - retries_429_after_the_wait: a 429 with Retry-After asks for a retry after that wait;
//   - no_retry_on_400: a 400 is final;
//   - dispatcher_recovers: through a real Dispatcher, two 502s are retried away with no
//     warning;
//   - cancel_stops_it: a hung request ends when the context is cancelled;
//   - no_secret_leaks: errors and log lines hold no secret, whatever the server echoes.
func Run(t *testing.T, c Case) {
	t.Helper()
	if c.Events == nil {
		c.Events = Events()
	}
	if c.Probe.Kind == "" {
		c.Probe = Finished()
	}
	t.Run("golden_payloads", func(t *testing.T) {
		srv := NewServer(t, c.API)
		s := c.New(t, srv.URL)
		for _, ev := range c.Events {
			if _, err := s.Send(t.Context(), ev); err != nil {
				t.Fatalf("%s event: %v", ev.Kind, err)
			}
		}
		got := strings.ReplaceAll(Transcript(srv.Requests(), c.Headers, c.Secrets), srv.URL, "http://sink.test")
		CompareGolden(t, c.Golden, got, c.Update)
	})
	t.Run("retries_5xx", func(t *testing.T) {
		srv := NewServer(t, c.API)
		s := c.New(t, srv.URL)
		srv.Fail(Fault{Status: http.StatusServiceUnavailable, Body: "upstream unavailable"})
		retry, err := s.Send(t.Context(), c.Probe)
		if err == nil || !retry {
			t.Fatalf("after a 503: retry %v, err %v; want a retryable error", retry, err)
		}
		if _, err := s.Send(t.Context(), c.Probe); err != nil {
			t.Fatalf("the retry failed: %v", err)
		}
	})
	t.Run("retries_429_after_the_wait", func(t *testing.T) {
		srv := NewServer(t, c.API)
		s := c.New(t, srv.URL)
		srv.Fail(Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3"}}, Body: "slow down"})
		retry, err := s.Send(t.Context(), c.Probe)
		if err == nil || !retry {
			t.Fatalf("after a 429: retry %v, err %v; want a retryable error", retry, err)
		}
		if got := sink.RequestedWait(err); got != 3*time.Second {
			t.Errorf("after a 429 with Retry-After: 3, the error asks to wait %s, want 3s", got)
		}
	})
	t.Run("no_retry_on_400", func(t *testing.T) {
		srv := NewServer(t, c.API)
		s := c.New(t, srv.URL)
		srv.Fail(repeat(Fault{Status: http.StatusBadRequest, Body: `{"message":"invalid payload"}`}, 20)...)
		retry, err := s.Send(t.Context(), c.Probe)
		if err == nil || retry {
			t.Fatalf("after a 400: retry %v, err %v; want a final error", retry, err)
		}
	})
	t.Run("dispatcher_recovers", func(t *testing.T) {
		srv := NewServer(t, c.API)
		s := c.New(t, srv.URL)
		srv.Fail(Fault{Status: http.StatusBadGateway}, Fault{Status: http.StatusBadGateway})
		d := sink.New([]sink.Sink{s}, sink.Options{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if w := d.Finish(ctx, c.Probe); len(w) > 0 {
			t.Errorf("warnings after two 502s: %q", w)
		}
	})
	t.Run("cancel_stops_it", func(t *testing.T) {
		srv := NewServer(t, c.API)
		s := c.New(t, srv.URL)
		srv.Fail(repeat(Fault{Hang: true}, 20)...)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := s.Send(ctx, c.Probe)
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err == nil {
				t.Error("a cancelled send reported success")
			}
		case <-time.After(30 * time.Second): // a hang guard, not a speed limit
			t.Fatal("Send did not return after its context was cancelled")
		}
	})
	t.Run("no_secret_leaks", func(t *testing.T) {
		var texts []string
		srv := NewServer(t, c.API)
		faults := []Fault{
			{Status: http.StatusBadRequest, Echo: true},
			{Status: http.StatusInternalServerError, Echo: true},
			{Status: http.StatusForbidden, Echo: true},
		}
		for _, f := range faults {
			s := c.New(t, srv.URL)
			srv.Fail(repeat(f, 20)...)
			_, err := s.Send(t.Context(), c.Probe)
			if err == nil {
				t.Errorf("a %d answer gave no error", f.Status)
				continue
			}
			texts = append(texts, err.Error())
			srv.mu.Lock()
			srv.faults = nil
			srv.mu.Unlock()
		}
		// Through the dispatcher too: its retry log lines and warnings.
		var mu sync.Mutex
		logf := func(line string) { mu.Lock(); texts = append(texts, line); mu.Unlock() }
		srv.Fail(Fault{Status: http.StatusBadGateway, Echo: true}, Fault{Status: http.StatusBadRequest, Echo: true})
		d := sink.New([]sink.Sink{c.New(t, srv.URL)}, sink.Options{BaseDelay: time.Millisecond, Log: logf})
		texts = append(texts, d.Finish(t.Context(), c.Probe)...)
		// No answer at all: the error names the endpoint, never its secret parts.
		dead := deadURL(t)
		_, err := c.New(t, dead).Send(t.Context(), c.Probe)
		if err == nil {
			t.Error("an unreachable endpoint gave no error")
		} else {
			texts = append(texts, err.Error())
		}
		noSecret(t, texts, c.Secrets)
	})
}

// noSecret fails the test for every text that holds one of the secrets.
func noSecret(t *testing.T, texts, secrets []string) {
	t.Helper()
	for _, text := range texts {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("a secret leaked into %q", text)
			}
		}
	}
}

func repeat[F any](f F, n int) []F {
	out := make([]F, n)
	for i := range out {
		out[i] = f
	}
	return out
}

// deadURL is a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	return "http://" + deadAddr(t)
}

// CompareGolden compares text with a golden file, or rewrites it when update is set.
func CompareGolden(t *testing.T, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); regenerate with -update after checking:\n%s", path, diff)
	}
}
