package check

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// pipeListener is an in-memory listener: a real http.Server serves connections made of
// net.Pipe, so inside a synctest bubble the server and the client block durably and the
// fake clock runs the timeouts.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
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

// servePipe serves h on an in-memory listener and returns a config whose client dials it.
// It must be called inside the bubble; the server is closed at the end of the bubble.
func servePipe(t *testing.T, h http.HandlerFunc) HTTPConfig {
	l := newPipeListener()
	srv := &http.Server{Handler: h, ErrorLog: quietLog}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	tr := &http.Transport{DialContext: l.dial, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return HTTPConfig{Headers: secretHeaders(), Client: &http.Client{Transport: tr}}
}

// TestTimeoutsAndLatency runs the time-dependent paths on the fake clock: the default 5s
// timeout (before the headers and while reading the body) and the latency measured from
// sending the request to having read the body.
func TestTimeoutsAndLatency(t *testing.T) {
	t.Parallel()
	const target = "http://api.internal/health/ready"
	tests := []struct {
		name        string
		handler     func(release <-chan struct{}) http.HandlerFunc
		timeout     time.Duration
		want        model.Measurement
		wantLatency time.Duration
	}{
		{
			name: "default_timeout_before_headers",
			handler: func(release <-chan struct{}) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-release:
					case <-r.Context().Done():
					}
				}
			},
			want: model.Measurement{Check: "readiness check", Breach: true, Severity: model.SeverityEmergency,
				Signal: model.SignalHealth, Value: "unreachable", Expected: "2xx",
				Message: "service unreachable: GET " + target + ": no response within 5s"},
			wantLatency: 5 * time.Second,
		},
		{
			name: "configured_timeout_while_reading_body",
			handler: func(release <-chan struct{}) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Length", "100")
					w.WriteHeader(http.StatusOK)
					fmt.Fprint(w, "{")
					w.(http.Flusher).Flush()
					time.Sleep(time.Second)
					fmt.Fprint(w, `"status":`)
					w.(http.Flusher).Flush()
					select {
					case <-release:
					case <-r.Context().Done():
					}
				}
			},
			timeout: 30 * time.Second,
			want: model.Measurement{Check: "readiness check", Breach: true, Severity: model.SeverityEmergency,
				Signal: model.SignalHealth, Value: "unreachable", Expected: "2xx",
				Message: "service unreachable: GET " + target + ": response not complete within 30s"},
			wantLatency: 30 * time.Second,
		},
		{
			name: "slow_answer_within_timeout",
			handler: func(<-chan struct{}) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					time.Sleep(1500 * time.Millisecond)
					w.WriteHeader(http.StatusOK)
					fmt.Fprint(w, `{"checks":{"database":"ok"}`)
					w.(http.Flusher).Flush()
					// Latency ends when the body is read, not when the headers arrive.
					time.Sleep(2 * time.Second)
					fmt.Fprint(w, `}`)
				}
			},
			want: model.Measurement{Check: "readiness check", Value: "200", Expected: "2xx",
				Message: "ready: GET " + target + " returned 200 OK; 1 dependency ok",
				Parts:   []model.Part{{Name: "database", OK: true}}},
			wantLatency: 3500 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				h := servePipe(t, tt.handler(release))
				h.Timeout = tt.timeout
				c := NewReadiness(testSpec(model.KindReadiness, model.SignalHealth), target, h)
				got := probe(t, t.Context(), c)
				if got.Latency != tt.wantLatency {
					t.Errorf("Latency = %v, want %v", got.Latency, tt.wantLatency)
				}
				assertMeasurement(t, got, tt.want)
			})
		})
	}
}
