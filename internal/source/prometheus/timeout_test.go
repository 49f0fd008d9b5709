package prometheus

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener is an in-memory listener: a real http.Server serves connections made of
// net.Pipe, so inside a synctest bubble both sides block durably and the fake clock runs
// the timeouts (loopback sockets would keep the bubble from ever being idle).
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, srv := net.Pipe()
	select {
	case l.conns <- srv:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// servePipe serves h in memory and returns a client that dials it. Call it inside the bubble.
func servePipe(t *testing.T, h http.HandlerFunc) *http.Client {
	l := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	tr := &http.Transport{DialContext: l.dial, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestTimeout: a backend that does not answer is cut off after the per-query timeout,
// on the fake clock; the caller's own cancellation is reported as such.
func TestTimeout(t *testing.T) {
	t.Parallel()
	const base = "http://prom.test"
	tests := []struct {
		name    string
		timeout time.Duration
		cancel  time.Duration // the caller cancels after this; 0: never
		// perCheck is a check's own timeout (WithTimeout), over the client's.
		perCheck time.Duration
		want     string
		wantErr  error
		elapsed  time.Duration
	}{
		{name: "default_timeout", want: `prometheus query "up": cannot reach Prometheus at http://prom.test: no answer within 10s`,
			wantErr: context.DeadlineExceeded, elapsed: 10 * time.Second},
		{name: "configured_timeout", timeout: 3 * time.Second,
			want:    `prometheus query "up": cannot reach Prometheus at http://prom.test: no answer within 3s`,
			wantErr: context.DeadlineExceeded, elapsed: 3 * time.Second},
		{name: "per_check_timeout_longer", perCheck: 30 * time.Second,
			want:    `prometheus query "up": cannot reach Prometheus at http://prom.test: no answer within 30s`,
			wantErr: context.DeadlineExceeded, elapsed: 30 * time.Second},
		{name: "per_check_timeout_shorter", timeout: 20 * time.Second, perCheck: 2 * time.Second,
			want:    `prometheus query "up": cannot reach Prometheus at http://prom.test: no answer within 2s`,
			wantErr: context.DeadlineExceeded, elapsed: 2 * time.Second},
		{name: "per_check_timeout_zero_keeps_the_client_s", timeout: 3 * time.Second, perCheck: 0,
			want:    `prometheus query "up": cannot reach Prometheus at http://prom.test: no answer within 3s`,
			wantErr: context.DeadlineExceeded, elapsed: 3 * time.Second},
		{name: "caller_cancels_first", timeout: 3 * time.Second, cancel: time.Second,
			want: `prometheus query "up": context canceled`, wantErr: context.Canceled, elapsed: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				hc := servePipe(t, func(w http.ResponseWriter, r *http.Request) {
					select { // past any timeout
					case <-release:
					case <-r.Context().Done():
					}
				})
				c := newClient(t, Options{URL: base, Timeout: tt.timeout, Client: hc}).WithTimeout(tt.perCheck)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				if tt.cancel > 0 {
					time.AfterFunc(tt.cancel, cancel)
				}
				began := time.Now()
				_, err := c.Query(ctx, "up", docsTime)
				if got := time.Since(began); got != tt.elapsed {
					t.Errorf("gave up after %v (fake clock), want %v", got, tt.elapsed)
				}
				if err == nil || err.Error() != tt.want {
					t.Errorf("err = %v, want %s", err, tt.want)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("errors.Is(err, %v) = false", tt.wantErr)
				}
			})
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	c := newClient(t, Options{URL: url})
	_, err = c.Query(t.Context(), "up", docsTime)
	checkErr(t, err, outcome{kind: Unreachable, msg: `prometheus query "up": cannot reach Prometheus at {url}: connection refused`}, "up", url)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(err, ECONNREFUSED) = false for %v", err)
	}
}
