package main_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
)

// The fault suites (faults_prom_test.go, faults_service_test.go) judge every run the same
// way: its exit code, its verdict (the status output), every output written, which signals
// fired, what the summary and the report say, and the last events it left on the fake
// GitHub of its step: the deployment's final status and the sticky comment.

// svcWant is what a run must have ended with.
type svcWant struct {
	exit   int
	status string
	// signals are the outputs that must be "true"; every other signal must be "false".
	signals []string
	// texts must all appear in the summary output or the job summary (the reason).
	texts []string
}

// svcFinalState is the GitHub deployment state a verdict ends in.
var svcFinalState = map[string]string{"healthy": "success", "degraded": "success", "failed": "failure", "inconclusive": "error", "cancelled": "inactive"}

// svcJudge runs the step to its end (at most limit) and checks it against want. It returns
// the exit code's wall time since the start, for the scenarios that assert one.
func svcJudge(t *testing.T, s *step, limit time.Duration, want svcWant) time.Duration {
	t.Helper()
	code := s.wait(limit)
	took := time.Since(s.started)
	log := s.stdout.String()
	outs := s.outputs()
	if code != want.exit || outs["status"] != want.status {
		t.Fatalf("exit %d status %q, want %d %q; summary %q\n%s", code, outs["status"], want.exit, want.status, outs["summary"], log)
	}
	for _, name := range allOutputs {
		if _, ok := outs[name]; !ok {
			t.Errorf("output %s not written", name)
		}
	}
	for _, sig := range signals {
		if got, w := outs[sig], contains(want.signals, sig); got != map[bool]string{true: "true", false: "false"}[w] {
			t.Errorf("%s = %q, want %v", sig, got, w)
		}
	}
	sum := s.summaryText()
	for _, text := range want.texts {
		if !strings.Contains(outs["summary"], text) && !strings.Contains(sum, text) {
			t.Errorf("neither the summary output %q nor the job summary says %q:\n%s", outs["summary"], text, sum)
		}
	}
	if !strings.Contains(sum, "deploywatch — "+want.status) {
		t.Errorf("job summary lacks the verdict %s:\n%s", want.status, sum)
	}
	if got := s.report()["status"]; got != want.status {
		t.Errorf("report status %v, want %s", got, want.status)
	}
	svcFinalEvents(t, s, want.status)
	s.noSecrets()
	if strings.Contains(withoutMasks(log)+sum+readFile(s.output), "probe-secret-value-42") {
		t.Error("the http_headers secret leaks")
	}
	return took
}

// svcFinalEvents checks the last events on the step's GitHub: one deployment whose final
// status is the verdict's state, and one sticky comment saying the verdict.
func svcFinalEvents(t *testing.T, s *step, status string) {
	t.Helper()
	deps := s.github.Deployments()
	if len(deps) != 1 || len(deps[0].Statuses) == 0 {
		t.Fatalf("GitHub deployments %+v, want one with statuses", deps)
	}
	sts := deps[0].Statuses
	if first, last := sts[0].State, sts[len(sts)-1].State; first != "in_progress" || last != svcFinalState[status] {
		t.Errorf("deployment statuses %+v: want in_progress … %s", sts, svcFinalState[status])
	}
	if cs := s.github.IssueComments(42); len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — "+status) {
		t.Errorf("pull request comments %+v, want one saying %s", cs, status)
	}
}

// svcInvalid checks a run refused for its configuration: exit 2, the input named in an
// error annotation with want, nothing announced anywhere, and none of hidden printed.
func svcInvalid(t *testing.T, s *step, input, want string, hidden ...string) {
	t.Helper()
	code := s.wait(15 * time.Second)
	log := s.stdout.String()
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, log)
	}
	if !strings.Contains(log, annotation("error", "deploywatch: invalid input "+input)) || !strings.Contains(log, want) {
		t.Errorf("no error annotation naming %s with %q:\n%s", input, want, log)
	}
	for _, h := range hidden {
		if strings.Contains(log, h) {
			t.Errorf("the log quotes %q:\n%s", h, log)
		}
	}
	if deps := s.github.Deployments(); len(deps) != 0 {
		t.Errorf("an invalid run announced deployments %+v", deps)
	}
	if cs := s.github.IssueComments(42); len(cs) != 0 {
		t.Errorf("an invalid run commented %+v", cs)
	}
}

// svcReport is the part of the JSON report the fault suites read.
type svcReport struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	Checks []struct {
		Spec struct {
			Name string `json:"name"`
		} `json:"spec"`
		Runs   int `json:"runs"`
		Errors int `json:"errors"`
	} `json:"checks"`
}

func svcReadReport(t *testing.T, s *step) svcReport {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.workspace, "deploywatch-report.json"))
	if err != nil {
		t.Fatalf("report not written: %v", err)
	}
	var r svcReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// svcProbeErrors counts the probe errors of the checks whose name has prefix.
func svcProbeErrors(r svcReport, prefix string) (errors, runs int) {
	for _, c := range r.Checks {
		if strings.HasPrefix(c.Spec.Name, prefix) {
			errors += c.Errors
			runs += c.Runs
		}
	}
	return errors, runs
}

// svcClosedURL is an http URL on loopback where nothing listens: connections are refused.
func svcClosedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// svcPEM is the certificate of a TLS test server (its own CA) as PEM, for ca_cert.
func svcPEM(ts *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}))
}

// svcFront is the service's front door on loopback: the demo service behind a reverse
// proxy, with a fault on one path (or all).
type svcFront struct {
	*httptest.Server
	next http.Handler

	mu    sync.Mutex
	path  string
	fault http.Handler
}

func svcStartFront(t *testing.T, svc *demo.Service, tls bool) *svcFront {
	t.Helper()
	u, err := url.Parse(svc.URL())
	if err != nil {
		t.Fatal(err)
	}
	f := &svcFront{next: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}}
	if tls {
		f.Server = httptest.NewTLSServer(f)
	} else {
		f.Server = httptest.NewServer(f)
	}
	t.Cleanup(f.Close)
	return f
}

func (f *svcFront) set(path string, fault func(http.Handler) http.Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.path, f.fault = path, fault(f.next)
}

func (f *svcFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.next
	if f.fault != nil && (f.path == "" || f.path == r.URL.Path) {
		h = f.fault
	}
	f.mu.Unlock()
	h.ServeHTTP(w, r)
}

// svcKeyPEM is a fresh private key in PEM, what a user might paste as ca_cert by mistake.
func svcKeyPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
