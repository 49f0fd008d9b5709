package prometheus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// Kind says what went wrong with a call, so the caller can tell a configuration problem
// (credentials, URL) from an outage.
type Kind string

// Kinds of failure.
const (
	// Unreachable: no answer at all (refused, unknown host, timeout, TLS).
	Unreachable Kind = "unreachable"
	// Unauthorized: HTTP 401 or 403.
	Unauthorized Kind = "unauthorized"
	// NotAPI: the URL answers, but not as the Prometheus API (404, an HTML page).
	NotAPI Kind = "not_api"
	// Failed: the backend failed (5xx).
	Failed Kind = "failed"
	// Rejected: another 4xx, e.g. 422 when the query cannot be executed, 429.
	Rejected Kind = "rejected"
)

// Error is a call that got no usable answer. Its message names the operation, the query
// (truncated) and the redacted URL, never a credential.
type Error struct {
	// Op is "query", "query range" or "ping".
	Op string
	// Query is the PromQL, truncated for display.
	Query string
	// Kind says what failed: unreachable, credentials, not the API, the backend.
	Kind Kind
	// Status is the HTTP status of the last answer, 0 when there was none.
	Status int
	// Msg explains the failure, e.g. `cannot reach Prometheus at http://x: connection refused`.
	Msg string
	// Err is the cause, for errors.Is and errors.As.
	Err error
}

func (e *Error) Error() string {
	if e.Op == "ping" {
		// The ping's query is a constant of ours, not the user's: naming it only puzzles.
		return "prometheus: " + e.Msg
	}
	return fmt.Sprintf("prometheus %s %q: %s", e.Op, e.Query, e.Msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// cause strips the *url.Error around a transport error: it quotes the request URL,
// and the GET fallback puts the whole query string in it.
func cause(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// classify explains a failed call. base is the redacted URL, a what answered last,
// timeout the per-query limit that applied.
func classify(base string, a answer, err error, timeout time.Duration) (Kind, string) {
	var apiErr *v1.Error
	var tooLarge *tooLargeError
	if errors.As(err, &tooLarge) {
		return Failed, fmt.Sprintf("Prometheus at %s sent an %s (HTTP %d); it was not read", base, tooLarge, a.status)
	}
	if a.status == 0 || !errors.As(err, &apiErr) {
		return Unreachable, fmt.Sprintf("cannot reach Prometheus at %s: %s", base, transportReason(err, timeout))
	}
	status := fmt.Sprintf("HTTP %d", a.status)
	html := strings.HasPrefix(strings.ToLower(a.contentType), "text/html") ||
		strings.HasPrefix(strings.TrimSpace(apiErr.Detail), "<")
	switch {
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		return Unauthorized, fmt.Sprintf("Prometheus at %s refused the credentials (%s): check prometheus_token", base, status)
	case a.status/100 == 5:
		// Before the HTML test: a proxy's 502 page means the backend is down, not absent.
		return Failed, fmt.Sprintf("Prometheus at %s failed (%s)", base, withDetail(a.status, apiErr))
	case a.status == http.StatusNotFound || html || (a.status/100 == 2 && !isJSON(a.contentType)):
		if html {
			status += ", an HTML page"
		}
		return NotAPI, fmt.Sprintf("%s is not a Prometheus API (%s at %s): check the URL and its path prefix", base, status, a.path)
	case a.status/100 == 2:
		return Failed, fmt.Sprintf("Prometheus at %s sent an answer that cannot be read (%s: %s)", base, status, oneLine(apiErr.Msg))
	default:
		return Rejected, fmt.Sprintf("Prometheus at %s rejected the query (%s)", base, withDetail(a.status, apiErr))
	}
}

// withDetail is "HTTP 503 Service Unavailable: <the API's error>", the error part only
// when the body is the API's JSON (a proxy's page says nothing useful).
func withDetail(status int, e *v1.Error) string {
	s := fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	msg := ""
	if e.Type != v1.ErrClient && e.Type != v1.ErrServer && e.Type != v1.ErrBadResponse {
		msg = e.Msg // the library decoded the API's error (400, 422)
	} else {
		var body struct {
			Error string `json:"error"`
		}
		if json.Unmarshal([]byte(e.Detail), &body) == nil {
			msg = body.Error
		}
	}
	if msg = oneLine(msg); msg != "" {
		s += ": " + msg
	}
	return s
}

// transportReason names why no answer came, in the words a user acts on.
func transportReason(err error, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %v", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host"
	case errors.As(err, &dnsErr):
		return "cannot resolve the host: " + oneLine(dnsErr.Err)
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &unknownCA):
		return "TLS certificate signed by an unknown authority"
	case errors.As(err, &hostErr):
		return "TLS certificate is not valid for this host"
	case errors.As(err, &certErr):
		return "TLS certificate rejected: " + oneLine(certErr.Err.Error())
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	}
	return oneLine(cause(err).Error())
}

// isJSON reports whether a content type is JSON; an empty one gets the benefit of the doubt.
func isJSON(contentType string) bool {
	return contentType == "" || strings.Contains(strings.ToLower(contentType), "json")
}

// maxDetail is how much of a backend's message an error quotes: PromQL's own messages
// run to 300 characters and put the useful part last.
const maxDetail = 500

// oneLine keeps a backend's message bounded and on one line.
func oneLine(s string) string {
	return truncate(strings.Join(strings.Fields(s), " "), maxDetail)
}
