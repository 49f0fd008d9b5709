package config

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploywatch/deploywatch/internal/model"
)

// The fuzz targets check what a parser promises for any text, not only that it does not
// panic. The seeds are the cases of the table tests; testdata/fuzz holds what fuzzing found.

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10s", " 1m30s ", "0", "250ms", "10", "ten", "-5s", "1d", "1w", "7d", "30m",
		"10s, 30s\n1m 5m", "10s,x", "1h0m0s", "2562047h47m16.854775807s", "106751d", "+1d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 || err.Error() == "" {
				t.Fatalf("ParseDuration(%q) = %v, %q; a failure returns 0 and says why", s, d, err)
			}
		} else {
			if d < 0 {
				t.Fatalf("ParseDuration(%q) = %v: negative", s, d)
			}
			if back, err := ParseDuration(d.String()); err != nil || back != d {
				t.Fatalf("ParseDuration(%q) = %v, but %q reads back as %v, %v", s, d, d.String(), back, err)
			}
			checkDaysAndWeeks(t, s, d)
		}
		ds, err := ParseDurations(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), `item "`) {
				t.Fatalf("ParseDurations(%q) error %q does not name the item", s, err)
			}
			return
		}
		items := splitList(s)
		if len(ds) != len(items) {
			t.Fatalf("ParseDurations(%q) = %v for items %q", s, ds, items)
		}
		for i, item := range items {
			if one, err := ParseDuration(item); err != nil || one != ds[i] {
				t.Fatalf("ParseDurations(%q)[%d] = %v, but ParseDuration(%q) = %v, %v", s, i, ds[i], item, one, err)
			}
		}
	})
}

// checkDaysAndWeeks checks that "<n>d" and "<n>w" are exactly n days or weeks: a count too
// large for a time.Duration must be refused, not wrapped around.
func checkDaysAndWeeks(t *testing.T, s string, d time.Duration) {
	t.Helper()
	v := strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		n, ok := strings.CutSuffix(v, suffix)
		if !ok {
			continue
		}
		if k, err := strconv.ParseInt(n, 10, 64); err == nil && (k > math.MaxInt64/int64(unit) || time.Duration(k)*unit != d) {
			t.Fatalf("ParseDuration(%q) = %v, not %d×%v", s, d, k, unit)
		}
	}
}

func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"1%", "0.5%", "0.01", "1", "100%", "5", "150%", "-1%", "lots", "NaN", "Inf%", " 90% ", "95%", "1e-3", "0x1p-2", "-0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePercent(s)
		if err != nil {
			if p != 0 || err.Error() == "" {
				t.Fatalf("ParsePercent(%q) = %v, %q; a failure returns 0 and says why", s, p, err)
			}
			return
		}
		if math.IsNaN(p) || p < 0 || p > 1 {
			t.Fatalf("ParsePercent(%q) = %v: not a ratio between 0 and 1", s, p)
		}
		frac := strconv.FormatFloat(p, 'g', -1, 64)
		if back, err := ParsePercent(frac); err != nil || back != p {
			t.Fatalf("ParsePercent(%q) = %v, but the fraction %q reads back as %v, %v", s, p, frac, back, err)
		}
		pct := strconv.FormatFloat(p*100, 'g', -1, 64) + "%"
		if back, err := ParsePercent(pct); err != nil || math.Abs(back-p) > 1e-15 {
			t.Fatalf("ParsePercent(%q) = %v, but the percentage %q reads back as %v, %v", s, p, pct, back, err)
		}
		if strings.HasSuffix(strings.TrimSpace(s), "%") {
			if th, err := ParseMetricThreshold(s); err != nil || th.Value != p || th.Unit != model.UnitRatio {
				t.Fatalf("ParseMetricThreshold(%q) = %+v, %v; ParsePercent says %v", s, th, err, p)
			}
		}
	})
}

func FuzzParseSmokeTest(f *testing.F) {
	for _, s := range []string{`GET https://api.example.com/api/v1/status .status == "ok"`, `post http://127.0.0.1:8080/auth/health`,
		`https://api.example.com/x   .items | length > 0`, `GTE https://x/y`, `GET`, `GET ftp://x/y`, `GET https://x/y .status ==`,
		"DELETE\thttps://x/y\t.ok", `HEAD https://user:pw@x:8443/y?q=1#f`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		st, err := ParseSmokeTest(line)
		if err != nil {
			if st != (SmokeTest{}) || err.Error() == "" {
				t.Fatalf("ParseSmokeTest(%q) = %+v, %q; a failure returns nothing and says why", line, st, err)
			}
			return
		}
		if !contains(methods, st.Method) {
			t.Fatalf("ParseSmokeTest(%q): method %q is not allowed", line, st.Method)
		}
		if _, err := ParseHTTPURL(st.URL); err != nil || strings.ContainsFunc(st.URL, unicode.IsSpace) {
			t.Fatalf("ParseSmokeTest(%q): URL %q is not one http(s) URL (%v)", line, st.URL, err)
		}
		if st.Expr != strings.TrimSpace(st.Expr) || st.Expr != "" && compileJQ(st.Expr) != nil {
			t.Fatalf("ParseSmokeTest(%q): expression %q is not a trimmed jq expression", line, st.Expr)
		}
		if !strings.Contains(line, st.URL) || !strings.Contains(line, st.Expr) {
			t.Fatalf("ParseSmokeTest(%q) = %+v: the URL and the expression must be kept as written", line, st)
		}
		canon := strings.TrimSpace(st.Method + " " + st.URL + " " + st.Expr)
		if back, err := ParseSmokeTest(canon); err != nil || back != st {
			t.Fatalf("ParseSmokeTest(%q) = %+v, but its canonical form %q reads back as %+v, %v", line, st, canon, back, err)
		}
	})
}

func FuzzParseQueryLine(f *testing.F) {
	for _, s := range []string{`queue: sum(queue_depth{app="x"}) > 1000 warning`, `5xx: sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m])) >= 2%`,
		`orders: sum(rate(orders_total[5m])) < 0.5x`, `gc: max(go_gc_duration_seconds{quantile="1"}) > 250ms emergency`,
		`nocolon sum(x) > 1`, `x: sum(x)`, `x: sum(x) > lots`, `x: sum(rate(x[1m]) > 1`, `x: > 1`, `up: up{job="a:b"} != 1 INFO`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		mc, err := ParseQueryLine(line)
		if err != nil {
			if mc.Name != "" || err.Error() == "" {
				t.Fatalf("ParseQueryLine(%q) = %+v, %q; a failure returns nothing and says why", line, mc, err)
			}
			return
		}
		if mc.Name != strings.TrimSpace(mc.Name) || mc.Name == "" || strings.ContainsAny(mc.Name, "{}()[] :") {
			t.Fatalf("ParseQueryLine(%q): bad name %q", line, mc.Name)
		}
		if !contains(ops, mc.Op) || mc.Kind != model.KindQuery {
			t.Fatalf("ParseQueryLine(%q): op %q, kind %q", line, mc.Op, mc.Kind)
		}
		if math.IsNaN(mc.Threshold) || math.IsInf(mc.Threshold, 0) || mc.Relative && mc.Threshold <= 0 ||
			mc.Unit == model.UnitRatio && (mc.Threshold < 0 || mc.Threshold > 1) {
			t.Fatalf("ParseQueryLine(%q): threshold %v (relative %v, unit %q) is not a usable limit", line, mc.Threshold, mc.Relative, mc.Unit)
		}
		if _, err := model.ParseSeverity(mc.Severity.String()); err != nil {
			t.Fatalf("ParseQueryLine(%q): severity %v", line, mc.Severity)
		}
		if mc.Query == "" || checkPromQL(mc.Query) != nil || !strings.Contains(line, mc.Query) {
			t.Fatalf("ParseQueryLine(%q): query %q is not balanced text of the line", line, mc.Query)
		}
		fields := strings.Fields(line[strings.Index(line, ":")+1:])
		if _, err := model.ParseSeverity(fields[len(fields)-1]); err == nil {
			fields = fields[:len(fields)-1]
		}
		canon := mc.Name + ": " + mc.Query + " " + mc.Op + " " + fields[len(fields)-1] + " " + mc.Severity.String()
		back, err := ParseQueryLine(canon)
		if diff := cmp.Diff(mc, back, cmpopts.IgnoreUnexported(MetricCheck{})); err != nil || diff != "" {
			t.Fatalf("ParseQueryLine(%q) and its canonical form %q differ (%v):\n%s", line, canon, err, diff)
		}
	})
}

func FuzzParseFile(f *testing.F) {
	for _, name := range []string{"testdata/configs/full.yml", "testdata/configs/invalid.yml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "# nothing\n", "schedule: 10s,1m\nsmoke_tests: |\n  GET http://a/x\n  GET http://a/y\nhttp_headers: {A: b}\n",
		"- a\n- b\n", "a: [\n", "config: other.yml\n", "interval: {a: 1}\n", "interval: 7s\ncooldown: 1m\nwarmup: 5s\nfail_on: warning\nhealth_url: http://file/ready\n",
		"checks:\n  - url: https://u:filepass@svc/x\n    headers: {X-Key: filekey}\n", "prometheus_url: http://prom:9090\nqueries:\n  - 'q: sum(x) > 1'\n",
		"a: &a [*a]\n", "checks:\n  - {type: prometheus, query: up, threshold: 2x, comparison: '<'}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, ps := ParseFile("deploywatch.yml", data)
		for _, p := range ps {
			if p.Input == "" || p.Msg == "" || p.Origin.Layer != LayerFile || !strings.HasPrefix(p.Origin.Name, "deploywatch.yml") {
				t.Fatalf("ParseFile: problem %+v does not name its setting and the file", p)
			}
		}
		if file == nil {
			if len(ps) == 0 {
				t.Fatal("ParseFile returned neither a file nor a problem")
			}
			return
		}
		for name := range file.Values {
			if _, ok := LookupInput(name); !ok || name == "config" {
				t.Fatalf("ParseFile kept %q, which is not a setting of a config file", name)
			}
		}
		c, _, err := Load(Sources{File: file})
		lps, _ := err.(Problems)
		if err != nil && len(lps) == 0 {
			t.Fatalf("Load error is %T %v, want Problems", err, err)
		}
		reported := map[string]bool{}
		for _, p := range lps {
			if p.Input == "" || p.Msg == "" || !strings.HasPrefix(p.Error(), p.Input) {
				t.Fatalf("Load: problem %q does not name its setting", p.Error())
			}
			reported[p.Input] = true
		}
		for name, v := range file.Values {
			in, _ := LookupInput(name)
			if perr := in.CheckValue(v); perr != nil && strings.TrimSpace(v) != "" && !reported[name] {
				t.Fatalf("%s %q is invalid (%v) but Load reports %v", name, v, perr, lps)
			}
		}
		if c != nil {
			checkValid(t, c)
		}
	})
}

// checkValid checks what validation promises of a configuration it accepted.
func checkValid(t *testing.T, c *Config) {
	t.Helper()
	for i, d := range c.Schedule {
		if d <= 0 || i > 0 && d <= c.Schedule[i-1] {
			t.Fatalf("accepted schedule %v is not increasing from above zero", c.Schedule)
		}
	}
	if c.HTTPTimeout <= 0 || c.HTTPTimeout > 5*time.Minute || c.Persistence < 1 || c.Interval != 0 && c.Interval < minInterval {
		t.Fatalf("accepted http_timeout %v, persistence %d, interval %v", c.HTTPTimeout, c.Persistence, c.Interval)
	}
	for _, p := range []float64{c.Metrics.ErrorRateThreshold, c.Metrics.CPUThreshold, c.Metrics.MemoryThreshold} {
		if math.IsNaN(p) || p < 0 || p > 1 {
			t.Fatalf("accepted a ratio %v outside [0, 1]", p)
		}
	}
	names := map[string]bool{}
	for _, ch := range c.Checks {
		if _, err := ParseHTTPURL(ch.URL); err != nil || ch.Name == "" || names[ch.Name] {
			t.Fatalf("accepted check %+v: bad URL (%v) or name", ch, err)
		}
		names[ch.Name] = true
	}
	for _, mc := range c.Metrics.Checks {
		if math.IsNaN(mc.Threshold) || math.IsInf(mc.Threshold, 0) || !contains(ops, mc.Op) {
			t.Fatalf("accepted metric check %+v", mc)
		}
	}
}
