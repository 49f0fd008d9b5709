package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/deploywatch/deploywatch/internal/model"
)

// maxBodyExcerpt caps the body quoted when a smoke test gets an unexpected status.
const maxBodyExcerpt = 120

// SmokeTest is one request a deploy must answer correctly.
type SmokeTest struct {
	// Method and URL of the request; Method "" means GET.
	Method, URL string
	// Expr is a jq expression the JSON answer must satisfy, as with jq -e; "" checks the
	// status only.
	Expr string
	// Body is sent as the request body when not empty.
	Body string
	// Headers are sent on this request, replacing configured headers of the same name.
	// Their values are secrets like the configured ones.
	Headers http.Header
	// ExpectStatus is the accepted status: "" (any 2xx), "200", "2xx", or a comma list
	// such as "201,202" or "200,3xx".
	ExpectStatus string
}

// smokeCheck sends a smoke test and judges the answer.
type smokeCheck struct {
	base
	expr   string
	code   *gojq.Code // nil without Expr
	status statusSet
}

// NewSmoke returns a check that sends t and requires its status and, with an expression,
// a truthy last output of the expression over the JSON answer.
func NewSmoke(spec model.CheckSpec, t SmokeTest, h HTTPConfig) (Check, error) {
	method := strings.ToUpper(strings.TrimSpace(t.Method))
	if method == "" {
		method = http.MethodGet
	}
	status, err := parseStatusSet(t.ExpectStatus)
	if err != nil {
		return nil, err
	}
	if err := checkURL(t.URL); err != nil {
		return nil, err
	}
	c := &smokeCheck{expr: strings.TrimSpace(t.Expr), status: status}
	if c.expr != "" {
		if c.code, err = compileJQ(c.expr); err != nil {
			return nil, fmt.Errorf("smoke test expression %q: %w", c.expr, err)
		}
	}
	c.base = newBase(spec, method, t.URL, t.Body, t.Headers, h)
	// Set after newBase: a content type we chose is not a secret to scrub or drop.
	if t.Body != "" && c.req.headers.Get("Content-Type") == "" && json.Valid([]byte(t.Body)) {
		c.req.headers.Set("Content-Type", "application/json")
	}
	return c, nil
}

// Run probes once.
func (c *smokeCheck) Run(ctx context.Context) (m model.Measurement) {
	m = c.start()
	defer c.finish(&m)
	m.Expected = c.status.String()
	resp, latency, fail := c.p.do(ctx, c.req)
	m.Latency = latency
	if fail != nil {
		c.applyFailure(&m, *fail)
		return m
	}
	if !c.status.match(resp.status) {
		m.Breach = true
		m.Value = strconv.Itoa(resp.status)
		m.Message = fmt.Sprintf("%s returned %s (expected %s)", c.shown, statusText(resp.status), c.status)
		if excerpt := capText(oneLine(string(resp.body)), maxBodyExcerpt); excerpt != "" {
			m.Message += ": " + excerpt
		}
		return m
	}
	if c.code == nil {
		m.Value = strconv.Itoa(resp.status)
		m.Message = fmt.Sprintf("%s returned %s", c.shown, statusText(resp.status))
		return m
	}
	c.assert(ctx, &m, resp)
	return m
}

// assert runs the expression over the JSON answer, passing like jq -e: at least one
// output, and the last one neither false nor null.
func (c *smokeCheck) assert(ctx context.Context, m *model.Measurement, resp response) {
	m.Expected = "truthy: " + c.expr
	breach := func(format string, args ...any) {
		m.Breach = true
		m.Message = c.shown + ": " + fmt.Sprintf(format, args...)
	}
	if resp.oversize {
		breach("response exceeds %s", byteSize(c.p.cfg.MaxBody))
		return
	}
	var doc any
	if err := decodeJSON(resp.body, &doc); err != nil {
		breach("response is not JSON: %s", jsonErrorText(err))
		return
	}
	// The user's expression could loop forever; it gets the request's time budget.
	evalCtx, cancel := context.WithTimeout(ctx, c.p.cfg.Timeout)
	defer cancel()
	r := runJQ(evalCtx, c.code, doc, false)
	switch {
	case ctx.Err() != nil:
		probeError(m, "cancelled")
	case r.err != nil && errors.Is(r.err, context.DeadlineExceeded):
		probeError(m, "%s: expression %s did not finish within %s", c.shown, c.expr, c.p.cfg.Timeout)
	case r.err != nil:
		breach("expression %s failed: %s", c.expr, serviceText(r.err.Error()))
	case r.outputs == 0:
		breach("expression %s produced no output", c.expr)
	case !jqTruthy(r.last):
		m.Value = serviceText(renderJQ(r.last))
		breach("expression %s returned %s", c.expr, m.Value)
	default:
		m.Value = serviceText(renderJQ(r.last))
		m.Message = fmt.Sprintf("%s returned %s; %s is %s", c.shown, statusText(resp.status), c.expr, m.Value)
	}
}

// statusSet is a parsed ExpectStatus: exact codes and classes ("2xx" is class 2).
type statusSet struct {
	codes   []int
	classes []int
	text    string
}

// parseStatusSet reads "", "200", "2xx" or a comma list of those.
func parseStatusSet(s string) (statusSet, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "2xx"
	}
	var set statusSet
	var shown []string
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch {
		case len(item) == 3 && item[0] >= '1' && item[0] <= '5' && item[1:] == "xx":
			set.classes = append(set.classes, int(item[0]-'0'))
		case len(item) == 3:
			code, err := strconv.Atoi(item)
			if err != nil || code < 100 || code > 599 {
				return statusSet{}, fmt.Errorf("expected status %q: %q is not a status code or class like 2xx", s, item)
			}
			set.codes = append(set.codes, code)
		default:
			return statusSet{}, fmt.Errorf("expected status %q: %q is not a status code or class like 2xx", s, item)
		}
		shown = append(shown, item)
	}
	set.text = strings.Join(shown, ",")
	return set, nil
}

func (s statusSet) match(code int) bool {
	for _, c := range s.codes {
		if c == code {
			return true
		}
	}
	for _, c := range s.classes {
		if code/100 == c {
			return true
		}
	}
	return false
}

// String is the set as a user writes it: "2xx", "201,202".
func (s statusSet) String() string { return s.text }
