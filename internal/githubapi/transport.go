package githubapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// deadlineTransport bounds each request through its context rather than http.Client's
// Timeout. go-github swaps the body of an error answer for a copy and closes only the
// copy, and the client's own timer stops only when the original body is closed, so with
// Client.Timeout every error answer would leave a goroutine waiting out the timeout. The
// context is released once the body is read to its end or closed.
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
