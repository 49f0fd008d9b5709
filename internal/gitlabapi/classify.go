package gitlabapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// Classify turns the error of a call into a *sink.Error the dispatcher acts on (nil stays
// nil): a rate limit (429) is retried after its Retry-After or RateLimit-Reset, 5xx and
// lost connections are retried, refused credentials or a missing permission (401, 403)
// and a missing project or object (404) turn the sink off with a hint, other 4xx are
// final. The token never appears in the result.
func (c *Client) Classify(op string, err error) error {
	if err == nil {
		return nil
	}
	return c.classify(op, err, op)
}

// ClassifyNeeding is Classify with need naming, for the hint, what the sink was doing when
// refused, e.g. "set commit statuses" while reading them first.
func (c *Client) ClassifyNeeding(op string, err error, need string) error {
	if err == nil {
		return nil
	}
	return c.classify(op, err, need)
}

func (c *Client) classify(op string, err error, need string) *sink.Error {
	var (
		se   *sink.Error
		resp *gitlab.ErrorResponse
	)
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, gitlab.ErrNotFound):
		// client-go answers every 404 with this bare error.
		return &sink.Error{Op: op, Status: http.StatusNotFound, Disable: true,
			Detail: "404 Not Found — the project, or what was asked of it, does not exist or the token cannot see it"}
	case errors.As(err, &resp):
		return c.classifyResponse(op, resp, need, time.Now())
	}
	if sink.UntrustedCertificate(err) {
		return &sink.Error{Op: op, Disable: true, Detail: "the server's certificate is not trusted (ca_cert adds a private CA)",
			Err: scrubbedError{text: c.Scrub(err.Error()), err: err}}
	}
	return &sink.Error{Op: op, Retry: transient(err), Err: scrubbedError{text: c.Scrub(err.Error()), err: err}}
}

func (c *Client) classifyResponse(op string, r *gitlab.ErrorResponse, need string, now time.Time) *sink.Error {
	status, h := 0, http.Header{}
	if r.Response != nil {
		status, h = r.Response.StatusCode, r.Response.Header
	}
	detail := c.line(responseText(r))
	e := sink.Classify(op, status, h, detail, now)
	if e == nil { // client-go reports no 2xx as an ErrorResponse; a guard
		return &sink.Error{Op: op, Status: status, Detail: detail}
	}
	if status == http.StatusTooManyRequests && e.After == 0 {
		e.After = rateLimitReset(h, now)
	}
	if e.Disable && (status == http.StatusUnauthorized || status == http.StatusForbidden) {
		e.Detail = joinDetail(detail, c.hint(status, need))
	}
	return e
}

// hint says what to do about a refusal. GitLab refuses a CI_JOB_TOKEN on an endpoint it
// does not open to job tokens with a 401, as if no token had been sent.
func (c *Client) hint(status int, need string) string {
	if need == "" {
		need = "do this"
	}
	switch {
	case c.jobToken:
		return "CI_JOB_TOKEN cannot " + need + "; set gitlab_token to a project access token with the api scope"
	case status == http.StatusUnauthorized:
		return "gitlab_token is invalid, expired or revoked"
	}
	return "the token's user may not " + need + ": gitlab_token needs the api scope and at least the Developer role " +
		"(Maintainer for a commit status on a protected branch, deploy rights for a protected environment)"
}

// rateLimitReset is when GitLab's rate limit resets, from RateLimit-Reset (a Unix time) or
// RateLimit-ResetTime (an HTTP date); zero when neither says.
func rateLimitReset(h http.Header, now time.Time) time.Duration {
	if v, err := strconv.ParseInt(strings.TrimSpace(h.Get("RateLimit-Reset")), 10, 64); err == nil && v > 0 {
		return max(time.Unix(v, 0).Sub(now), 0)
	}
	if t, err := http.ParseTime(h.Get("RateLimit-ResetTime")); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
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

// responseText is GitLab's reason for an error answer, from its JSON body: the message
// (a text such as "403 Forbidden", or field errors such as {"note": ["is too long ..."]}),
// else error and error_description (OAuth); else the body itself (a 429 from the rate
// limiter is plain text).
func responseText(r *gitlab.ErrorResponse) string {
	var doc struct {
		Message          any    `json:"message"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(r.Body, &doc) != nil {
		return sink.Detail(r.Body)
	}
	if text := flatten(doc.Message); text != "" {
		return text
	}
	if doc.Error != "" {
		return joinDetail(doc.Error, doc.ErrorDescription)
	}
	return sink.Detail(r.Body)
}

// flatten writes a message GitLab gave as text, a list or field errors on one line:
// "note is too long (maximum is 1000000 characters)".
func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, 0, len(v))
		for _, it := range v {
			if s := flatten(it); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if s := flatten(v[k]); s != "" {
				parts = append(parts, k+" "+s)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// line is text scrubbed of the token, on one line and cut.
func (c *Client) line(text string) string {
	return sink.Detail([]byte(strings.TrimSpace(c.Scrub(text))))
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
