package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Baseline is the pre-deploy reference: a window ending at the start, and the same window
// shifted by each offset (a day, a week earlier) to control for daily patterns.
type Baseline struct {
	Window  time.Duration
	Offsets []time.Duration
}

// ParseBaseline reads "30m" (the 30 minutes before the start) or "30m,1d,1w" (also the
// same half hour one day and one week earlier).
func ParseBaseline(v string) (Baseline, error) {
	items := splitList(v)
	if len(items) == 0 {
		return Baseline{}, errors.New("is empty; write a window such as 30m, optionally followed by offsets such as 1d,1w")
	}
	var b Baseline
	for i, item := range items {
		d, err := ParseDuration(item)
		if err != nil || d == 0 {
			return Baseline{}, fmt.Errorf("item %q must be a duration above zero such as 30m, 1d or 1w", item)
		}
		if i == 0 {
			b.Window = d
			continue
		}
		b.Offsets = append(b.Offsets, d)
	}
	return b, nil
}

// MetricCheck is one configured metric check.
type MetricCheck struct {
	Name string
	Kind model.CheckKind
	// Query is the PromQL the check evaluates; empty for the traffic checks of a direct
	// scrape, which compute from counters.
	Query string
	// Traffic checks (the default error rate, latency and throughput) are judged from
	// request and latency counts with the statistical rules, not from Query's value alone.
	Traffic bool
	// Op compares the value with the limit: ">" means a value above it is a breach.
	Op string
	// Threshold is absolute, or a factor of the baseline when Relative.
	Threshold float64
	Relative  bool
	Unit      model.Unit
	Severity  model.Severity
	// Persistence, EmergencyPersistence and MaxProbeErrors as for every check.
	Persistence          int
	EmergencyPersistence int
	MaxProbeErrors       int
	// OnNoData is "inconclusive" (the default), "pass" or "fail".
	OnNoData string
	// Anomaly adds a check of the metric against its own history: the band it keeps at this
	// hour and the anomaly detector (on by default for the error rate and the latency).
	Anomaly bool
	// Trend adds a check of the metric drifting towards its limit (on by default for the
	// error rate, the latency, CPU and memory).
	Trend bool
	// Optional checks are defaults whose data may not exist (cpu, memory without cAdvisor):
	// they are dropped with a warning when their query has no series at the start.
	Optional bool
	// PerSeries queries return one series per pod or container: the worst is judged and
	// named in the finding.
	PerSeries bool
	// Timeout bounds each query of the check; zero means the client's default (10 s).
	Timeout time.Duration
	// Source names where the check was defined, for messages.
	Source string
	origin Origin
}

// ops are the comparisons a metric check may use.
var ops = []string{">", ">=", "<", "<=", "==", "!="}

// noDataPolicies are the values of on_no_data.
var noDataPolicies = []string{"inconclusive", "pass", "fail"}

// MetricThreshold is a parsed threshold: a number, a percentage, a duration (seconds) or
// a factor of the baseline ("2x").
type MetricThreshold struct {
	Value    float64
	Relative bool
	Unit     model.Unit
}

// ParseMetricThreshold reads 1000, 0.05, 5%, 500ms or 2x.
func ParseMetricThreshold(v string) (MetricThreshold, error) {
	v = strings.TrimSpace(v)
	switch {
	case strings.HasSuffix(v, "x"):
		f, err := strconv.ParseFloat(strings.TrimSuffix(v, "x"), 64)
		if err != nil || f <= 0 || math.IsInf(f, 0) {
			return MetricThreshold{}, fmt.Errorf("%q is not a factor; write e.g. 2x or 0.5x", v)
		}
		return MetricThreshold{Value: f, Relative: true}, nil
	case strings.HasSuffix(v, "%"):
		f, err := ParsePercent(v)
		if err != nil {
			return MetricThreshold{}, fmt.Errorf("%q %w", v, err)
		}
		return MetricThreshold{Value: f, Unit: model.UnitRatio}, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return MetricThreshold{Value: f}, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return MetricThreshold{Value: d.Seconds(), Unit: model.UnitSeconds}, nil
	}
	return MetricThreshold{}, fmt.Errorf("%q is not a threshold; write a number (1000), a percentage (5%%), a duration (500ms) or a factor of the baseline (2x)", v)
}

// ParseQueryLine reads one line of the queries input:
// `name: <promql> <op> <value> [severity] [on_no_data=pass|fail|inconclusive]`. OnNoData is
// left empty when the line does not set it.
func ParseQueryLine(line string) (MetricCheck, error) {
	name, rest, ok := strings.Cut(line, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, "{}()[] ") {
		return MetricCheck{}, errors.New("must start with a name and a colon: name: <promql> <op> <value> [severity] [on_no_data=...]")
	}
	fields := strings.Fields(rest)
	mc := MetricCheck{Name: name, Kind: model.KindQuery, Severity: model.SeverityCritical}
	if n := len(fields); n > 0 {
		if v, found := strings.CutPrefix(fields[n-1], "on_no_data="); found {
			if !contains(noDataPolicies, v) {
				return MetricCheck{}, fmt.Errorf("on_no_data %q is not allowed; allowed: %s", truncate(v, 20), strings.Join(noDataPolicies, ", "))
			}
			mc.OnNoData, fields = v, fields[:n-1]
			// The query ends before the policy, as before a severity.
			rest = rest[:strings.LastIndex(rest, "on_no_data=")]
		}
	}
	if n := len(fields); n > 0 {
		if sev, err := model.ParseSeverity(fields[n-1]); err == nil {
			mc.Severity, fields = sev, fields[:n-1]
		}
	}
	if len(fields) < 3 || !contains(ops, fields[len(fields)-2]) {
		return MetricCheck{}, fmt.Errorf("must end with a comparison and a value, e.g. `> 0.05` or `< 0.5x warning on_no_data=pass` (severity, then on_no_data, both optional); comparisons: %s", strings.Join(ops, " "))
	}
	th, err := ParseMetricThreshold(fields[len(fields)-1])
	if err != nil {
		return MetricCheck{}, err
	}
	mc.Op = fields[len(fields)-2]
	mc.Threshold, mc.Relative, mc.Unit = th.Value, th.Relative, th.Unit
	// The query is the text between the colon and the comparison, as written.
	q := strings.TrimSpace(rest)
	end := strings.LastIndex(q, " "+mc.Op+" ")
	if end < 0 {
		return MetricCheck{}, errors.New("the comparison must stand apart, with spaces around it")
	}
	mc.Query = strings.TrimSpace(q[:end])
	if err := checkPromQL(mc.Query); err != nil {
		return MetricCheck{}, err
	}
	return mc, nil
}

// checkPromQL catches what can be caught without a PromQL parser: an empty query and
// unbalanced brackets or quotes. The preflight asks the backend itself to parse every
// query before monitoring starts.
func checkPromQL(q string) error {
	if strings.TrimSpace(q) == "" {
		return errors.New("has no query")
	}
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	var quote rune
	for _, r := range q {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case pairs[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return fmt.Errorf("query %q has an unbalanced %q", truncate(q, 80), string(r))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if quote != 0 || len(stack) > 0 {
		return fmt.Errorf("query %q is not closed (a quote or bracket is open)", truncate(q, 80))
	}
	return nil
}

// selectorRE matches label matchers: label op "value", comma separated.
var selectorRE = regexp.MustCompile(`^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*$`)

// ParseSelector validates `job="api",env="prod"` and returns it normalised (no braces,
// no spaces around commas).
func ParseSelector(v string) (string, error) {
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "{"), "}"))
	if v == "" {
		return "", nil
	}
	var out []string
	for _, m := range splitMatchers(v) {
		if !selectorRE.MatchString(m) {
			return "", fmt.Errorf("matcher %q is not label=\"value\" (operators =, !=, =~, !~)", truncate(strings.TrimSpace(m), 60))
		}
		out = append(out, strings.TrimSpace(m))
	}
	return strings.Join(out, ","), nil
}

// splitMatchers splits on commas outside quotes.
func splitMatchers(v string) []string {
	var out []string
	var cur strings.Builder
	inQuote, escaped := false, false
	for _, r := range v {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && inQuote:
			escaped = true
		case r == '"':
			inQuote = !inQuote
		case r == ',' && !inQuote:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return append(out, cur.String())
}

// DefaultQueries returns the seed's traffic queries with the selector injected into every
// selector: the error ratio and the p99 latency.
func DefaultQueries(selector string) (errorRate, latency string) {
	with := func(m string) string {
		switch {
		case selector == "":
			return m
		case m == "":
			return selector
		}
		return m + "," + selector
	}
	// A 5xx is a `status` (the seed's label) or a `code` (client_golang's promhttp) of 5xx,
	// as the count-based check classifies them: `or` between the two rates is a union of
	// series (one with both labels counts once). `or vector(0)`: with no 5xx series at all
	// the ratio is 0, not "no data".
	errorRate = fmt.Sprintf(`(sum(rate(http_requests_total{%s}[1m]) or rate(http_requests_total{%s}[1m])) or vector(0)) / sum(rate(http_requests_total{%s}[1m]))`,
		with(`status=~"5.."`), with(`code=~"5.."`), with(""))
	latency = fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{%s}[1m])))`, with(""))
	return errorRate, latency
}

// ResourceQueries returns the CPU and memory use of every container of the workload as a
// share of its limit, one series per container (the check judges and names the worst).
// cAdvisor and kube-state-metrics series carry the labels of the kubelet's and
// kube-state-metrics' scrape jobs, not the service's, so they are scoped by namespace and
// the workload's pod names, never by `selector`. ok is false when deployment names no
// workload whose pods can be told apart.
func ResourceQueries(namespace, deployment string) (cpu, memory string, ok bool) {
	pods, ok := WorkloadPods(deployment)
	if !ok {
		return "", "", false
	}
	if namespace == "" {
		namespace = "default"
	}
	scope := fmt.Sprintf(`namespace=%s,pod=~%s`, strconv.Quote(namespace), strconv.Quote(pods))
	by := "sum by (namespace, pod, container) "
	// container!="": cAdvisor's pod-level sums; "POD": the pause container (no limit).
	usage := scope + `,container!="",container!="POD"`
	cpu = fmt.Sprintf(`%s(rate(container_cpu_usage_seconds_total{%s}[1m])) / %s(kube_pod_container_resource_limits{%s,resource="cpu"})`, by, usage, by, scope)
	memory = fmt.Sprintf(`%s(container_memory_working_set_bytes{%s}) / %s(kube_pod_container_resource_limits{%s,resource="memory"})`, by, usage, by, scope)
	return cpu, memory, true
}

// WorkloadPods returns a regular expression of the names the controller gives the pods of
// the deployment input ("api", "statefulset/db", "daemonset/agent"):
// <name>-<template hash>-<suffix>, <name>-<ordinal>, <name>-<suffix>. The hyphen-free
// parts keep a sibling workload ("api-worker") out.
func WorkloadPods(deployment string) (string, bool) {
	kind, name, found := strings.Cut(strings.TrimSpace(deployment), "/")
	if !found {
		kind, name = "deployment", kind
	}
	if !workloadName.MatchString(name) {
		return "", false
	}
	n := regexp.QuoteMeta(name)
	switch strings.ToLower(kind) {
	case "deployment", "deployments", "deploy":
		return n + "-[a-z0-9]+-[a-z0-9]+", true
	case "statefulset", "statefulsets", "sts":
		return n + "-[0-9]+", true
	case "daemonset", "daemonsets", "ds":
		return n + "-[a-z0-9]+", true
	}
	return "", false
}

// workloadName is an RFC 1123 subdomain, the rule for workload names.
var workloadName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
