package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// DefaultTimeout bounds one request of a sink: a webhook that takes longer is down.
const DefaultTimeout = 10 * time.Second

// maxAnswer bounds what is read of an answer: sinks expect small JSON documents.
const maxAnswer = 1 << 20

// NewClient returns the HTTP client of one sink: every request bounded by timeout (zero
// means DefaultTimeout) and sent with userAgent. base is the transport (nil: a clone of
// http.DefaultTransport, so sinks share no connection state with the checks).
func NewClient(userAgent string, timeout time.Duration, base http.RoundTripper) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{Timeout: timeout, Transport: userAgentTransport{ua: userAgent, base: base}}
}

type userAgentTransport struct {
	ua   string
	base http.RoundTripper
}

func (t userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.ua != "" && r.Header.Get("User-Agent") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("User-Agent", t.ua)
	}
	return t.base.RoundTrip(r)
}

// Request is one HTTP call of a sink.
type Request struct {
	// Op names the call in errors: "post message".
	Op     string
	Method string
	URL    string
	Header http.Header
	// JSON is encoded as the body when not nil (without HTML escaping); Body is sent as is
	// otherwise.
	JSON any
	Body []byte
}

// Do sends r and decodes a 2xx JSON answer into out (nil discards it). A failure is an
// *Error, classified for retries. Errors never hold the URL beyond its scheme and host:
// for webhooks the URL is the secret.
func Do(ctx context.Context, c *http.Client, r Request, out any) error {
	body := r.Body
	if r.JSON != nil {
		b, err := encodeJSON(r.JSON)
		if err != nil {
			return &Error{Op: r.Op, Err: fmt.Errorf("encode: %w", err)}
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(body))
	if err != nil {
		return &Error{Op: r.Op, Err: fmt.Errorf("bad request to %s: %w", Endpoint(r.URL), unwrapURL(err))}
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.JSON != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return transportError(r.Op, fmt.Errorf("%s %s: %w", r.Method, Endpoint(r.URL), unwrapURL(err)))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	// Drain a little more so the connection is reused; an answer longer still (an endless
	// stream) is cut off by closing the connection instead of being read to its end.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	if e := Classify(r.Op, resp.StatusCode, resp.Header, Detail([]byte(scrub(string(answer), req))), time.Now()); e != nil {
		return e
	}
	if err != nil {
		return transportError(r.Op, fmt.Errorf("read answer: %w", err))
	}
	if out != nil && len(bytes.TrimSpace(answer)) > 0 {
		if err := json.Unmarshal(answer, out); err != nil {
			return &Error{Op: r.Op, Status: resp.StatusCode, Err: fmt.Errorf("unreadable answer: %w", err)}
		}
	}
	return nil
}

// encodeJSON writes v leaving <, > and & as they are: sinks escape text for their own
// format, and \u003c in a payload only makes it harder to read.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// unwrapURL drops the *url.Error around a transport error: it prints the whole URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Endpoint reduces a URL to its scheme and host, the part of a webhook URL fit to show.
func Endpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(endpoint)"
	}
	return u.Scheme + "://" + u.Host
}

// scrub removes from a server's reason what the request carried that may be secret: its
// header values (tokens, API keys) and its URL's path and query (a webhook's secret),
// should a server echo them.
func scrub(text string, req *http.Request) string {
	var secrets []string
	for _, vs := range req.Header {
		for _, v := range vs {
			secrets = append(secrets, v)
			if _, token, ok := strings.Cut(v, " "); ok {
				secrets = append(secrets, token)
			}
		}
	}
	secrets = append(secrets, req.URL.Path, req.URL.RawQuery)
	for _, q := range req.URL.Query() {
		secrets = append(secrets, q...)
	}
	for _, s := range secrets {
		if len(s) >= 8 {
			text = strings.ReplaceAll(text, s, "***")
		}
	}
	return text
}

// maxDetail bounds the server's reason quoted in an error.
const maxDetail = 200

// Detail extracts the reason of an error answer: the `message` or `error` field of a JSON
// body (GitHub, Grafana, Datadog), else the text itself (Slack), on one line and cut.
func Detail(body []byte) string {
	var doc struct {
		Message string `json:"message"`
		Error   any    `json:"error"`
		Errors  any    `json:"errors"`
	}
	text := string(bytes.TrimSpace(body))
	if json.Unmarshal(body, &doc) == nil {
		switch {
		case doc.Message != "":
			text = doc.Message
		case doc.Error != nil:
			text = fmt.Sprint(doc.Error)
		case doc.Errors != nil:
			text = fmt.Sprint(doc.Errors)
		}
	}
	text = strings.Join(strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	if r := []rune(text); len(r) > maxDetail {
		text = string(r[:maxDetail]) + "…"
	}
	return text
}
