package prometheus

import (
	"context"
	"net/http"
)

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
