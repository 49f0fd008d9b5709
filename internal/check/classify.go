package check

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"time"
)

// failureKind says who failed when a request did not produce a complete response: the
// service (a breach) or the monitoring (a probe error). The line between the two is the
// product's judgement: a service that refuses, resets or stays silent is failing; a
// monitor that cannot resolve, trust or even form the request cannot measure.
type failureKind int

// Failure kinds.
const (
	// failUnreachable: the service did not answer (refused, reset, closed early, silent
	// past the timeout, no route). An emergency whatever the check.
	failUnreachable failureKind = iota + 1
	// failCertificate: the service's certificate is expired or not yet valid. Critical.
	failCertificate
	// failRedirects: the service redirected more than maxRedirects times.
	failRedirects
	// failProbe: the monitor could not measure (DNS, untrusted CA, bad URL, proxy).
	failProbe
	// failCancelled: the run was stopped while the request was under way.
	failCancelled
)

// failure is a classified transport error; reason is one line, free of secrets.
type failure struct {
	kind   failureKind
	reason string
}

// requestState is what classify needs to know beyond the error itself.
type requestState struct {
	// parentDone: the caller's context ended (the run is stopping).
	parentDone bool
	// deadlineHit: the per-request timeout elapsed.
	deadlineHit bool
	// inBody: the status line and headers had arrived; the body had not.
	inBody  bool
	timeout time.Duration
}

// redirectError stops a redirect chain that is too long; at is the redacted URL of the
// redirect that was not followed.
type redirectError struct {
	at string
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("redirect loop: stopped after %d redirects at %s", maxRedirects, e.at)
}

// classify decides who failed. The order matters: a cancelled run explains any error,
// and a DNS timeout is the resolver's failure, not the service's.
func classify(err error, st requestState) failure {
	probe := func(reason string) failure { return failure{kind: failProbe, reason: reason} }
	down := func(reason string) failure { return failure{kind: failUnreachable, reason: reason} }

	if st.parentDone || errors.Is(err, context.Canceled) {
		return failure{kind: failCancelled, reason: "cancelled"}
	}
	var redirErr *redirectError
	if errors.As(err, &redirErr) {
		return failure{kind: failRedirects, reason: redirErr.Error()}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "proxyconnect" {
		return probe("proxy unreachable: " + serviceText(errText(opErr.Err)))
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return probe("no such host " + dnsErr.Name)
		}
		return probe(fmt.Sprintf("DNS lookup of %s failed: %s", dnsErr.Name, serviceText(dnsErr.Err)))
	}
	if f, ok := classifyCertificate(err); ok {
		return f
	}
	if st.deadlineHit || isTimeout(err) {
		if st.inBody {
			return down(fmt.Sprintf("response not complete within %s", st.timeout))
		}
		return down(fmt.Sprintf("no response within %s", st.timeout))
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return down("connection refused")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE):
		return down("connection reset")
	case errors.Is(err, syscall.EHOSTUNREACH):
		return down("no route to host")
	case errors.Is(err, syscall.EHOSTDOWN):
		return down("host is down")
	case errors.Is(err, syscall.ENETUNREACH):
		// Almost always the runner's own routing (no IPv6 route, no egress), not the service.
		return probe("network unreachable from the monitor")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return down("connection closed before a complete response")
	}
	return probe("request failed: " + serviceText(errText(err)))
}

// classifyCertificate sorts TLS verification failures: a certificate out of its validity
// period is the service's fault; one the monitor cannot trust is the monitor's problem.
func classifyCertificate(err error) (failure, bool) {
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		if invalid.Reason == x509.Expired && invalid.Cert != nil {
			reason := "TLS certificate expired on " + invalid.Cert.NotAfter.UTC().Format(time.DateOnly)
			if time.Now().Before(invalid.Cert.NotBefore) {
				reason = "TLS certificate not valid before " + invalid.Cert.NotBefore.UTC().Format(time.DateOnly)
			}
			return failure{kind: failCertificate, reason: reason}, true
		}
		return failure{kind: failProbe, reason: "TLS certificate rejected: " + serviceText(invalid.Error())}, true
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return failure{kind: failProbe,
			reason: "certificate signed by unknown authority; the service's CA is not trusted (add it with ca_cert)"}, true
	}
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) {
		return failure{kind: failProbe,
			reason: "TLS certificate is not valid for host " + serviceText(hostErr.Host)}, true
	}
	return failure{}, false
}

// isTimeout reports a timeout anywhere in err: a context deadline, a socket deadline, or
// a net.Error saying so (a custom client's own Timeout, a handshake timeout).
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errText is err's message without the url.Error prefix, which repeats the unredacted URL.
func errText(err error) string {
	for {
		ue, ok := err.(*url.Error)
		if !ok {
			return err.Error()
		}
		err = ue.Err
	}
}
