package sink

import (
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestUntrustedCertificateTurnsTheSinkOff is the regression test of a sink endpoint behind
// a private CA that the run does not trust: the error was retried like an outage, five
// attempts per event over some 25 s of the pipeline's time, for a certificate that cannot
// change during the run. It turns the sink off instead; trusted, the same endpoint works.
func TestUntrustedCertificateTurnsTheSinkOff(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	req := Request{Op: "post event", Method: http.MethodPost, URL: srv.URL + "/hook/s3cr3t", JSON: map[string]string{"status": "running"}}

	err := Do(t.Context(), NewClient("test", 0, nil), req, nil)
	var e *Error
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &e) || !e.Disable || Retryable(err) || !errors.As(err, &unknown) {
		t.Fatalf("err = %#v: want the sink turned off, no retry, the unknown authority named", err)
	}

	trusted := srv.Client().Transport.(*http.Transport).Clone()
	if err := Do(t.Context(), NewClient("test", 0, trusted), req, nil); err != nil {
		t.Errorf("with the CA trusted: %v", err)
	}
}
