package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/deploywatch/deploywatch/internal/model"
)

// maxKeysShown caps the keys listed when the version field is missing.
const maxKeysShown = 10

// versionCheck reads the version a service reports and compares it with the deployed one.
type versionCheck struct {
	base
	field    string
	code     *gojq.Code
	expected string
}

// NewVersion returns a check that GETs url, reads the version at field (a jq path such
// as ".commit") from the JSON answer and compares it with expected using VersionMatches.
// An unreadable answer is a probe error, never a breach: only a version actually read
// can be a mismatch.
func NewVersion(spec model.CheckSpec, url, field, expected string, h HTTPConfig) (Check, error) {
	field = strings.TrimSpace(field)
	if field == "" {
		return nil, errors.New("version field is empty")
	}
	code, err := compileJQ(field)
	if err != nil {
		return nil, fmt.Errorf("version field %q: %w", field, err)
	}
	expected = strings.TrimSpace(expected)
	if expected == "" {
		return nil, errors.New("expected version is empty")
	}
	if err := checkURL(url); err != nil {
		return nil, err
	}
	return &versionCheck{
		base:     newBase(spec, http.MethodGet, url, "", nil, h),
		field:    field,
		code:     code,
		expected: expected,
	}, nil
}

// Run probes once.
func (c *versionCheck) Run(ctx context.Context) (m model.Measurement) {
	m = c.start()
	defer c.finish(&m)
	m.Expected = c.expected
	resp, latency, fail := c.p.do(ctx, c.req)
	m.Latency = latency
	switch {
	case fail != nil && fail.kind == failRedirects:
		// Like any other unreadable answer of the info endpoint: no version was read.
		probeError(&m, "info endpoint %s; cannot read the version", fail.reason)
		return m
	case fail != nil:
		c.applyFailure(&m, *fail)
		return m
	case resp.status >= 500:
		// The service itself is failing (a 503 from a broken deploy): a breach, like a
		// readiness endpoint's 5xx, not the monitor's failure to read the answer.
		m.Breach = true
		m.Severity = max(model.SeverityCritical, c.spec.Severity)
		m.Signal = model.SignalHealth
		m.Value = statusText(resp.status)
		m.Message = fmt.Sprintf("info endpoint %s returned %s (expected 2xx); the service is failing, its version cannot be read", c.shown, statusText(resp.status))
		return m
	case !is2xx(resp.status):
		// A 4xx says the request is wrong (the URL, a missing header): the monitor's problem.
		probeError(&m, "info endpoint returned %s; cannot read the version", statusText(resp.status))
		return m
	case resp.oversize:
		probeError(&m, "info response exceeds %s", byteSize(c.p.cfg.MaxBody))
		return m
	}
	var doc any
	if err := decodeJSON(resp.body, &doc); err != nil {
		probeError(&m, "info response is not JSON: %s", jsonErrorText(err))
		return m
	}
	evalCtx, cancel := context.WithTimeout(ctx, c.p.cfg.Timeout)
	defer cancel()
	r := runJQ(evalCtx, c.code, doc, true)
	switch {
	case ctx.Err() != nil:
		probeError(&m, "cancelled")
		return m
	case r.err != nil:
		probeError(&m, "field %s in info response: %s", c.field, serviceText(r.err.Error()))
		return m
	case r.outputs == 0 || r.first == nil:
		probeError(&m, "field %s not found in info response (%s)", c.field, describeKeys(doc))
		return m
	}
	observed, ok := r.first.(string)
	if !ok {
		if observed, ok = numberText(r.first); !ok {
			probeError(&m, "field %s in info response is %s, not a string or number", c.field, jqType(r.first))
			return m
		}
	}
	observed = serviceText(observed)
	if observed == "" {
		probeError(&m, "field %s is empty in info response", c.field)
		return m
	}
	m.Value = observed
	where := fmt.Sprintf("(%s at %s)", c.field, c.url)
	if VersionMatches(observed, c.expected) {
		m.Message = fmt.Sprintf("serving %s as expected %s", shortVersion(observed), where)
		return m
	}
	m.Breach = true
	m.Message = fmt.Sprintf("serving %s, expected %s %s", shortVersion(observed), shortVersion(c.expected), where)
	return m
}

// VersionMatches reports whether the observed version is the expected one. Both are
// trimmed and compared ignoring case; a short commit SHA matches its full form either way
// round (the full one 40 or 64 hexadecimal digits, SHA-1 or SHA-256, the short one at
// least 7 and a prefix of it): two short forms, or build numbers such as 1234567 and
// 12345678, are compared whole. A leading "v" before a digit is ignored ("v1.2.3" matches
// "1.2.3"). Empty never matches.
func VersionMatches(observed, expected string) bool {
	o, e := strings.TrimSpace(observed), strings.TrimSpace(expected)
	if o == "" || e == "" {
		return false
	}
	if strings.EqualFold(o, e) {
		return true
	}
	if isHex(o) && isHex(e) {
		short, long := strings.ToLower(o), strings.ToLower(e)
		if len(short) > len(long) {
			short, long = long, short
		}
		if len(short) >= 7 && (len(long) == 40 || len(long) == 64) && strings.HasPrefix(long, short) {
			return true
		}
	}
	return strings.EqualFold(trimV(o), trimV(e))
}

// trimV drops the "v" of "v1.2.3".
func trimV(s string) string {
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') && '0' <= s[1] && s[1] <= '9' {
		return s[1:]
	}
	return s
}

// describeKeys lists the top-level keys of a JSON document, to help fix version_field.
func describeKeys(doc any) string {
	obj, ok := doc.(map[string]any)
	if !ok {
		return "the response is " + jqType(doc)
	}
	if len(obj) == 0 {
		return "the response is an empty object"
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, serviceText(k))
	}
	sort.Strings(keys)
	if len(keys) > maxKeysShown {
		keys = append(keys[:maxKeysShown], "…")
	}
	return "keys: " + strings.Join(keys, ", ")
}

// jqType names a JSON value's type as jq does, with an article.
func jqType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "a number"
}

// jsonErrorText is a short reason a body is not JSON.
func jsonErrorText(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of JSON input"
	}
	return capText(oneLine(err.Error()), 100)
}
