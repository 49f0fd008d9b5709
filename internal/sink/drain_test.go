package sink

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDoBoundsAnEndlessAnswer: an error answer that never ends is read up to a bound and
// the connection dropped; the rest was once drained for as long as the server kept
// sending (until the client's timeout).
func TestDoBoundsAnEndlessAnswer(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	// The timeout only ends the unbounded drain this test guards against.
	c := NewClient("test", 5*time.Second, nil)
	err := Do(t.Context(), c, Request{Op: "post", Method: http.MethodPost, URL: srv.URL, Body: []byte("{}")}, nil)
	var se *Error
	if !errors.As(err, &se) || se.Status != http.StatusInternalServerError {
		t.Fatalf("Do = %v, want the 500", err)
	}
	<-done
	// Two reads of maxAnswer, plus what the socket buffers held when it was closed.
	if n := sent.Load(); n > 16<<20 {
		t.Errorf("the server sent %d MiB before the client hung up, want a few", n>>20)
	}
}
