package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/redact"
)

// Defaults of HTTPConfig.
const (
	defaultTimeout   = 5 * time.Second
	defaultMaxBody   = 1 << 20
	defaultUserAgent = "deploywatch"
	// maxRedirects is how many redirects a probe follows; one more is a breach.
	maxRedirects = 10
)

// HTTPConfig is shared by every HTTP check.
type HTTPConfig struct {
	// Timeout bounds one whole request, body read included; 0 means 5s.
	Timeout time.Duration
	// Headers are sent on every request. Their values are secrets: they never appear in a
	// measurement, and they are dropped when a redirect leaves the original host.
	Headers http.Header
	// MaxBody is how many bytes of a response are read; 0 means 1 MiB.
	MaxBody int64
	// UserAgent is sent unless Headers sets one; "" means "deploywatch".
	UserAgent string
	// Client replaces the built-in client (tests, custom TLS). It is copied, and the copy's
	// redirect policy replaced by the probe's own.
	Client *http.Client
}

func (h HTTPConfig) withDefaults() HTTPConfig {
	if h.Timeout <= 0 {
		h.Timeout = defaultTimeout
	}
	if h.MaxBody <= 0 {
		h.MaxBody = defaultMaxBody
	}
	if h.UserAgent == "" {
		h.UserAgent = defaultUserAgent
	}
	return h
}

// errProbeTimeout is the cause of a request context whose Timeout elapsed, telling it
// apart from the caller's own deadline.
var errProbeTimeout = errors.New("probe timeout")

// prober sends the requests of one check with a client built once.
type prober struct {
	cfg    HTTPConfig
	client *http.Client
	// secretNames are the configured header names, dropped on a cross-host redirect.
	secretNames []string
}

// request is one probe: what to send; headers are the merged configured headers.
type request struct {
	method  string
	url     string
	body    string
	headers http.Header
}

// response is what a probe read: the status and at most MaxBody bytes of body.
type response struct {
	status   int
	header   http.Header
	body     []byte
	oversize bool
}

// newProber builds the client of one check; headers are every header the check sends.
func newProber(h HTTPConfig, headers http.Header) *prober {
	h = h.withDefaults()
	p := &prober{cfg: h}
	for name := range headers {
		p.secretNames = append(p.secretNames, name)
	}
	if h.Client != nil {
		c := *h.Client
		p.client = &c
	} else {
		p.client = &http.Client{Transport: &http.Transport{
			// Like curl: honour HTTP(S)_PROXY / NO_PROXY; loopback is never proxied.
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            (&net.Dialer{Timeout: h.Timeout}).DialContext,
			TLSHandshakeTimeout:    h.Timeout,
			MaxResponseHeaderBytes: 1 << 20,
			ForceAttemptHTTP2:      true,
			// A fresh connection per probe: a kept-alive connection to a pod being replaced
			// would keep answering with the old version long after the rollout.
			DisableKeepAlives: true,
		}}
	}
	p.client.CheckRedirect = p.checkRedirect
	return p
}

// checkRedirect follows up to maxRedirects redirects. Once the chain has left the
// original host (or dropped from https to http) the configured headers are removed: they
// are credentials meant for that host. The Referer is never sent, as it could carry a
// token from the query string.
func (p *prober) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return &redirectError{at: redact.URL(req.URL.String())}
	}
	req.Header.Del("Referer")
	origin := via[0].URL
	left := !sameHost(origin, req.URL)
	for _, r := range via[1:] {
		left = left || !sameHost(origin, r.URL)
	}
	if left {
		for _, name := range p.secretNames {
			req.Header.Del(name)
		}
		req.Header.Set("User-Agent", p.cfg.UserAgent)
	}
	return nil
}

// sameHost reports whether to is the same host and port as from, without a downgrade
// from https to http.
func sameHost(from, to *url.URL) bool {
	if from.Scheme == "https" && to.Scheme != "https" {
		return false
	}
	return strings.EqualFold(from.Hostname(), to.Hostname()) && port(from) == port(to)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// checkURL validates a URL a probe can send to. The error names the URL redacted.
func checkURL(raw string) error {
	if reason := urlProblem(raw); reason != "" {
		return fmt.Errorf("invalid URL %s: %s", redact.URL(raw), reason)
	}
	return nil
}

// urlProblem says what is wrong with a URL a probe should send to, without repeating it
// (url.Parse errors quote the whole URL, password included); "" when it is fine.
func urlProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return serviceText(errText(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "scheme must be http or https"
	}
	if u.Host == "" {
		return "missing host"
	}
	return ""
}

// do sends r and reads at most MaxBody bytes of the answer. latency runs from sending
// the request to having read the bounded body (or to the failure).
func (p *prober) do(ctx context.Context, r request) (resp response, latency time.Duration, fail *failure) {
	if reason := urlProblem(r.url); reason != "" {
		return response{}, 0, &failure{kind: failProbe, reason: "invalid URL: " + reason}
	}
	if ctx.Err() != nil {
		return response{}, 0, &failure{kind: failCancelled, reason: "cancelled"}
	}
	reqCtx, cancel := context.WithTimeoutCause(ctx, p.cfg.Timeout, errProbeTimeout)
	defer cancel()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(reqCtx, r.method, r.url, body)
	if err != nil {
		return response{}, 0, &failure{kind: failProbe, reason: "invalid request: " + serviceText(errText(err))}
	}
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	for name, values := range r.headers {
		if strings.EqualFold(name, "Host") && len(values) > 0 {
			req.Host = values[0]
			continue
		}
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	state := func(inBody bool) requestState {
		return requestState{
			parentDone:  ctx.Err() != nil,
			deadlineHit: errors.Is(context.Cause(reqCtx), errProbeTimeout),
			inBody:      inBody,
			timeout:     p.cfg.Timeout,
		}
	}

	start := time.Now()
	res, err := p.client.Do(req)
	if err != nil {
		f := classify(err, state(false))
		return response{}, time.Since(start), &f
	}
	defer res.Body.Close()
	// One byte past the limit tells an oversize body from one that fits exactly.
	data, err := io.ReadAll(io.LimitReader(res.Body, p.cfg.MaxBody+1))
	latency = time.Since(start)
	if err != nil {
		f := classify(err, state(true))
		return response{}, latency, &f
	}
	resp = response{status: res.StatusCode, header: res.Header, body: data}
	if int64(len(data)) > p.cfg.MaxBody {
		resp.body, resp.oversize = data[:p.cfg.MaxBody], true
	}
	return resp, latency, nil
}
