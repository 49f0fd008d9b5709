package check

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Secrets the suite sends everywhere; TestMain fails the run if any measurement shows one.
const (
	secretBearer   = "s3cr3t-b34rer-t0ken-7f1c"
	secretAPIKey   = "k3y-9d8e7f6a5b4c"
	secretPassword = "pa55w0rd-in-url-42"
	secretQuery    = "qu3ry-t0ken-31337"
	secretTestHdr  = "sm0ke-only-s3cret-55"
)

var leakSecrets = []string{secretBearer, secretAPIKey, secretPassword, secretQuery, secretTestHdr}

// recorded holds every measurement the suite produced, for the leak scan in TestMain.
var recorded struct {
	sync.Mutex
	all []model.Measurement
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaks := scanLeaks(); len(leaks) > 0 {
			for _, l := range leaks {
				fmt.Fprintln(os.Stderr, "secret leaked:", l)
			}
			code = 1
		} else if n := len(recorded.all); n < 50 && flag.Lookup("test.run").Value.String() == "" {
			fmt.Fprintf(os.Stderr, "leak scan saw only %d measurements; the suite should record more\n", n)
			code = 1
		}
	}
	os.Exit(code)
}

// scanLeaks lists every recorded text field holding a known secret.
func scanLeaks() []string {
	recorded.Lock()
	defer recorded.Unlock()
	var leaks []string
	for _, m := range recorded.all {
		for _, text := range measurementTexts(m) {
			for _, s := range leakSecrets {
				if strings.Contains(text, s) {
					leaks = append(leaks, fmt.Sprintf("%s: %q", m.Check, text))
				}
			}
		}
	}
	return leaks
}

func measurementTexts(m model.Measurement) []string {
	texts := []string{m.Check, m.Message, m.ProbeError, m.Value, m.Expected, m.Baseline}
	for _, p := range m.Parts {
		texts = append(texts, p.Name, p.Detail)
	}
	return texts
}

// probe runs c once with ctx, records the measurement and checks what every measurement
// must satisfy: one-line text and a message.
func probe(t *testing.T, ctx context.Context, c Check) model.Measurement {
	t.Helper()
	m := c.Run(ctx)
	recorded.Lock()
	recorded.all = append(recorded.all, m)
	recorded.Unlock()
	if m.Message == "" {
		t.Errorf("measurement has no message: %+v", m)
	}
	for _, text := range measurementTexts(m) {
		if strings.IndexFunc(text, unicode.IsControl) >= 0 {
			t.Errorf("text is not one line: %q", text)
		}
	}
	if m.Breach && m.ProbeError != "" {
		t.Errorf("measurement is both a breach and a probe error: %+v", m)
	}
	if m.Check != c.Spec().Name {
		t.Errorf("Check = %q, want %q", m.Check, c.Spec().Name)
	}
	return m
}

// assertMeasurement compares everything but Latency.
func assertMeasurement(t *testing.T, got, want model.Measurement) {
	t.Helper()
	got.Latency = 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measurement mismatch (-want +got):\n%s", diff)
	}
}

func testSpec(kind model.CheckKind, signal model.Signal) model.CheckSpec {
	return model.CheckSpec{Name: string(kind) + " check", Kind: kind, Signal: signal, Target: "test",
		Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
}

// secretHeaders are configured headers whose values must never show.
func secretHeaders() http.Header {
	return http.Header{
		"Authorization": {"Bearer " + secretBearer},
		"X-Api-Key":     {secretAPIKey},
	}
}

func secretConfig() HTTPConfig { return HTTPConfig{Headers: secretHeaders()} }

// withCreds adds a password and a token parameter to a server URL plus path.
func withCreds(t *testing.T, base, path string) string {
	t.Helper()
	u, err := url.Parse(base + path)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("deployer", secretPassword)
	q := u.Query()
	q.Set("token", secretQuery)
	u.RawQuery = q.Encode()
	return u.String()
}

// server starts a loopback server closed at cleanup.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// respond returns a handler answering status and body.
func respond(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

// refusedURL is the URL of a loopback port nothing listens on any more.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/health/ready"
}

// hijack returns a handler that takes the connection over and closes it without an
// answer; with reset, SO_LINGER 0 makes the close send a RST instead of a FIN.
func hijack(t *testing.T, reset bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if reset {
			if err := conn.(*net.TCPConn).SetLinger(0); err != nil {
				t.Errorf("linger: %v", err)
			}
		}
		conn.Close()
	}
}

// hang returns a handler that blocks until the client goes away or the test ends; with
// partial, it sends the status and part of the body first.
func hang(t *testing.T, partial bool) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return func(w http.ResponseWriter, r *http.Request) {
		if partial {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, `{"status":`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

// headerRecorder records the headers of every request a handler sees.
type headerRecorder struct {
	mu   sync.Mutex
	seen []http.Header
	host []string
}

func (h *headerRecorder) record(r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, r.Header.Clone())
	h.host = append(h.host, r.Host)
}

func (h *headerRecorder) last(t *testing.T) (http.Header, string) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		t.Fatal("no request recorded")
	}
	return h.seen[len(h.seen)-1], h.host[len(h.host)-1]
}

// testCert is a self-signed certificate usable as both server certificate and root.
type testCert struct {
	tls  tls.Certificate
	x509 *x509.Certificate
}

func newTestCert(t *testing.T, notBefore, notAfter time.Time, dnsNames []string, ips []net.IP) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{CommonName: "deploywatch test"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, x509: parsed}
}

// tlsServer serves h over TLS with cert.
func tlsServer(t *testing.T, cert testCert, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert.tls}}
	// The handshake errors these tests provoke would clutter the log.
	ts.Config.ErrorLog = quietLog
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

// trustingClient is a client whose only root is cert.
func trustingClient(cert testCert) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(cert.x509)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

var loopbackIPs = []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback}

// quietLog swallows the server-side errors (TLS handshakes, aborted handlers) that tests
// provoke on purpose.
var quietLog = log.New(io.Discard, "", 0)
