package sink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a delivery that failed, classified so the dispatcher knows what to do next.
type Error struct {
	// Op says what was attempted: "post message", "create deployment".
	Op string
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// Retry says whether trying again may succeed: no answer, a 5xx, a rate limit.
	Retry bool
	// Disable says the sink cannot work for the rest of the run (credentials refused, a
	// missing permission, a webhook that no longer exists): one warning, then silence.
	Disable bool
	// After is how long the server asked us to wait (Retry-After, a rate-limit reset).
	After time.Duration
	// Detail is the server's reason, cut to one line.
	Detail string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// RetryAfter is the wait the server asked for; the dispatcher waits at least that long.
func (e *Error) RetryAfter() time.Duration { return e.After }

// Retryable reports whether err is worth another attempt.
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retry
	}
	return false
}

// Classify turns an answer's status and headers into an *Error, or nil for a 2xx:
//   - 429, and 403 with a rate-limit signal (GitHub's secondary limits), are retried after
//     the wait the headers give (on a 429 X-RateLimit-Reset counts on its own: the status
//     says the limit is spent, whatever X-RateLimit-Remaining says or omits);
//   - 408 (the server gave up waiting for the request) and 5xx are retried;
//   - 401, 403, 404 and 410 disable the sink: credentials, permissions or the endpoint
//     itself are wrong, and every later event would fail the same way;
//   - other 4xx are final for this event only.
func Classify(op string, status int, h http.Header, detail string, now time.Time) *Error {
	if status >= 200 && status < 300 {
		return nil
	}
	e := &Error{Op: op, Status: status, Detail: detail, After: retryWait(h, now, status == http.StatusTooManyRequests)}
	switch {
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		e.Retry = true
	case status == http.StatusForbidden && rateLimited(h, detail):
		e.Retry = true
	case status >= 500:
		e.Retry = true
	case status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound, status == http.StatusGone:
		e.Disable = true
	}
	return e
}

// rateLimited tells GitHub's rate-limit 403 from a permission 403.
func rateLimited(h http.Header, detail string) bool {
	if h.Get("Retry-After") != "" || h.Get("X-Ratelimit-Remaining") == "0" {
		return true
	}
	return strings.Contains(strings.ToLower(detail), "rate limit")
}

// RetryAfter reads the wait a server asks for: Retry-After (seconds or an HTTP date), else
// the reset of an exhausted rate limit (X-RateLimit-Reset, which GitHub gives as a Unix
// time and Datadog as seconds from now). Zero when the headers say nothing.
func RetryAfter(h http.Header, now time.Time) time.Duration { return retryWait(h, now, false) }

// retryWait is RetryAfter; limited says the answer itself reports the limit spent (a 429),
// so X-RateLimit-Reset is read without X-RateLimit-Remaining: 0 beside it.
func retryWait(h http.Header, now time.Time, limited bool) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if !limited && h.Get("X-Ratelimit-Remaining") != "0" {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Ratelimit-Reset")), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	// A Unix time is in the billions; a delay is a few seconds to an hour.
	if v > 1_000_000_000 {
		return max(time.Unix(v, 0).Sub(now), 0)
	}
	return time.Duration(v) * time.Second
}

// transportError classifies a request that got no answer. Timeouts and refused or reset
// connections are worth another try; the run's own cancellation is not; a certificate
// that cannot be verified turns the sink off (ca_cert trusts a private CA).
func transportError(op string, err error) *Error {
	e := &Error{Op: op, Err: err}
	switch {
	case errors.Is(err, context.Canceled):
	case UntrustedCertificate(err):
		// The endpoint's certificate will not change during the run: every later event
		// would fail the same way, after retries that only hold up the pipeline.
		e.Disable = true
	default:
		e.Retry = true
	}
	return e
}

// UntrustedCertificate reports whether a request failed because the server's certificate
// could not be verified. It will not change during the run: every later call would fail
// the same way, so a sink turns itself off rather than retry (ca_cert trusts a private CA).
func UntrustedCertificate(err error) bool {
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &certErr)
}

// RequestedWait is the wait err asks for before a retry (a server's Retry-After), if any.
func RequestedWait(err error) time.Duration { return retryAfter(err) }
