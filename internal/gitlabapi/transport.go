package gitlabapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// deadlineTransport bounds each request through its context rather than http.Client's
// Timeout, as internal/githubapi does. With Client.Timeout the client's timer stops only
// when the original answer body is closed; client-go closes every body it gets, but a
// deadline on the request's context holds whatever a library does with the body, and the
// two GitHub and GitLab clients then time out the same way (a retryable
// context.DeadlineExceeded). The context is released once the body is read to its end or
// closed.
type deadlineTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t deadlineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), t.timeout)
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: cancel}
	return resp, nil
}

// releasingBody releases the request's context at the end of the body.
type releasingBody struct {
	io.ReadCloser
	release context.CancelFunc
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.release()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// withDeadlines moves the client's timeout onto each request's context.
func withDeadlines(c *http.Client) *http.Client {
	c.Transport = deadlineTransport{base: c.Transport, timeout: c.Timeout}
	c.Timeout = 0
	return c
}
