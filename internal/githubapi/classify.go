package githubapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// secondaryWait is the wait after a secondary rate limit that names none: GitHub's
// guidance is at least a minute.
const secondaryWait = time.Minute

// Classify turns the error of a call into a *sink.Error the dispatcher acts on (nil stays
// nil): a primary rate limit is retried at its reset, a secondary one after its
// Retry-After, 5xx and lost connections are retried, a missing permission or bad
// credentials turn the sink off (a missing permission wraps a *PermissionError naming it,
// see Guard), other 4xx are final.
// The token never appears in the result.
func (c *Client) Classify(op string, err error) error {
	if err == nil {
		return nil
	}
	return c.classify(op, err, "")
}

// ClassifyNeeding is Classify for a call whose missing permission the path does not tell
// (a GraphQL query): need names it, e.g. "deployments: write".
func (c *Client) ClassifyNeeding(op string, err error, need string) error {
	if err == nil {
		return nil
	}
	return c.classify(op, err, need)
}

func (c *Client) classify(op string, err error, need string) *sink.Error {
	var (
		se    *sink.Error
		rl    *github.RateLimitError
		abuse *github.AbuseRateLimitError
		resp  *github.ErrorResponse
		gql   *GraphQLError
		acc   *github.AcceptedError
	)
	now := time.Now()
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &rl):
		e := &sink.Error{Op: op, Status: statusOf(rl.Response), Retry: true, Detail: c.line(rl.Message, "API rate limit exceeded")}
		if !rl.Rate.Reset.IsZero() {
			e.After = max(rl.Rate.Reset.Sub(now), 0)
		}
		return e
	case errors.As(err, &abuse):
		after := secondaryWait
		if abuse.RetryAfter != nil && *abuse.RetryAfter > 0 {
			after = *abuse.RetryAfter
		}
		return &sink.Error{Op: op, Status: statusOf(abuse.Response), Retry: true, After: after,
			Detail: c.line(abuse.Message, "secondary rate limit exceeded")}
	case errors.As(err, &resp):
		return c.classifyResponse(op, resp, need, now)
	case errors.As(err, &gql):
		return c.classifyGraphQL(op, gql, need, now)
	case errors.As(err, &acc):
		return &sink.Error{Op: op, Status: http.StatusAccepted, Retry: true, Detail: "GitHub is still preparing the answer"}
	}
	if sink.UntrustedCertificate(err) {
		return &sink.Error{Op: op, Disable: true, Detail: "the server's certificate is not trusted (ca_cert adds a private CA)",
			Err: scrubbedError{text: c.Scrub(err.Error()), err: err}}
	}
	return &sink.Error{Op: op, Retry: transient(err), Err: scrubbedError{text: c.Scrub(err.Error()), err: err}}
}

// transient reports whether a call that got no usable answer may work when tried again:
// a timeout, a refused or reset connection, a cut answer. The run's own cancellation and
// an answer that could not be read are not.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ue *url.Error
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &ue) || errors.As(err, &ne)
}

func (c *Client) classifyResponse(op string, r *github.ErrorResponse, need string, now time.Time) *sink.Error {
	status, h := statusOf(r.Response), http.Header{}
	if r.Response != nil {
		h = r.Response.Header
	}
	detail := c.line(responseText(r), "")
	e := sink.Classify(op, status, h, detail, now)
	if e == nil { // go-github reports no 2xx as an ErrorResponse; a guard
		return &sink.Error{Op: op, Status: status, Detail: detail}
	}
	if status == http.StatusUnauthorized {
		e.Detail = joinDetail(detail, "github_token is invalid or expired")
	}
	if status == http.StatusForbidden && !e.Retry && missingPermission(h, detail) {
		e.Disable = true
		if need == "" && r.Response != nil && r.Response.Request != nil {
			need = permissionFor(r.Response.Request.Method, r.Response.Request.URL.Path)
		}
		e.Err = newPermissionError(need, h.Get("X-Accepted-Github-Permissions"))
	}
	return e
}

func (c *Client) classifyGraphQL(op string, g *GraphQLError, need string, now time.Time) *sink.Error {
	detail := c.line(g.Error(), "")
	switch {
	case g.has("RATE_LIMITED", "rate limit"):
		after := sink.RetryAfter(g.Header, now)
		if after <= 0 {
			after = secondaryWait
		}
		return &sink.Error{Op: op, Status: http.StatusOK, Retry: true, After: after, Detail: detail}
	case g.has("FORBIDDEN", "Resource not accessible"):
		return &sink.Error{Op: op, Status: http.StatusOK, Disable: true, Detail: detail, Err: newPermissionError(need, "")}
	case g.has("NOT_FOUND", ""):
		return &sink.Error{Op: op, Status: http.StatusOK, Disable: true, Detail: detail}
	}
	return &sink.Error{Op: op, Status: http.StatusOK, Detail: detail}
}

// IsQueryError reports whether err is GitHub refusing a query itself (GraphQL errors, a
// 4xx such as 400, 404 or 422 on the endpoint) rather than a transient failure, a rate
// limit or a missing permission: the case where another API may still answer.
func IsQueryError(err error) bool {
	var g *GraphQLError
	if errors.As(err, &g) {
		return !g.has("RATE_LIMITED", "rate limit") && !g.has("FORBIDDEN", "Resource not accessible")
	}
	var r *github.ErrorResponse
	if errors.As(err, &r) {
		s := statusOf(r.Response)
		return s == http.StatusBadRequest || s == http.StatusNotFound || s == http.StatusUnprocessableEntity ||
			s == http.StatusMethodNotAllowed || s == http.StatusNotImplemented
	}
	return false
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

// responseText is GitHub's reason for an error answer: the message and each validation
// error's message, else the body itself (go-github leaves it readable).
func responseText(r *github.ErrorResponse) string {
	parts := []string{}
	if r.Message != "" {
		parts = append(parts, r.Message)
	}
	for _, e := range r.Errors {
		switch {
		case e.Message != "":
			parts = append(parts, e.Message)
		case e.Code != "":
			parts = append(parts, strings.TrimSpace(e.Field+" "+e.Code))
		}
	}
	if len(parts) == 0 && r.Response != nil && r.Response.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(r.Response.Body, 4096))
		return sink.Detail(b)
	}
	return strings.Join(parts, ": ")
}

// line is text scrubbed of the token, on one line and cut, or def when empty.
func (c *Client) line(text, def string) string {
	text = sink.Detail([]byte(strings.TrimSpace(c.Scrub(text))))
	if text == "" {
		return def
	}
	return text
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + " — " + b
}

// scrubbedError shows a transport error with the token removed and keeps the original
// reachable for errors.Is (a cancelled context stays recognisable).
type scrubbedError struct {
	text string
	err  error
}

func (e scrubbedError) Error() string { return e.text }
func (e scrubbedError) Unwrap() error { return e.err }
