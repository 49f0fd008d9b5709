package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestClassify pins who is blamed for each transport error, with errors shaped the way
// net/http returns them (a *url.Error around the cause). The real-server tests in
// transport_test.go check that real failures arrive in these shapes.
func TestClassify(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error {
		return &url.Error{Op: "Get", URL: "http://user:" + secretPassword + "@svc/health?token=" + secretQuery, Err: err}
	}
	sys := func(op, syscallName string, errno syscall.Errno) error {
		return wrap(&net.OpError{Op: op, Net: "tcp", Err: &os.SyscallError{Syscall: syscallName, Err: errno}})
	}
	expiredCert := &x509.Certificate{NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter: time.Date(2021, 1, 2, 12, 0, 0, 0, time.UTC)}
	futureCert := &x509.Certificate{NotBefore: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}
	const timeout = 5 * time.Second
	tests := []struct {
		name  string
		err   error
		state requestState
		want  failure
	}{
		{"connection_refused", sys("dial", "connect", syscall.ECONNREFUSED), requestState{},
			failure{failUnreachable, "connection refused"}},
		{"connection_reset", sys("read", "read", syscall.ECONNRESET), requestState{},
			failure{failUnreachable, "connection reset"}},
		{"connection_aborted", sys("read", "read", syscall.ECONNABORTED), requestState{},
			failure{failUnreachable, "connection reset"}},
		{"broken_pipe", sys("write", "write", syscall.EPIPE), requestState{},
			failure{failUnreachable, "connection reset"}},
		{"eof_before_response", wrap(io.EOF), requestState{},
			failure{failUnreachable, "connection closed before a complete response"}},
		{"unexpected_eof_in_body", io.ErrUnexpectedEOF, requestState{inBody: true},
			failure{failUnreachable, "connection closed before a complete response"}},
		{"eof_wrapped_by_transport", wrap(fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.ErrUnexpectedEOF)),
			requestState{}, failure{failUnreachable, "connection closed before a complete response"}},
		{"no_route_to_host", sys("dial", "connect", syscall.EHOSTUNREACH), requestState{},
			failure{failUnreachable, "no route to host"}},
		{"host_down", sys("dial", "connect", syscall.EHOSTDOWN), requestState{},
			failure{failUnreachable, "host is down"}},
		{"network_unreachable_is_the_runner", sys("dial", "connect", syscall.ENETUNREACH), requestState{},
			failure{failProbe, "network unreachable from the monitor"}},
		{"probe_deadline", wrap(context.DeadlineExceeded), requestState{deadlineHit: true, timeout: timeout},
			failure{failUnreachable, "no response within 5s"}},
		{"probe_deadline_in_body", context.DeadlineExceeded, requestState{deadlineHit: true, inBody: true, timeout: timeout},
			failure{failUnreachable, "response not complete within 5s"}},
		{"socket_timeout", wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}),
			requestState{timeout: 2 * time.Second}, failure{failUnreachable, "no response within 2s"}},
		{"client_timeout", wrap(timeoutError{}), requestState{timeout: timeout},
			failure{failUnreachable, "no response within 5s"}},
		{"refused_after_deadline_is_still_timeout", sys("dial", "connect", syscall.ECONNREFUSED),
			requestState{deadlineHit: true, timeout: timeout}, failure{failUnreachable, "no response within 5s"}},
		{"dns_not_found", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "svc.invalid", IsNotFound: true}}),
			requestState{}, failure{failProbe, "no such host svc.invalid"}},
		{"dns_timeout_is_the_resolver", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "i/o timeout", Name: "svc", IsTimeout: true}}),
			requestState{deadlineHit: true, timeout: timeout}, failure{failProbe, "DNS lookup of svc failed: i/o timeout"}},
		{"proxy_refused_is_the_runner", wrap(&net.OpError{Op: "proxyconnect", Net: "tcp",
			Err: &net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}}),
			requestState{}, failure{failProbe, "proxy unreachable: dial: connect: connection refused"}},
		{"unknown_authority", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), requestState{},
			failure{failProbe, "certificate signed by unknown authority; the service's CA is not trusted (add it with ca_cert)"}},
		{"hostname_mismatch", wrap(&tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: expiredCert, Host: "api.test"}}),
			requestState{}, failure{failProbe, "TLS certificate is not valid for host api.test"}},
		{"certificate_expired", wrap(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Cert: expiredCert, Reason: x509.Expired}}),
			requestState{}, failure{failCertificate, "TLS certificate expired on 2021-01-02"}},
		{"certificate_not_yet_valid", wrap(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Cert: futureCert, Reason: x509.Expired}}),
			requestState{}, failure{failCertificate, "TLS certificate not valid before 2999-01-01"}},
		{"certificate_other_problem", wrap(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Cert: expiredCert, Reason: x509.NotAuthorizedToSign}}),
			requestState{}, failure{failProbe, "TLS certificate rejected: x509: certificate is not authorized to sign other certificates"}},
		{"redirect_loop", wrap(&redirectError{at: "http://svc/loop"}), requestState{},
			failure{failRedirects, "redirect loop: stopped after 10 redirects at http://svc/loop"}},
		{"parent_cancelled_explains_everything", sys("dial", "connect", syscall.ECONNREFUSED), requestState{parentDone: true},
			failure{failCancelled, "cancelled"}},
		{"parent_cancelled_during_timeout", wrap(context.DeadlineExceeded), requestState{parentDone: true, deadlineHit: true},
			failure{failCancelled, "cancelled"}},
		{"context_canceled", wrap(context.Canceled), requestState{}, failure{failCancelled, "cancelled"}},
		{"unknown_error_is_a_probe_error_without_the_url", wrap(errors.New("net/http: malformed HTTP response \"\\x00\\x01\"")),
			requestState{}, failure{failProbe, `request failed: net/http: malformed HTTP response "\x00\x01"`}},
		{"unknown_error_text_is_one_line", wrap(errors.New("line one\nline two")), requestState{},
			failure{failProbe, "request failed: line one line two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := classify(tt.err, tt.state)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(failure{})); diff != "" {
				t.Errorf("classify(%v) (-want +got):\n%s", tt.err, diff)
			}
		})
	}
}

// timeoutError is a net.Error reporting a timeout, like http.Client's own Timeout.
type timeoutError struct{}

func (timeoutError) Error() string   { return "Client.Timeout exceeded while awaiting headers" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
