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
	// Persistence and MaxProbeErrors as for every check.
	Persistence    int
	MaxProbeErrors int
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

// ParseQueryLine reads one line of the queries input: `name: <promql> <op> <value> [severity]`.
func ParseQueryLine(line string) (MetricCheck, error) {
	name, rest, ok := strings.Cut(line, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, "{}()[] ") {
		return MetricCheck{}, errors.New("must start with a name and a colon: name: <promql> <op> <value> [severity]")
	}
	fields := strings.Fields(rest)
	mc := MetricCheck{Name: name, Kind: model.KindQuery, Severity: model.SeverityCritical}
	if n := len(fields); n > 0 {
		if sev, err := model.ParseSeverity(fields[n-1]); err == nil {
			mc.Severity, fields = sev, fields[:n-1]
		}
	}
	if len(fields) < 3 || !contains(ops, fields[len(fields)-2]) {
		return MetricCheck{}, fmt.Errorf("must end with a comparison and a value, e.g. `> 0.05` or `< 0.5x [warning]`; comparisons: %s", strings.Join(ops, " "))
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

// DefaultQueries returns the seed's queries with the selector injected into every
// selector: the error ratio, the p99 latency, and CPU and memory use per pod as a share of
// its limit (cAdvisor and kube-state-metrics series).
func DefaultQueries(selector string) (errorRate, latency, cpu, memory string) {
	with := func(m string) string {
		switch {
		case selector == "":
			return m
		case m == "":
			return selector
		}
		return m + "," + selector
	}
	// `or vector(0)`: with no 5xx series at all the ratio is 0, not "no data".
	errorRate = fmt.Sprintf(`(sum(rate(http_requests_total{%s}[1m])) or vector(0)) / sum(rate(http_requests_total{%s}[1m]))`, with(`status=~"5.."`), with(""))
	latency = fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{%s}[1m])))`, with(""))
	cpu = fmt.Sprintf(`max(sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{%s}[1m])) / sum by (namespace, pod) (kube_pod_container_resource_limits{%s}))`,
		with(`container!=""`), with(`resource="cpu"`))
	memory = fmt.Sprintf(`max(sum by (namespace, pod) (container_memory_working_set_bytes{%s}) / sum by (namespace, pod) (kube_pod_container_resource_limits{%s}))`,
		with(`container!=""`), with(`resource="memory"`))
	return errorRate, latency, cpu, memory
}
