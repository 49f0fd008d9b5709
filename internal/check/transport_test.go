package check

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// TestTransportFailures drives a readiness check into every kind of transport failure
// against real loopback servers and checks who is blamed: the service (a breach) or the
// monitor (a probe error).
func TestTransportFailures(t *testing.T) {
	t.Parallel()
	expired := func(t *testing.T) testCert {
		return newTestCert(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Date(2021, 1, 2, 0, 0, 0, 0, time.UTC), nil, loopbackIPs)
	}
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }
	unreachable := func(shown, reason string) model.Measurement {
		return model.Measurement{Check: "readiness check", Breach: true, Severity: model.SeverityEmergency,
			Signal: model.SignalHealth, Value: "unreachable", Expected: "2xx",
			Message: "service unreachable: GET " + shown + ": " + reason}
	}
	probeErr := func(text string) model.Measurement {
		return model.Measurement{Check: "readiness check", Expected: "2xx", ProbeError: text, Message: text}
	}
	tests := []struct {
		name string
		// setup returns the URL to probe, the config and the context to run with.
		setup func(t *testing.T) (string, HTTPConfig, model.CheckSpec)
		ctx   func(t *testing.T) context.Context
		want  func(shown string) model.Measurement
	}{
		{
			name: "connection_refused",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				return refusedURL(t), secretConfig(), testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement { return unreachable(shown, "connection refused") },
		},
		{
			name: "connection_reset",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				return withCreds(t, server(t, hijack(t, true)).URL, "/health/ready"), secretConfig(),
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement { return unreachable(shown, "connection reset") },
		},
		{
			name: "closed_without_response",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				return withCreds(t, server(t, hijack(t, false)).URL, "/health/ready"), secretConfig(),
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return unreachable(shown, "connection closed before a complete response")
			},
		},
		{
			name: "body_cut_short",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				ts := server(t, func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Length", "100")
					w.WriteHeader(http.StatusOK)
					fmt.Fprint(w, "short")
					w.(http.Flusher).Flush()
					panic(http.ErrAbortHandler)
				})
				return withCreds(t, ts.URL, "/health/ready"), secretConfig(), testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return unreachable(shown, "connection closed before a complete response")
			},
		},
		{
			name: "no_response_within_timeout",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				h := secretConfig()
				h.Timeout = 200 * time.Millisecond
				return withCreds(t, server(t, hang(t, false)).URL, "/health/ready"), h,
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement { return unreachable(shown, "no response within 200ms") },
		},
		{
			name: "body_not_complete_within_timeout",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				h := secretConfig()
				h.Timeout = 200 * time.Millisecond
				return withCreds(t, server(t, hang(t, true)).URL, "/health/ready"), h,
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return unreachable(shown, "response not complete within 200ms")
			},
		},
		{
			name: "dns_failure",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				return "http://deploywatch-test.invalid/health/ready", secretConfig(),
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return probeErr("GET " + shown + ": no such host deploywatch-test.invalid")
			},
		},
		{
			name: "tls_unknown_authority",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				ts := httptest.NewTLSServer(http.HandlerFunc(ok))
				ts.Config.ErrorLog = quietLog
				t.Cleanup(ts.Close)
				return withCreds(t, ts.URL, "/health/ready"), secretConfig(), testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return probeErr("GET " + shown + ": certificate signed by unknown authority; the service's CA is not trusted (add it with ca_cert)")
			},
		},
		{
			name: "tls_hostname_mismatch",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				cert := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), []string{"service.test"}, nil)
				h := secretConfig()
				h.Client = trustingClient(cert)
				return withCreds(t, tlsServer(t, cert, ok).URL, "/health/ready"), h,
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return probeErr("GET " + shown + ": TLS certificate is not valid for host 127.0.0.1")
			},
		},
		{
			name: "tls_certificate_expired",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				cert := expired(t)
				h := secretConfig()
				h.Client = trustingClient(cert)
				return withCreds(t, tlsServer(t, cert, ok).URL, "/health/ready"), h,
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return model.Measurement{Check: "readiness check", Breach: true, Severity: model.SeverityCritical,
					Signal: model.SignalHealth, Value: "invalid certificate", Expected: "2xx",
					Message: "GET " + shown + ": TLS certificate expired on 2021-01-02"}
			},
		},
		{
			name: "tls_certificate_expired_keeps_higher_spec_severity",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				cert := expired(t)
				h := secretConfig()
				h.Client = trustingClient(cert)
				spec := testSpec(model.KindReadiness, model.SignalHealth)
				spec.Severity = model.SeverityEmergency
				return withCreds(t, tlsServer(t, cert, ok).URL, "/health/ready"), h, spec
			},
			want: func(shown string) model.Measurement {
				return model.Measurement{Check: "readiness check", Breach: true, Severity: model.SeverityEmergency,
					Signal: model.SignalHealth, Value: "invalid certificate", Expected: "2xx",
					Message: "GET " + shown + ": TLS certificate expired on 2021-01-02"}
			},
		},
		{
			name: "tls_certificate_not_yet_valid",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				cert := newTestCert(t, time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC),
					time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), nil, loopbackIPs)
				h := secretConfig()
				h.Client = trustingClient(cert)
				return withCreds(t, tlsServer(t, cert, ok).URL, "/health/ready"), h,
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return model.Measurement{Check: "readiness check", Breach: true, Severity: model.SeverityCritical,
					Signal: model.SignalHealth, Value: "invalid certificate", Expected: "2xx",
					Message: "GET " + shown + ": TLS certificate not valid before 2999-01-01"}
			},
		},
		{
			name: "tls_trusted_certificate_passes",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				cert := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), nil, loopbackIPs)
				h := secretConfig()
				h.Client = trustingClient(cert)
				return withCreds(t, tlsServer(t, cert, ok).URL, "/health/ready"), h,
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return model.Measurement{Check: "readiness check", Value: "200", Expected: "2xx",
					Message: "ready: GET " + shown + " returned 200 OK"}
			},
		},
		{
			name: "invalid_url",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				return "http://deployer:" + secretPassword + "@127.0.0.1:8o/x?token=" + secretQuery, secretConfig(),
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return probeErr("GET " + shown + `: invalid URL: invalid port ":8o" after host`)
			},
		},
		{
			name: "unsupported_scheme",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				return "ftp://127.0.0.1/health", secretConfig(), testSpec(model.KindReadiness, model.SignalHealth)
			},
			want: func(shown string) model.Measurement {
				return probeErr("GET " + shown + ": invalid URL: scheme must be http or https")
			},
		},
		{
			name: "cancelled_before_start",
			setup: func(t *testing.T) (string, HTTPConfig, model.CheckSpec) {
				return withCreds(t, server(t, ok).URL, "/health/ready"), secretConfig(),
					testSpec(model.KindReadiness, model.SignalHealth)
			},
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return ctx
			},
			want: func(string) model.Measurement { return probeErr("cancelled") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rawURL, h, spec := tt.setup(t)
			ctx := t.Context()
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			got := probe(t, ctx, NewReadiness(spec, rawURL, h))
			assertMeasurement(t, got, tt.want(redact.URL(rawURL)))
		})
	}
}

// TestCancelledWhileWaiting: a run stopping while the service is slow is a probe error
// ("cancelled"), never a timeout blamed on the service.
func TestCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	ts := server(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	c := NewReadiness(testSpec(model.KindReadiness, model.SignalHealth), withCreds(t, ts.URL, "/health/ready"), secretConfig())
	got := probe(t, ctx, c)
	assertMeasurement(t, got, model.Measurement{Check: "readiness check", Expected: "2xx",
		ProbeError: "cancelled", Message: "cancelled"})
}
