package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/itchyny/gojq"

	"github.com/deploywatch/deploywatch/internal/model"
)

// methods are the HTTP methods a smoke test may use.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// SmokeTest is one parsed line of smoke_tests.
type SmokeTest struct {
	Method, URL, Expr string
}

// ParseSmokeTest reads `METHOD URL [jq-expression]`; the method may be left out (GET).
func ParseSmokeTest(line string) (SmokeTest, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return SmokeTest{}, errors.New("is empty")
	}
	t := SmokeTest{Method: "GET"}
	rest := strings.TrimSpace(line)
	if !strings.Contains(fields[0], "://") {
		t.Method = strings.ToUpper(fields[0])
		if !contains(methods, t.Method) {
			return SmokeTest{}, fmt.Errorf("method %q is not allowed; allowed: %s (write METHOD URL [jq-expression])", truncate(fields[0], 20), strings.Join(methods, ", "))
		}
		rest = strings.TrimSpace(rest[len(fields[0]):])
		if len(fields) < 2 {
			return SmokeTest{}, errors.New("has no URL; write METHOD URL [jq-expression]")
		}
	}
	// Any space ends the URL, as it ends the method: a no-break space or a tab left in by
	// a copy and paste would otherwise fold the expression into the URL, unchecked.
	target, expr := rest, ""
	if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
		target, expr = rest[:i], rest[i:]
	}
	if _, err := ParseHTTPURL(target); err != nil {
		return SmokeTest{}, fmt.Errorf("URL %q %w", truncate(target, 80), err)
	}
	t.URL, t.Expr = target, strings.TrimSpace(expr)
	if t.Expr != "" {
		if err := compileJQ(t.Expr); err != nil {
			return SmokeTest{}, fmt.Errorf("jq expression %q does not compile: %w", truncate(t.Expr, 80), err)
		}
	}
	return t, nil
}

func compileJQ(expr string) error {
	q, err := gojq.Parse(expr)
	if err != nil {
		return err
	}
	_, err = gojq.Compile(q)
	return err
}

// buildChecks turns the check inputs and the file's checks list into Config.Checks.
func buildChecks(c *Config, vals map[string]raw, f *File) Problems {
	var ps Problems
	base := Check{Severity: model.SeverityCritical, Persistence: c.Persistence, EmergencyPersistence: c.EmergencyPersistence,
		MaxProbeErrors: c.MaxProbeErrors, Timeout: c.HTTPTimeout, Headers: c.HTTPHeaders, Method: http.MethodGet}
	add := func(ch Check, o Origin) {
		ch.origin = o
		c.Checks = append(c.Checks, ch)
	}
	field := strings.TrimSpace(vals["version_field"].text)
	if field != "" {
		if err := compileJQ(field); err != nil {
			r := vals["version_field"]
			ps = append(ps, Problem{Input: "version_field", Origin: r.origin, Value: r.text, HasValue: true, Msg: "is not a jq path: " + err.Error()})
		}
	}
	for _, k := range []struct {
		input string
		name  string
		typ   CheckType
	}{{"health_url", "readiness", CheckReadiness}, {"live_url", "liveness", CheckLiveness}, {"info_url", "version", CheckVersion}} {
		u := strings.TrimSpace(vals[k.input].text)
		if u == "" {
			continue
		}
		ch := base
		ch.Name, ch.Type, ch.URL, ch.Source = k.name, k.typ, u, k.input
		if k.typ == CheckVersion {
			ch.Field, ch.Expected = field, c.ExpectedVersion
		}
		add(ch, vals[k.input].origin)
	}
	smoke := vals["smoke_tests"]
	for i, line := range splitLines(smoke.text) {
		t, err := ParseSmokeTest(line)
		if err != nil {
			ps = append(ps, Problem{Input: fmt.Sprintf("smoke_tests line %d", i+1), Origin: smoke.origin, Value: line, HasValue: true, Msg: err.Error()})
			continue
		}
		ch := base
		ch.Type, ch.Method, ch.URL, ch.Expect = CheckHTTP, t.Method, t.URL, t.Expr
		ch.Name, ch.Source = "smoke "+t.Method+" "+shortTarget(t.URL), fmt.Sprintf("smoke_tests line %d", i+1)
		add(ch, smoke.origin)
	}
	uniqueNames(c.Checks)
	if f != nil {
		for _, fc := range f.Checks {
			if CheckType(strings.TrimSpace(fc.Fields["type"])) == CheckPrometheus {
				continue // a metric check: see buildMetricChecks
			}
			ch, cps := fileCheckConfig(base, fc, c, field, f.Name)
			ps = append(ps, cps...)
			if len(cps) == 0 {
				add(ch, Origin{LayerFile, fmt.Sprintf("%s:%d", f.Name, fc.Line)})
			}
		}
	}
	return ps
}

// shortTarget is the path of a URL, or its host when the path is empty.
func shortTarget(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Path == "" || u.Path == "/") {
		if err == nil {
			return u.Host
		}
		return raw
	}
	return u.Path
}

// uniqueNames numbers generated names that collide ("smoke GET /x", "smoke GET /x #2").
func uniqueNames(checks []Check) {
	seen := map[string]int{}
	for i := range checks {
		seen[checks[i].Name]++
		if n := seen[checks[i].Name]; n > 1 {
			checks[i].Name = fmt.Sprintf("%s #%d", checks[i].Name, n)
		}
	}
}

// duplicateCheckNames reports checks, HTTP or metric, that share a name: names key the
// findings, the report and the outputs.
func duplicateCheckNames(c *Config) Problems {
	var ps Problems
	first := map[string]string{}
	seen := func(name, source string, o Origin) {
		if src, ok := first[name]; ok {
			ps = append(ps, Problem{Input: source + ".name", Origin: o, Value: name, HasValue: true,
				Msg: fmt.Sprintf("is already the name of the check from %s; names must be unique", src)})
			return
		}
		first[name] = source
	}
	for _, ch := range c.Checks {
		seen(ch.Name, ch.Source, ch.origin)
	}
	for _, mc := range c.Metrics.Checks {
		seen(mc.Name, mc.Source, mc.origin)
	}
	return ps
}

// fileCheckConfig resolves one item of the file's checks list; problems name checks[i].key.
func fileCheckConfig(base Check, fc fileCheck, c *Config, field, file string) (Check, Problems) {
	ch := base
	ch.Source = fmt.Sprintf("checks[%d]", fc.Index)
	origin := Origin{LayerFile, fmt.Sprintf("%s:%d", file, fc.Line)}
	var ps Problems
	bad := func(key, msg string) {
		ps = append(ps, Problem{Input: ch.Source + "." + key, Origin: origin, Value: fc.Fields[key], HasValue: true, Msg: msg})
	}
	get := func(key string) string { return strings.TrimSpace(fc.Fields[key]) }
	ch.Type = CheckType(get("type"))
	if ch.Type == "" {
		ch.Type = CheckHTTP
	}
	if !containsType(ch.Type) {
		bad("type", fmt.Sprintf("is not a check type; allowed: %s", joinTypes()))
	}
	for _, k := range metricCheckKeys {
		if _, ok := fc.Fields[k]; ok {
			bad(k, fmt.Sprintf("is a setting of prometheus checks, not of %s checks", ch.Type))
		}
	}
	ch.URL = get("url")
	if ch.URL == "" {
		ps = append(ps, Problem{Input: ch.Source + ".url", Origin: origin, Msg: "is required"})
	} else if _, err := ParseHTTPURL(ch.URL); err != nil {
		bad("url", err.Error())
	}
	if m := strings.ToUpper(get("method")); m != "" {
		if !contains(methods, m) {
			bad("method", "is not allowed; allowed: "+strings.Join(methods, ", "))
		}
		ch.Method = m
	}
	ch.Body, ch.ExpectStatus, ch.Expect = fc.Fields["body"], get("expect_status"), get("expect")
	if ch.ExpectStatus != "" && !validStatusPattern(ch.ExpectStatus) {
		bad("expect_status", "must be status codes or classes such as 200, 2xx or 200,204")
	}
	if ch.Expect != "" {
		if err := compileJQ(ch.Expect); err != nil {
			bad("expect", "is not a jq expression: "+err.Error())
		}
	}
	ch.Field, ch.Expected = field, c.ExpectedVersion
	if v := get("field"); v != "" {
		ch.Field = v
		if err := compileJQ(v); err != nil {
			bad("field", "is not a jq path: "+err.Error())
		}
	}
	if v := get("expected"); v != "" {
		ch.Expected = v
	}
	if v := get("severity"); v != "" {
		if err := setSeverity(&ch.Severity, v); err != nil {
			bad("severity", err.Error())
		}
	}
	if v := get("persistence"); v != "" {
		if err := setCount(&ch.Persistence, v); err != nil || ch.Persistence < 1 {
			bad("persistence", "must be a whole number, 1 or more")
		}
	}
	ch.EmergencyPersistence = emergencyPersistence(ch.Persistence, ch.EmergencyPersistence, get("emergency_persistence"), bad)
	if v := get("max_probe_errors"); v != "" {
		if err := setCount(&ch.MaxProbeErrors, v); err != nil {
			bad("max_probe_errors", err.Error())
		}
	}
	if v := get("timeout"); v != "" {
		if err := setDuration(&ch.Timeout, v); err != nil || ch.Timeout == 0 {
			bad("timeout", "must be a duration above zero such as 2s")
		}
	}
	ch.Headers = mergeHeaders(base.Headers, fc.Headers, func(msg string) { bad("headers", msg) })
	ch.Name = get("name")
	if ch.Name == "" {
		ch.Name = defaultName(ch)
	}
	return ch, ps
}

// emergencyPersistence resolves a check's emergency_persistence key: set, it is a count
// from 1 to the check's persistence; unset, the run's value, lowered to a smaller
// persistence of the check (an emergency is also a breach that persistence confirms).
func emergencyPersistence(persistence, inherited int, text string, bad func(key, msg string)) int {
	if text == "" {
		return max(min(inherited, persistence), 1)
	}
	n, err := ParseCount(text)
	switch {
	case err != nil || n < 1:
		bad("emergency_persistence", "must be a whole number, 1 or more")
	case persistence >= 1 && n > persistence:
		bad("emergency_persistence", fmt.Sprintf("must not be more than the check's persistence (%d)", persistence))
	}
	return n
}

func defaultName(ch Check) string {
	switch ch.Type {
	case CheckReadiness, CheckLiveness, CheckVersion:
		return string(ch.Type) + " " + shortTarget(ch.URL)
	}
	return "http " + ch.Method + " " + shortTarget(ch.URL)
}

func mergeHeaders(base http.Header, pairs [][2]string, bad func(string)) http.Header {
	h := base.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, p := range pairs {
		if !validHeaderName(p[0]) || !validHeaderValue(p[1]) {
			bad(fmt.Sprintf("header %q is not a valid header (name or value)", truncate(p[0], 40)))
			continue
		}
		h.Set(textproto.CanonicalMIMEHeaderKey(p[0]), p[1])
	}
	return h
}

// validStatusPattern accepts comma-separated codes (200) and classes (2xx).
func validStatusPattern(s string) bool {
	for _, p := range strings.Split(s, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if len(p) == 3 && p[1:] == "xx" && p[0] >= '1' && p[0] <= '5' {
			continue
		}
		if n, err := strconv.Atoi(p); err != nil || n < 100 || n > 599 {
			return false
		}
	}
	return true
}

func containsType(t CheckType) bool {
	for _, x := range CheckTypes() {
		if x == t {
			return true
		}
	}
	return false
}

func joinTypes() string {
	var names []string
	for _, t := range CheckTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

// minInterval keeps a misconfigured run from hammering the service.
const minInterval = 100 * time.Millisecond
