package prometheus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	const base = "https://alice:REDACTED@mimir.example/prometheus"
	const path = "/prometheus/api/v1/query"
	dial := func(err error) error {
		return &url.Error{Op: "Post", URL: base + "/api/v1/query", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	status := func(code int, contentType string) answer {
		return answer{status: code, contentType: contentType, path: path}
	}
	tests := []struct {
		name     string
		answer   answer
		err      error
		wantKind Kind
		want     string
	}{
		{name: "connection_refused", err: dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)),
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": connection refused"},
		{name: "no_such_host", err: dial(&net.DNSError{Err: "no such host", Name: "mimir.example", IsNotFound: true}),
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": no such host"},
		{name: "resolver_failure", err: dial(&net.DNSError{Err: "server misbehaving", Name: "mimir.example", IsTemporary: true}),
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": cannot resolve the host: server misbehaving"},
		{name: "our_timeout", err: &url.Error{Op: "Post", URL: base, Err: context.DeadlineExceeded},
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": no answer within 7s"},
		{name: "dial_timeout", err: dial(os.ErrDeadlineExceeded),
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": timed out"},
		{name: "connection_reset", err: dial(os.NewSyscallError("read", syscall.ECONNRESET)),
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": connection reset"},
		{name: "reset_while_reading_body", answer: status(200, "application/json"), err: os.NewSyscallError("read", syscall.ECONNRESET),
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": connection reset"},
		{name: "unknown_ca", err: &url.Error{Op: "Post", URL: base, Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}},
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": TLS certificate signed by an unknown authority"},
		{name: "wrong_host_certificate", err: &url.Error{Op: "Post", URL: base, Err: &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "x"}}},
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": TLS certificate is not valid for this host"},
		{name: "expired_certificate", err: &url.Error{Op: "Post", URL: base, Err: &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired, Detail: "now is later"}}},
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": TLS certificate rejected: x509: certificate has expired or is not yet valid: now is later"},
		{name: "other_transport_error", err: &url.Error{Op: "Post", URL: base + "/api/v1/query?query=up", Err: io.ErrUnexpectedEOF},
			wantKind: Unreachable, want: "cannot reach Prometheus at " + base + ": unexpected EOF"},
		{name: "unauthorized_401", answer: status(401, "text/plain"), err: &v1.Error{Type: v1.ErrClient, Msg: "client error: 401", Detail: "Unauthorized"},
			wantKind: Unauthorized, want: "Prometheus at " + base + " refused the credentials (HTTP 401): check prometheus_token"},
		{name: "forbidden_403", answer: status(403, ""), err: &v1.Error{Type: v1.ErrClient, Msg: "client error: 403"},
			wantKind: Unauthorized, want: "Prometheus at " + base + " refused the credentials (HTTP 403): check prometheus_token"},
		{name: "not_found_404", answer: status(404, "text/plain; charset=utf-8"), err: &v1.Error{Type: v1.ErrClient, Msg: "client error: 404", Detail: "404 page not found\n"},
			wantKind: NotAPI, want: base + " is not a Prometheus API (HTTP 404 at " + path + "): check the URL and its path prefix"},
		{name: "html_without_content_type", answer: status(404, ""), err: &v1.Error{Type: v1.ErrClient, Msg: "client error: 404", Detail: "\n<!DOCTYPE html><html>"},
			wantKind: NotAPI, want: base + " is not a Prometheus API (HTTP 404, an HTML page at " + path + "): check the URL and its path prefix"},
		{name: "html_400_from_proxy", answer: status(400, "text/html"), err: &v1.Error{Type: v1.ErrClient, Msg: "client error: 400", Detail: "<html>"},
			wantKind: NotAPI, want: base + " is not a Prometheus API (HTTP 400, an HTML page at " + path + "): check the URL and its path prefix"},
		{name: "plain_text_200", answer: status(200, "text/plain"), err: &v1.Error{Type: v1.ErrBadResponse, Msg: "readObjectStart: expect { or n"},
			wantKind: NotAPI, want: base + " is not a Prometheus API (HTTP 200 at " + path + "): check the URL and its path prefix"},
		{name: "unreadable_json_200", answer: status(200, "application/json"), err: &v1.Error{Type: v1.ErrBadResponse, Msg: `unexpected value type "string"`},
			wantKind: Failed, want: "Prometheus at " + base + ` sent an answer that cannot be read (HTTP 200: unexpected value type "string")`},
		{name: "server_error_with_api_json", answer: status(500, "application/json"),
			err:      &v1.Error{Type: v1.ErrServer, Msg: "server error: 500", Detail: `{"status":"error","errorType":"internal","error":"expanding series: boom"}`},
			wantKind: Failed, want: "Prometheus at " + base + " failed (HTTP 500 Internal Server Error: expanding series: boom)"},
		{name: "bad_gateway_page", answer: status(502, "text/html"), err: &v1.Error{Type: v1.ErrServer, Msg: "server error: 502", Detail: "<html>bad gateway</html>"},
			wantKind: Failed, want: "Prometheus at " + base + " failed (HTTP 502 Bad Gateway)"},
		{name: "too_many_requests", answer: status(429, "text/plain"), err: &v1.Error{Type: v1.ErrClient, Msg: "client error: 429", Detail: "slow down"},
			wantKind: Rejected, want: "Prometheus at " + base + " rejected the query (HTTP 429 Too Many Requests)"},
		{name: "execution_422", answer: status(422, "application/json"), err: &v1.Error{Type: v1.ErrExec, Msg: "many-to-many matching not allowed"},
			wantKind: Rejected, want: "Prometheus at " + base + " rejected the query (HTTP 422 Unprocessable Entity: many-to-many matching not allowed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kind, got := classify(base, tt.answer, tt.err, 7*time.Second)
			if kind != tt.wantKind || got != tt.want {
				t.Errorf("classify =\n%s %s\nwant\n%s %s", kind, got, tt.wantKind, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{name: "short_kept", in: "up", n: 5, want: "up"},
		{name: "cut_marked", in: "abcdefgh", n: 5, want: "abcde…"},
		{name: "rune_not_split", in: "ab€cd", n: 3, want: "ab…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := truncate(tt.in, tt.n); got != tt.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
