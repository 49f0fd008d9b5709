package demo

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Options configures Start.
type Options struct {
	// Addr is the loopback host:port to listen on; "" means "127.0.0.1:0" (any free port).
	Addr string
	// Initial is the release serving before the first Deploy; empty means version 1.4.1.
	Initial Release
	// Logf, when set, gets one line per fault change or deploy, never one per request.
	Logf func(format string, args ...any)
}

// Service is the running demo service. All methods are safe for concurrent use.
type Service struct {
	logf    func(format string, args ...any)
	stopped chan struct{} // closed by Stop; releases every waiting handler

	rngMu sync.Mutex
	rng   *rand.Rand

	mu            sync.Mutex // guards the fields below
	fault         Fault
	changed       chan struct{} // closed and replaced on every fault change
	current       deployment
	previous      *deployment // what served before the last Deploy
	startedAt     time.Time   // last (re)start of the process, for uptime
	closed        bool        // set by Stop; no handler may start afterwards
	errorRate     float64     // share of orders requests failing under FaultErrors
	latencyFactor float64     // slowdown of the API routes under FaultLatency
	handlers      sync.WaitGroup

	life      sync.Mutex // serializes listener changes (crash, restart, stop)
	addr      string     // fixed host:port after the first listen, so a restart keeps the URL
	srv       *http.Server
	serveDone chan struct{}
	stopOnce  sync.Once
	stopErr   error

	traffic trafficStats
	metrics *metrics
}

// Start listens on loopback and serves until Stop. It returns once connections are
// accepted.
func Start(o Options) (*Service, error) {
	return start(o, rand.Uint64())
}

// start is Start with a chosen random seed, so tests can fix the service's randomness.
func start(o Options, seed uint64) (*Service, error) {
	addr, err := loopbackAddr(o.Addr)
	if err != nil {
		return nil, err
	}
	s := newService(o, seed)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	return s, nil
}

// newService builds a service that is not listening yet; tests drive its handler directly.
func newService(o Options, seed uint64) *Service {
	initial := o.Initial
	if initial == (Release{}) {
		initial = defaultRelease
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	now := time.Now()
	return &Service{
		logf:      logf,
		stopped:   make(chan struct{}),
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		fault:     FaultNone,
		changed:   make(chan struct{}),
		current:   deployment{release: initial, at: now},
		startedAt: now,
		traffic:   newTrafficStats(latencyRingSize),

		errorRate:     defaultErrorRate,
		latencyFactor: defaultLatencyFactor,
		metrics:       newMetrics(),
	}
}

// loopbackAddr checks that addr names a loopback host, defaulting to 127.0.0.1:0: the demo
// service is never meant to be reachable from other machines.
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		return "127.0.0.1:0", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("demo address %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("demo address %q: bad port", addr)
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case host == "localhost":
	case ip == nil || !ip.IsLoopback():
		return "", fmt.Errorf("demo address %q: host must be loopback", addr)
	}
	return net.JoinHostPort(host, port), nil
}

// URL is the service's base URL, e.g. "http://127.0.0.1:41234". It stays the same across a
// crash and restart.
func (s *Service) URL() string { return "http://" + s.addr }

// Deploy makes r the serving release: deployed_at and uptime start over. Under
// FaultVersion the previous release keeps being reported until the fault is cleared.
func (s *Service) Deploy(r Release) {
	s.mu.Lock()
	prev := s.current
	s.previous = &prev
	s.current = deployment{release: r, at: time.Now()}
	s.startedAt = s.current.at
	s.mu.Unlock()
	s.logf("demo: deployed %s (%s)", r.Version, shortCommit(r.Commit))
}

// Fault is the fault in effect.
func (s *Service) Fault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// SetFault changes the fault at once; requests in flight see the change too. FaultCrash
// closes the listener and every connection; any other fault after a crash restarts the
// service on the same address.
func (s *Service) SetFault(f Fault) {
	s.life.Lock()
	defer s.life.Unlock()

	s.mu.Lock()
	old := s.fault
	if f == old {
		s.mu.Unlock()
		return
	}
	s.fault = f
	close(s.changed)
	s.changed = make(chan struct{})
	if old == FaultCrash {
		s.startedAt = time.Now() // the process came back: uptime starts over
	}
	closed := s.closed
	s.mu.Unlock()
	s.logf("demo: fault %s -> %s", old, f)

	switch {
	case closed || s.addr == "": // stopped, or never listening (tests)
	case f == FaultCrash:
		s.closeServer()
	case s.srv == nil:
		s.relisten()
	}
}

// Stop closes the listener and every connection and releases handlers that are waiting
// (hung or slow). It returns once all handlers have returned; later calls return the same
// result.
func (s *Service) Stop() error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stopped)
		s.life.Lock()
		s.stopErr = s.closeServer()
		s.life.Unlock()
		s.handlers.Wait()
	})
	return s.stopErr
}

// serve starts an HTTP server on ln; s.life must be held (or s not yet shared).
func (s *Service) serve(ln net.Listener) {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // a demo's broken connections are expected
	}
	done := make(chan struct{})
	s.srv, s.serveDone = srv, done
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.logf("demo: serving stopped: %v", err)
		}
	}()
}

// closeServer closes the listener and every open connection at once, like a dying process;
// s.life must be held.
func (s *Service) closeServer() error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	<-s.serveDone
	s.srv, s.serveDone = nil, nil
	if err != nil {
		return fmt.Errorf("close demo server: %w", err)
	}
	return nil
}

// relisten restarts the server on its old address; s.life must be held. The port may
// briefly still be held by the closed listener, so "address in use" is retried.
func (s *Service) relisten() {
	const attempts, pause = 40, 50 * time.Millisecond
	for i := 0; ; i++ {
		ln, err := net.Listen("tcp", s.addr)
		if err == nil {
			s.serve(ln)
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || i == attempts-1 {
			s.logf("demo: cannot listen again on %s: %v", s.addr, err)
			return
		}
		select {
		case <-s.stopped:
			return
		case <-time.After(pause):
		}
	}
}

// shortCommit abbreviates a commit for log lines.
func shortCommit(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}
