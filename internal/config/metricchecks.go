package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// buildMetricChecks resolves the metric checks: the seed's defaults when a metrics source
// is configured, the queries lines, then the config file's prometheus checks.
func buildMetricChecks(c *Config, vals map[string]raw, f *File) Problems {
	m := &c.Metrics
	prom, scrape := m.PrometheusURL != "", len(m.MetricsURLs) > 0
	var ps Problems
	needsProm := func(input string) {
		r := vals[input]
		ps = append(ps, Problem{Input: input, Origin: r.origin, Value: r.text, HasValue: true,
			Msg: "needs prometheus_url: PromQL is evaluated by Prometheus (metrics_url alone scrapes counters)"})
	}
	for _, input := range []string{"queries", "error_rate_query", "latency_query"} {
		if strings.TrimSpace(vals[input].text) != "" && !prom {
			needsProm(input)
		}
	}
	base := MetricCheck{Persistence: c.Persistence, EmergencyPersistence: c.EmergencyPersistence, MaxProbeErrors: c.MaxProbeErrors, OnNoData: "inconclusive"}
	if prom || scrape {
		c.Metrics.Checks = append(c.Metrics.Checks, defaultMetricChecks(c, vals, base, prom)...)
	}
	for i, line := range m.Queries {
		mc, err := ParseQueryLine(line)
		r := vals["queries"]
		if err != nil {
			ps = append(ps, Problem{Input: fmt.Sprintf("queries line %d", i+1), Origin: r.origin, Value: line, HasValue: true, Msg: err.Error()})
			continue
		}
		mc.Persistence, mc.EmergencyPersistence, mc.MaxProbeErrors = base.Persistence, base.EmergencyPersistence, base.MaxProbeErrors
		if mc.OnNoData == "" {
			mc.OnNoData = base.OnNoData
		}
		mc.Source, mc.origin = fmt.Sprintf("queries line %d", i+1), r.origin
		c.Metrics.Checks = append(c.Metrics.Checks, mc)
	}
	if f != nil {
		for _, fc := range f.Checks {
			if CheckType(strings.TrimSpace(fc.Fields["type"])) != CheckPrometheus {
				continue
			}
			if isOverride(c, fc) {
				ps = append(ps, overrideMetricCheck(c, fc, f.Name)...)
				continue
			}
			mc, cps := fileMetricCheck(base, fc, f.Name)
			if len(cps) == 0 && !prom {
				cps = Problems{{Input: mc.Source, Origin: Origin{LayerFile, fmt.Sprintf("%s:%d", f.Name, fc.Line)},
					Msg: "a prometheus check needs prometheus_url"}}
			}
			ps = append(ps, cps...)
			if len(cps) == 0 {
				c.Metrics.Checks = append(c.Metrics.Checks, mc)
			}
		}
	}
	return ps
}

// defaultMetricChecks are the seed's table: error rate (critical), p99 latency, throughput,
// CPU and memory (warnings).
func defaultMetricChecks(c *Config, vals map[string]raw, base MetricCheck, prom bool) []MetricCheck {
	m := c.Metrics
	errQ, latQ := DefaultQueries(m.Selector)
	er := base
	er.Name, er.Kind, er.Op, er.Threshold, er.Unit, er.Severity, er.Source =
		"error rate", model.KindErrorRate, ">", m.ErrorRateThreshold, model.UnitRatio, model.SeverityCritical, "error_rate_threshold"
	er.Query, er.Traffic, er.Anomaly, er.Trend = errQ, true, true, true
	// The sequential test accumulates its own evidence; persistence on top would only
	// delay a decision that is already statistically confirmed.
	er.Persistence = 1
	if q := strings.TrimSpace(m.ErrorRateQuery); q != "" {
		er.Query, er.Traffic, er.Persistence = q, false, base.Persistence
	}
	la := base
	la.Name, la.Kind, la.Op, la.Unit, la.Severity, la.Source = "p99 latency", model.KindLatency, ">", model.UnitSeconds, model.SeverityWarning, "latency_threshold"
	la.Query, la.Traffic, la.Anomaly, la.Trend = latQ, true, true, true
	if m.LatencyThreshold.Factor > 0 {
		la.Threshold, la.Relative = m.LatencyThreshold.Factor, true
	} else {
		la.Threshold = m.LatencyThreshold.Absolute.Seconds()
	}
	if q := strings.TrimSpace(m.LatencyQuery); q != "" {
		la.Query, la.Traffic = q, false
	}
	tp := base
	tp.Name, tp.Kind, tp.Op, tp.Threshold, tp.Relative, tp.Unit, tp.Severity, tp.Source, tp.Traffic =
		"throughput", model.KindThroughput, "<", 0.5, true, model.UnitPerSec, model.SeverityWarning, "baseline", true
	tp.Persistence = 1 // a CUSUM on request counts, like the error rate
	checks := []MetricCheck{er, la, tp}
	// CPU and memory need the workload's pods: without `deployment` they are off (the app
	// says so), rather than judging every container of the cluster.
	if cpuQ, memQ, ok := ResourceQueries(c.Kube.Namespace, c.Kube.Deployment); prom && ok {
		for _, r := range []struct {
			name, query, source string
			kind                model.CheckKind
			threshold           float64
		}{
			{"cpu", cpuQ, "cpu_threshold", model.KindCPU, m.CPUThreshold},
			{"memory", memQ, "memory_threshold", model.KindMemory, m.MemoryThreshold},
		} {
			rc := base
			rc.Name, rc.Kind, rc.Query, rc.Op, rc.Threshold, rc.Unit, rc.Severity, rc.Source, rc.Optional =
				r.name, r.kind, r.query, ">", r.threshold, model.UnitRatio, model.SeverityWarning, r.source, true
			rc.Trend, rc.PerSeries = true, true
			checks = append(checks, rc)
		}
	}
	return checks
}

// fileMetricCheck resolves a `type: prometheus` item of the config file.
func fileMetricCheck(base MetricCheck, fc fileCheck, file string) (MetricCheck, Problems) {
	mc := base
	mc.Kind, mc.Severity, mc.Op = model.KindQuery, model.SeverityCritical, ">"
	mc.Source = fmt.Sprintf("checks[%d]", fc.Index)
	origin := Origin{LayerFile, fmt.Sprintf("%s:%d", file, fc.Line)}
	mc.origin = origin
	var ps Problems
	bad := func(key, msg string) {
		ps = append(ps, Problem{Input: mc.Source + "." + key, Origin: origin, Value: fc.Fields[key], HasValue: true, Msg: msg})
	}
	get := func(key string) string { return strings.TrimSpace(fc.Fields[key]) }
	for _, k := range httpCheckKeys {
		if k == "timeout" {
			continue // bounds each query of a prometheus check too
		}
		if _, ok := fc.Fields[k]; ok || (k == "headers" && len(fc.Headers) > 0) {
			bad(k, "is a setting of HTTP checks, not of prometheus checks")
		}
	}
	mc.Query = get("query")
	if mc.Query == "" {
		ps = append(ps, Problem{Input: mc.Source + ".query", Origin: origin,
			Msg: "is required, unless name is that of a default check to override (" + strings.Join(DefaultMetricCheckNames, ", ") + ")"})
	} else if err := checkPromQL(mc.Query); err != nil {
		bad("query", err.Error())
	}
	switch d := get("direction"); d {
	case "", "up":
	case "down":
		mc.Op = "<"
	default:
		bad("direction", "is not allowed; allowed: up (higher is worse), down (lower is worse)")
	}
	if op := get("comparison"); op != "" {
		if !contains(ops, op) {
			bad("comparison", "is not allowed; allowed: "+strings.Join(ops, " "))
		}
		mc.Op = op
	}
	if th := get("threshold"); th == "" {
		ps = append(ps, Problem{Input: mc.Source + ".threshold", Origin: origin, Msg: "is required: a number, a percentage, a duration or a factor of the baseline (2x)"})
	} else if t, err := ParseMetricThreshold(th); err != nil {
		bad("threshold", err.Error())
	} else {
		mc.Threshold, mc.Relative, mc.Unit = t.Value, t.Relative, t.Unit
	}
	if v := get("severity"); v != "" {
		if err := setSeverity(&mc.Severity, v); err != nil {
			bad("severity", err.Error())
		}
	}
	if v := get("persistence"); v != "" {
		if err := setCount(&mc.Persistence, v); err != nil || mc.Persistence < 1 {
			bad("persistence", "must be a whole number, 1 or more")
		}
	}
	mc.EmergencyPersistence = emergencyPersistence(mc.Persistence, mc.EmergencyPersistence, get("emergency_persistence"), bad)
	if v := get("max_probe_errors"); v != "" {
		if err := setCount(&mc.MaxProbeErrors, v); err != nil {
			bad("max_probe_errors", err.Error())
		}
	}
	if v := get("on_no_data"); v != "" {
		if !contains(noDataPolicies, v) {
			bad("on_no_data", "is not allowed; allowed: "+strings.Join(noDataPolicies, ", "))
		}
		mc.OnNoData = v
	}
	if v := get("timeout"); v != "" {
		mc.Timeout = queryTimeout(v, bad)
	}
	for key, dst := range map[string]*bool{"anomaly": &mc.Anomaly, "trend": &mc.Trend} {
		if v := get(key); v != "" {
			if err := setBool(dst, v); err != nil {
				bad(key, err.Error())
			}
		}
	}
	if mc.Trend && mc.Relative && mc.Op != ">" && mc.Op != ">=" && mc.Op != "<" && mc.Op != "<=" {
		bad("trend", "needs a threshold to drift towards: comparison >, >=, < or <=")
	}
	mc.Name = get("name")
	if mc.Name == "" {
		mc.Name = "query " + truncate(mc.Query, 40)
	}
	return mc, ps
}

// queryTimeout reads the timeout of a prometheus check's queries.
func queryTimeout(v string, bad func(key, msg string)) time.Duration {
	d, err := ParseDuration(v)
	if err != nil || d <= 0 {
		bad("timeout", "must be a duration above zero such as 30s")
		return 0
	}
	return d
}

// DefaultMetricCheckNames are the names of the default metric checks, which a `checks`
// item without a query may override.
var DefaultMetricCheckNames = []string{"error rate", "p99 latency", "throughput", "cpu", "memory"}

// overrideKeys are what a `checks` item may change of a default metric check it names.
var overrideKeys = []string{"name", "type", "persistence", "emergency_persistence", "max_probe_errors", "on_no_data", "timeout"}

// isOverride tells a prometheus item without a query that names a default metric check
// (error rate, p99 latency, throughput, cpu, memory): it changes that check's settings
// instead of adding one.
func isOverride(c *Config, fc fileCheck) bool {
	if _, ok := fc.Fields["query"]; ok {
		return false
	}
	return defaultCheck(c, strings.TrimSpace(fc.Fields["name"])) != nil
}

func defaultCheck(c *Config, name string) *MetricCheck {
	for i := range c.Metrics.Checks {
		if mc := &c.Metrics.Checks[i]; mc.Name == name && mc.Kind != model.KindQuery {
			return mc
		}
	}
	return nil
}

// overrideMetricCheck applies an override item to the default check it names; only the
// settings it holds change.
func overrideMetricCheck(c *Config, fc fileCheck, file string) Problems {
	mc := defaultCheck(c, strings.TrimSpace(fc.Fields["name"]))
	source := fmt.Sprintf("checks[%d]", fc.Index)
	origin := Origin{LayerFile, fmt.Sprintf("%s:%d", file, fc.Line)}
	var ps Problems
	bad := func(key, msg string) {
		ps = append(ps, Problem{Input: source + "." + key, Origin: origin, Value: fc.Fields[key], HasValue: true, Msg: msg})
	}
	get := func(key string) string { return strings.TrimSpace(fc.Fields[key]) }
	for _, k := range checkKeys {
		_, set := fc.Fields[k]
		if set && !contains(overrideKeys, k) || k == "headers" && len(fc.Headers) > 0 {
			bad(k, fmt.Sprintf("cannot be overridden on the default check %q (it comes from %s); an override sets only %s",
				mc.Name, mc.Source, strings.Join(overrideKeys[2:], ", ")))
		}
	}
	o := *mc
	if v := get("persistence"); v != "" {
		if err := setCount(&o.Persistence, v); err != nil || o.Persistence < 1 {
			bad("persistence", "must be a whole number, 1 or more")
		}
	}
	o.EmergencyPersistence = emergencyPersistence(o.Persistence, o.EmergencyPersistence, get("emergency_persistence"), bad)
	if v := get("max_probe_errors"); v != "" {
		if err := setCount(&o.MaxProbeErrors, v); err != nil {
			bad("max_probe_errors", err.Error())
		}
	}
	if v := get("on_no_data"); v != "" {
		if !contains(noDataPolicies, v) {
			bad("on_no_data", "is not allowed; allowed: "+strings.Join(noDataPolicies, ", "))
		}
		o.OnNoData = v
	}
	if v := get("timeout"); v != "" {
		o.Timeout = queryTimeout(v, bad)
		if o.Traffic {
			bad("timeout", "cannot be set on a traffic check: the error rate, latency and throughput share one reading of the counters (its queries time out after 10s)")
		}
	}
	if len(ps) == 0 {
		*mc = o
	}
	return ps
}
