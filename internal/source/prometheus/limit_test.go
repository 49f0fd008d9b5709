package prometheus

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestAnswerSizeIsBounded is the regression test of a backend (or a proxy in front of it)
// answering without end: the API library reads a body whole, so the client read it all —
// gigabytes in memory — until the query timed out. Now the read stops one byte past
// MaxAnswer with an error that says so; an answer of exactly MaxAnswer is still read.
func TestAnswerSizeIsBounded(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	const head, tail = `{"status":"success","data":{"resultType":"scalar","result":[1,"1"`, `]}}`
	tooLarge := "Prometheus at {url} sent an answer larger than 1 MiB (HTTP 200); it was not read"
	tests := []struct {
		name    string
		size    int // body bytes in all; -1: endless
		wantErr string
	}{
		{name: "endless_body", size: -1, wantErr: tooLarge},
		{name: "one_byte_over", size: limit + 1, wantErr: tooLarge},
		{name: "exactly_the_limit", size: limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sent atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				write := func(b []byte) bool {
					n, err := w.Write(b)
					sent.Add(int64(n))
					return err == nil
				}
				write([]byte(head))
				if tt.size >= 0 {
					// Padding inside the JSON value keeps the answer valid.
					write([]byte(strings.Repeat(" ", tt.size-len(head)-len(tail)) + tail))
					return
				}
				chunk := bytes.Repeat([]byte(" "), 1<<16)
				for sent.Load() < 1<<30 && write(chunk) { // the old client read until its timeout
				}
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, Options{URL: srv.URL, Timeout: time.Minute, MaxAnswer: limit})
			_, err := c.Query(t.Context(), "1", time.Time{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("an answer of exactly %d bytes: %v", limit, err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != Failed || pe.Msg != expand(tt.wantErr, srv.URL) {
				t.Fatalf("err = %v, want a %s error %q", err, Failed, expand(tt.wantErr, srv.URL))
			}
			// What the server wrote before the client hung up: the limit plus the socket
			// buffers, far from the gigabyte the old client took.
			if n := sent.Load(); n > 64*limit {
				t.Errorf("the server sent %d MiB before the client stopped reading", n>>20)
			}
		})
	}
}

// limitedBody is exact at its boundary whatever the reads' sizes.
func TestLimitedBody(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 9, 10, 11, 100} {
		b := &limitedBody{rc: io.NopCloser(strings.NewReader(strings.Repeat("x", size))), left: 10, limit: 10}
		got, err := io.ReadAll(b)
		var tl *tooLargeError
		switch {
		case size <= 10 && (err != nil || len(got) != size):
			t.Errorf("%d bytes: read %d, err %v; want all of them", size, len(got), err)
		case size > 10 && !errors.As(err, &tl):
			t.Errorf("%d bytes: read %d, err %v; want the limit's error", size, len(got), err)
		}
	}
}
