// Package prometheus is a source.Querier over the Prometheus HTTP API (/api/v1/query and
// /api/v1/query_range). Thanos, Mimir, Cortex and VictoriaMetrics serve the same API, so
// no backend is special-cased: a path prefix in the URL (https://mimir/prometheus) and
// extra headers (X-Scope-OrgID) are all they need.
package prometheus

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/source"
)

// DefaultTimeout bounds one query when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Options configures a Client.
type Options struct {
	// URL is the API's base URL, without /api/v1. It may hold a path prefix
	// (https://mimir/prometheus) and user:password@ for basic auth.
	URL string
	// Token is sent as "Authorization: Bearer <token>". It wins over a password in URL:
	// both cannot go in the one Authorization header, and the token is the explicit
	// setting. It is a secret.
	Token string
	// Headers are added to every request, e.g. X-Scope-OrgID. Their values are secrets.
	// Token and URL credentials win over an Authorization header here.
	Headers http.Header
	// Timeout bounds each query; zero means DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests; nil means a default client. Its Transport is wrapped,
	// not replaced.
	Client *http.Client
	// UserAgent, when set, replaces Go's default User-Agent.
	UserAgent string
	// MaxAnswer bounds the body of one answer; zero means DefaultMaxAnswer. The API
	// library reads a body whole into memory: a runaway query, or a proxy streaming
	// without end, must cost an error, not the runner's memory.
	MaxAnswer int64
}

// DefaultMaxAnswer bounds an answer when Options.MaxAnswer is zero. The answers
// deploywatch asks for (aggregates; a week at one point a minute) are a few MiB at most.
const DefaultMaxAnswer = 64 << 20

// Client evaluates PromQL through the HTTP API. It is safe for concurrent use.
type Client struct {
	api     v1.API
	url     string // redacted, for messages
	timeout time.Duration
	secrets *redact.Redactor
}

var _ source.Querier = (*Client)(nil)

// New returns a client for o. It checks the URL but sends nothing: Ping does.
func New(o Options) (*Client, error) {
	shown := redact.URL(o.URL)
	u, err := url.Parse(strings.TrimSpace(o.URL))
	if err != nil {
		// url.Parse quotes the raw URL, password included: keep only its reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("prometheus url %q: %w", shown, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus url %q: want http:// or https:// and a host", shown)
	}
	tr := &authTransport{
		scheme:    u.Scheme,
		host:      u.Hostname(),
		token:     o.Token,
		headers:   o.Headers.Clone(),
		userAgent: o.UserAgent,
		maxAnswer: o.MaxAnswer,
	}
	if tr.maxAnswer <= 0 {
		tr.maxAnswer = DefaultMaxAnswer
	}
	secrets := append(redact.URLSecrets(o.URL), o.Token)
	for _, vs := range o.Headers {
		secrets = append(secrets, vs...)
	}
	if u.User != nil {
		tr.user = u.User.Username()
		tr.pass, _ = u.User.Password()
		tr.basic = true
		// A backend may quote the header it refused.
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(tr.user+":"+tr.pass)))
		u.User = nil // the library would otherwise print it in its errors
	}
	hc := &http.Client{}
	if o.Client != nil {
		c := *o.Client
		hc = &c
	}
	tr.next = hc.Transport
	if tr.next == nil {
		tr.next = api.DefaultRoundTripper
	}
	hc.Transport = tr
	ac, err := api.NewClient(api.Config{Address: u.String(), Client: hc})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %q: %w", shown, err)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{api: v1.NewAPI(ac), url: shown, timeout: timeout, secrets: redact.New(secrets...)}, nil
}

// WithTimeout returns a client that shares c's connection and credentials but bounds each
// query by d instead (a check over a slow, long-range query); d ≤ 0 returns c.
func (c *Client) WithTimeout(d time.Duration) *Client {
	if d <= 0 || d == c.timeout {
		return c
	}
	cc := *c
	cc.timeout = d
	return &cc
}

// Query evaluates q at the instant at; a zero at means the backend's now. Each series of
// a vector is one Sample (NaN values dropped); a scalar is one Sample without labels.
// Nothing left is source.ErrNoData. A range vector or native histograms only is a
// *source.QueryError (the query needs fixing); a string answer is an *Error.
func (c *Client) Query(ctx context.Context, q string, at time.Time) ([]source.Sample, error) {
	v, err := c.do(ctx, "query", q, func(ctx context.Context) (model.Value, error) {
		v, _, _, err := c.api.Query(ctx, q, at)
		return v, err
	})
	if err != nil {
		return nil, err
	}
	return samples(q, v)
}

// QueryRange evaluates q over [start, end] every step. NaN points are dropped, then
// series without points; nothing left is source.ErrNoData.
func (c *Client) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]source.Series, error) {
	// The backend would call these bad_data, which reads as a broken query: they are ours.
	if step <= 0 {
		return nil, fmt.Errorf("prometheus query range %q: step %v is not positive", short(q), step)
	}
	if end.Before(start) {
		return nil, fmt.Errorf("prometheus query range %q: end %s before start %s", short(q),
			end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	v, err := c.do(ctx, "query range", q, func(ctx context.Context) (model.Value, error) {
		v, _, _, err := c.api.QueryRange(ctx, q, v1.Range{Start: start, End: end, Step: step})
		return v, err
	})
	if err != nil {
		return nil, err
	}
	return series(q, v)
}

// Ping evaluates `1` at the backend's now: it proves the URL, the credentials and the
// API in one call, the same way on every compatible backend (readiness and build-info
// endpoints differ between Prometheus, Thanos, Mimir and VictoriaMetrics).
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, "ping", "1", func(ctx context.Context) (model.Value, error) {
		v, _, _, err := c.api.Query(ctx, "1", time.Time{})
		return v, err
	})
	return err
}

// do runs one call under the per-query timeout and turns its failure into an error fit
// to show. Warnings in the answer are ignored: the value is what the checks judge.
func (c *Client) do(ctx context.Context, op, q string, call func(context.Context) (model.Value, error)) (model.Value, error) {
	qctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	qctx, seen := withAnswer(qctx)
	v, err := call(qctx)
	if err == nil {
		return v, nil
	}
	if ctx.Err() != nil {
		// The caller stopped: not the backend's failure, and no timeout of ours.
		return nil, fmt.Errorf("prometheus %s %q: %w", op, short(q), context.Cause(ctx))
	}
	var apiErr *v1.Error
	if errors.As(err, &apiErr) && apiErr.Type == v1.ErrBadData {
		return nil, &source.QueryError{Query: q, Reason: c.secrets.String(reason(apiErr.Msg))}
	}
	kind, msg := classify(c.url, *seen, err, c.timeout)
	return nil, &Error{Op: op, Query: short(q), Kind: kind, Status: seen.status,
		Msg: c.secrets.String(msg), Err: c.scrub(cause(err))}
}

// scrub returns err with the backend's text redacted when it is the API's error, which
// quotes the body: errors.As must not hand out what Error() hides.
func (c *Client) scrub(err error) error {
	var apiErr *v1.Error
	if errors.As(err, &apiErr) {
		return &v1.Error{Type: apiErr.Type, Msg: c.secrets.String(apiErr.Msg), Detail: c.secrets.String(apiErr.Detail)}
	}
	return err
}

// reason drops the parameter name Prometheus puts before a parse error.
func reason(msg string) string {
	return strings.TrimPrefix(msg, `invalid parameter "query": `)
}

// maxQuery is how much of a query an error message quotes.
const maxQuery = 200

// short truncates q for messages.
func short(q string) string { return truncate(q, maxQuery) }

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
