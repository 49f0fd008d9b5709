package prometheus

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// tooLargeError is the read error of an answer past the limit.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string { return "answer larger than " + byteSize(e.limit) }

// byteSize writes n as "64 MiB" when it is a whole number of MiB, else in bytes.
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// authTransport adds the credentials and extra headers to each request, and notes what
// answered in the request's context so errors can say it.
type authTransport struct {
	next      http.RoundTripper
	scheme    string
	host      string // hostname the credentials belong to
	basic     bool
	user      string
	pass      string
	token     string
	headers   http.Header
	userAgent string
	maxAnswer int64
}

// RoundTrip sends a copy of req with the credentials; the caller's request is untouched.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if t.trusted(r) {
		for name, values := range t.headers {
			if http.CanonicalHeaderKey(name) == "Host" {
				if len(values) > 0 {
					r.Host = values[0]
				}
				continue
			}
			r.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), values...)
		}
		switch {
		case t.token != "":
			r.Header.Set("Authorization", "Bearer "+t.token)
		case t.basic:
			r.SetBasicAuth(t.user, t.pass)
		}
	}
	if t.userAgent != "" {
		r.Header.Set("User-Agent", t.userAgent)
	}
	resp, err := t.next.RoundTrip(r)
	if resp != nil && resp.Body != nil {
		resp.Body = &limitedBody{rc: resp.Body, left: t.maxAnswer, limit: t.maxAnswer}
	}
	if a, ok := r.Context().Value(answerKey{}).(*answer); ok {
		a.path = r.URL.Path
		if resp != nil {
			a.status = resp.StatusCode
			a.contentType = resp.Header.Get("Content-Type")
		}
	}
	return resp, err
}

// trusted reports whether r goes where the credentials belong: a redirect to another
// host, or from https down to http, gets none of them.
func (t *authTransport) trusted(r *http.Request) bool {
	if r.URL.Hostname() != t.host {
		return false
	}
	return r.URL.Scheme == t.scheme || r.URL.Scheme == "https"
}

// answer is what the last response of a call looked like; the library's errors keep
// neither the status code nor the content type.
type answer struct {
	status      int
	contentType string
	path        string
}

type answerKey struct{}

// withAnswer returns a context whose requests record their answer in the returned value.
// One call's requests run one after the other, so no lock is needed.
func withAnswer(ctx context.Context) (context.Context, *answer) {
	a := &answer{}
	return context.WithValue(ctx, answerKey{}, a), a
}

// limitedBody fails a read past limit with a *tooLargeError; one byte more than the limit
// tells an answer of exactly limit bytes from a larger one.
type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, &tooLargeError{limit: b.limit}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
