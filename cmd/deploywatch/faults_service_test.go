package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFaultService runs the binary against the demo service behind a fault-injecting
// front on loopback, and breaks the service the ways real ones break: slow, resetting
// connections, redirecting in a loop, answering 10 MB, serving broken JSON on its info
// endpoint, presenting a certificate of a private CA. The README's line: a service that
// does not answer (in time, or at all) is failing; an answer the monitor cannot read is a
// probe error, inconclusive when it lasts, never a pass and never a failure of the service.
func TestFaultService(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// path is the endpoint the fault hits ("" every one); onset when it starts after
		// the run's start (0: from the start).
		path  string
		fault func(next http.Handler) http.Handler
		onset time.Duration
		// tls serves the front over HTTPS with a certificate of its own CA: "untrusted",
		// "ca_cert" (the CA's PEM as ca_cert) or "ca_cert_file" (a path to it).
		tls  string
		want svcWant
	}{
		{name: "slow_within_the_timeout", fault: svcDelay(300 * time.Millisecond), want: svcWant{exit: 0, status: "healthy"}},
		{name: "slow_beyond_the_timeout", path: "/health/ready", fault: svcDelay(6 * time.Second), onset: onset,
			want: svcWant{exit: 1, status: "failed", signals: []string{"health_check_failed"}, texts: []string{"no response within 2s"}}},
		{name: "connection_resets", path: "/health/ready", fault: svcReset, onset: onset,
			want: svcWant{exit: 1, status: "failed", signals: []string{"health_check_failed"}, texts: []string{"connection reset"}}},
		{name: "redirect_loop", path: "/health/ready", fault: svcRedirectLoop, onset: onset,
			want: svcWant{exit: 1, status: "failed", signals: []string{"health_check_failed"}, texts: []string{"redirect loop: stopped after 10 redirects"}}},
		// Readiness is decided by the status code: a 10 MB body is read up to its 1 MiB
		// bound, then dropped.
		{name: "ten_mb_body_on_readiness", path: "/health/ready", fault: svcHugeBody, want: svcWant{exit: 0, status: "healthy"}},
		{name: "ten_mb_body_on_info", path: "/health/info", fault: svcHugeBody,
			want: svcWant{exit: 3, status: "inconclusive", texts: []string{"info response exceeds 1 MiB"}}},
		{name: "ten_mb_body_on_smoke_test", path: "/api/v1/status", fault: svcHugeBody,
			want: svcWant{exit: 1, status: "failed", signals: []string{"smoke_tests_failed"}, texts: []string{"response exceeds 1 MiB"}}},
		{name: "invalid_json_on_info", path: "/health/info", fault: svcBrokenJSON,
			want: svcWant{exit: 3, status: "inconclusive", texts: []string{"info response is not JSON"}}},
		{name: "tls_unknown_ca", tls: "untrusted",
			want: svcWant{exit: 3, status: "inconclusive", texts: []string{"certificate signed by unknown authority; the service's CA is not trusted (add it with ca_cert)"}}},
		{name: "tls_ca_cert_pem", tls: "ca_cert", want: svcWant{exit: 0, status: "healthy"}},
		{name: "tls_ca_cert_file", tls: "ca_cert_file", want: svcWant{exit: 0, status: "healthy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := svcStartFront(t, service(t), tt.tls != "")
			with := standardInputs(f.URL)
			// Loose enough for a busy machine; the slow cases are well past it.
			with["http_timeout"] = "2s"
			s := newStep(t, with)
			switch tt.tls {
			case "ca_cert":
				s.cmd.Env = append(s.cmd.Env, "INPUT_CA_CERT="+svcPEM(f.Server))
			case "ca_cert_file":
				// A path relative to the workspace, as a checked-out file is given.
				if err := os.WriteFile(filepath.Join(s.workspace, "ca.pem"), []byte(svcPEM(f.Server)), 0o644); err != nil {
					t.Fatal(err)
				}
				s.cmd.Env = append(s.cmd.Env, "INPUT_CA_CERT=ca.pem")
			}
			if tt.fault != nil && tt.onset == 0 {
				f.set(tt.path, tt.fault)
			}
			s.start()
			if tt.fault != nil && tt.onset > 0 {
				timer := time.AfterFunc(tt.onset, func() { f.set(tt.path, tt.fault) })
				t.Cleanup(func() { timer.Stop() })
			}
			took := svcJudge(t, s, 30*time.Second, tt.want)
			t.Logf("ended after %s", took.Round(time.Millisecond))
		})
	}
}

// TestFaultCACertEverywhere puts every HTTP endpoint of a run behind TLS of a private CA
// (httptest's: every TLS test server presents it) — the service's health and smoke URLs,
// its /metrics (metrics_url) and the deployment-event webhook — and gives that CA as
// ca_cert: all of them are trusted, and the webhook gets the start and the final event.
// Without ca_cert the scrape's preflight names the certificate problem, exit 3.
func TestFaultCACertEverywhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		caCert      bool
		want        svcWant
		wantWebhook []string
		// wantLog: an untrusted sink is turned off at once, not retried for the run's
		// certificate to change.
		wantLog string
	}{
		{name: "with_ca_cert", caCert: true, want: svcWant{exit: 0, status: "healthy"}, wantWebhook: []string{"running", "success"}},
		{name: "without_ca_cert", want: svcWant{exit: 3, status: "inconclusive",
			texts: []string{"the monitor could not start", "metrics_url", "certificate signed by unknown authority"}},
			wantLog: "webhook: turned off for the rest of this run: post deployment event: POST https://127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); svc.Traffic(ctx, 100) }()
			t.Cleanup(func() { stop(); <-done })
			f := svcStartFront(t, svc, true)
			var mu sync.Mutex
			var events []string
			hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ev struct{ Status string }
				_ = json.NewDecoder(r.Body).Decode(&ev)
				mu.Lock()
				events = append(events, ev.Status)
				mu.Unlock()
				_, _ = io.WriteString(w, `{}`)
			}))
			t.Cleanup(hook.Close)
			with := standardInputs(f.URL)
			for k, v := range map[string]string{"metrics_url": f.URL + "/metrics", "webhook_url": hook.URL + "/api/v1/deployments/",
				"webhook_token": "hook-t0ken-secret", "error_rate_threshold": "5%", "schedule": "1s,6s", "interval": "500ms",
				"http_timeout": "5s"} {
				with[k] = v
			}
			if tt.caCert {
				with["ca_cert"] = svcPEM(f.Server)
			}
			s := newStep(t, with)
			s.start()
			took := svcJudge(t, s, 30*time.Second, tt.want)
			t.Logf("ended after %s", took.Round(time.Millisecond))
			log := s.stdout.String()
			if !strings.Contains(log, tt.wantLog) || strings.Contains(log, "retrying in") {
				t.Errorf("log lacks %q, or a sink retried:\n%s", tt.wantLog, log)
			}
			if strings.Contains(withoutMasks(log)+s.summaryText()+readFile(s.output), "hook-t0ken-secret") {
				t.Error("the webhook token leaks")
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(events, tt.wantWebhook) {
				t.Errorf("webhook events %q, want %q\n%s", events, tt.wantWebhook, s.stdout.String())
			}
		})
	}
}

// svcDelay answers after d, or not at all when the client gives up first.
func svcDelay(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			timer := time.NewTimer(d)
			defer timer.Stop()
			select {
			case <-timer.C:
				next.ServeHTTP(w, r)
			case <-r.Context().Done():
			}
		})
	}
}

// svcReset accepts the request and resets the connection (RST, not FIN).
func svcReset(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	})
}

// svcRedirectLoop redirects a path to itself.
func svcRedirectLoop(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	})
}

// svcHugeBody answers 200 with a 10 MB JSON document, as far as the client reads it.
func svcHugeBody(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		const size = 10 << 20
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "10485760")
		head, tail := `{"status":"ok","commit":"`+newRelease.Commit+`","pad":"`, `"}`
		_, _ = io.WriteString(w, head)
		_, _ = w.Write(bytes.Repeat([]byte("x"), size-len(head)-len(tail)))
		_, _ = io.WriteString(w, tail)
	})
}

// svcBrokenJSON answers the info endpoint with JSON cut short.
func svcBrokenJSON(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"commit": "`+newRelease.Commit+`", "version": "1.4.`)
	})
}

// TestFaultCACertInput gives ca_cert values that cannot work: each is a configuration
// problem naming the input (exit 2), before anything is announced, and the content —
// long, and a key when pasted by mistake — is never echoed.
func TestFaultCACertInput(t *testing.T) {
	t.Parallel()
	key := svcKeyPEM(t)
	garbled := "-----BEGIN CERTIFICATE-----\nMIIBnotbase64atall!!\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name  string
		value string
		file  string // written to ca.pem in the workspace first
		want  string
		// hidden must not be printed.
		hidden []string
	}{
		{name: "garbled_pem_content", value: garbled, want: "PEM content holds no PEM certificate", hidden: []string{"MIIBnotbase64atall"}},
		{name: "private_key_pasted", value: key, want: "PEM content holds a PRIVATE KEY as PEM block 1, not a CERTIFICATE: give the certificate of the CA, never a key",
			hidden: []string{strings.Split(key, "\n")[1]}},
		{name: "missing_file", value: "certs/ca.pem", want: `ca_cert "certs/ca.pem" (from INPUT_CA_CERT): is neither PEM content nor a readable PEM file: no such file or directory`},
		{name: "file_without_certificate", value: "ca.pem", file: "not a certificate\n",
			want: `ca_cert "ca.pem" (from INPUT_CA_CERT): the file holds no PEM certificate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStep(t, map[string]string{"health_url": "https://127.0.0.1:1/health/ready", "ca_cert": tt.value})
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(s.workspace, "ca.pem"), []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s.start()
			svcInvalid(t, s, "ca_cert", tt.want, tt.hidden...)
		})
	}
}
