// Package promserver runs a real Prometheus (the Debian `prometheus` binary) for tests:
// on a free loopback port, with its storage in the test's temporary directory, scraping
// the given targets and optionally preloaded with backfilled samples. Only _test.go files
// import it.
//
// Timing of Prometheus 2.42: ready 0.05–0.2 s after start, but the first scrape comes
// about 5 s later (its service-discovery update interval has no flag), so a rate() over
// live scrapes needs 6–7 s: give WaitFor 30 s. Backfilled data needs no waiting.
package promserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts of the harness.
const (
	readyTimeout = 30 * time.Second
	stopGrace    = 5 * time.Second
	maxAttempts  = 3
)

// installHint says how to get the binary; CI must fail, not skip, without it.
const installHint = "install it with: apt-get install -y prometheus (`make test` does this)"

// Options configures a server.
type Options struct {
	// Targets are host:port addresses scraped under job "deploywatch-test"; may be empty.
	Targets []string
	// ScrapeInterval is the global scrape and evaluation interval; zero means 1s.
	ScrapeInterval time.Duration
	// Backfill is OpenMetrics text with timestamps, ending "# EOF", loaded into the
	// storage before start. Its samples must be older than the head block: end them a few
	// minutes in the past (or use fixed old timestamps, which the long retention keeps),
	// and query them with a time inside their range.
	Backfill string
}

// Server is a running Prometheus.
type Server struct {
	// URL is the base URL of its HTTP API, http://127.0.0.1:PORT.
	URL string

	cmd      *exec.Cmd
	logPath  string
	exited   chan struct{} // closed once the process has been waited for
	waitErr  error
	stopOnce sync.Once
}

// Binary returns the path of the prometheus binary, or an error that says how to install it.
func Binary() (string, error) {
	return find("prometheus")
}

// find looks for a program on PATH, then in /usr/bin where Debian puts it.
func find(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/bin", name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p, nil
	}
	return "", fmt.Errorf("promserver: %s not found on PATH or in /usr/bin: %s", name, installHint)
}

// Start runs Prometheus for the test and stops it when the test ends, passed or not.
// A missing binary or a server that does not become ready fails the test: it is never
// skipped.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	return start(t, o, freePort)
}

// start is Start with the port picker injectable, to test the retry on a taken port.
func start(t testing.TB, o Options, port func() (int, error)) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	interval := o.ScrapeInterval
	if interval <= 0 {
		interval = time.Second
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config(o.Targets, interval)), 0o644); err != nil {
		t.Fatalf("promserver: write config: %v", err)
	}
	data := filepath.Join(dir, "data")
	if o.Backfill != "" {
		backfill(t, bin, dir, data, o.Backfill)
	}
	for attempt := 1; ; attempt++ {
		p, err := port()
		if err != nil {
			t.Fatalf("promserver: pick a port: %v", err)
		}
		s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(p),
			logPath: filepath.Join(dir, fmt.Sprintf("prometheus-%d.log", attempt))}
		s.launch(t, bin,
			"--web.listen-address=127.0.0.1:"+strconv.Itoa(p),
			"--storage.tsdb.path="+data,
			"--config.file="+cfg,
			// Backfilled samples may carry fixed old timestamps: keep them.
			"--storage.tsdb.retention.time=100y",
		)
		err = s.waitReady(readyTimeout)
		if err == nil {
			return s
		}
		s.Stop()
		if errors.Is(err, errExited) && strings.Contains(s.logTail(), "address already in use") && attempt < maxAttempts {
			t.Logf("promserver: port %d taken, retrying with another", p)
			continue
		}
		t.Fatalf("promserver: prometheus not ready at %s: %v\n--- prometheus log (tail) ---\n%s", s.URL, err, s.logTail())
	}
}

// launch starts the process with its output in the log file and registers its stop.
func (s *Server) launch(t testing.TB, bin string, args ...string) {
	t.Helper()
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatalf("promserver: create log: %v", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("promserver: start %s: %v", bin, err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.Stop)
}

// Stop ends the process: SIGTERM, then SIGKILL after 5 s, and waits for it. It is
// idempotent and also runs when the test ends.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		timer := time.NewTimer(stopGrace)
		defer timer.Stop()
		select {
		case <-s.exited:
		case <-timer.C:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// freePort asks the kernel for a free loopback port. Another process may take it before
// Prometheus binds it; start retries then.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the end of the process's output, for failure messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const maxBytes, maxLines = 4096, 30
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n")
}
