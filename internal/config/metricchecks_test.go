package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// metricCheck returns the metric check named name, or fails.
func metricCheck(t *testing.T, c *Config, name string) MetricCheck {
	t.Helper()
	for _, mc := range c.Metrics.Checks {
		if mc.Name == name {
			return mc
		}
	}
	t.Fatalf("no metric check %q in %v", name, metricNames(c))
	return MetricCheck{}
}

func TestMetricCheckOverridesAndTimeout(t *testing.T) {
	t.Parallel()
	const head = "prometheus_url: http://prom:9090\ndeployment: api\nnamespace: shop\nchecks:\n"
	type settings struct {
		OnNoData    string
		Persistence int
		Timeout     time.Duration
	}
	tests := []struct {
		name     string
		checks   string
		check    string
		want     settings
		problems []string
	}{
		{name: "defaults_untouched", checks: "  - name: orders\n    type: prometheus\n    query: sum(x)\n    threshold: 1\n",
			check: "cpu", want: settings{OnNoData: "inconclusive", Persistence: 2}},
		{name: "cpu_on_no_data_pass", checks: "  - name: cpu\n    type: prometheus\n    on_no_data: pass\n",
			check: "cpu", want: settings{OnNoData: "pass", Persistence: 2}},
		{name: "memory_persistence_and_timeout", checks: "  - name: memory\n    type: prometheus\n    persistence: 4\n    timeout: 30s\n",
			check: "memory", want: settings{OnNoData: "inconclusive", Persistence: 4, Timeout: 30 * time.Second}},
		{name: "error_rate_on_no_data_fail", checks: "  - name: error rate\n    type: prometheus\n    on_no_data: fail\n",
			check: "error rate", want: settings{OnNoData: "fail", Persistence: 1}},
		{name: "prometheus_check_timeout", checks: "  - name: orders\n    type: prometheus\n    query: sum(x)\n    threshold: 1\n    timeout: 45s\n",
			check: "orders", want: settings{OnNoData: "inconclusive", Persistence: 2, Timeout: 45 * time.Second}},
		{name: "prometheus_check_default_timeout", checks: "  - name: orders\n    type: prometheus\n    query: sum(x)\n    threshold: 1\n",
			check: "orders", want: settings{OnNoData: "inconclusive", Persistence: 2}},
		{name: "override_cannot_change_threshold", checks: "  - name: cpu\n    type: prometheus\n    threshold: 50%\n",
			problems: []string{`checks[0].threshold "50%" (from w.yml:5): cannot be overridden on the default check "cpu" (it comes from cpu_threshold); an override sets only persistence, emergency_persistence, max_probe_errors, on_no_data, timeout`}},
		{name: "override_bad_policy", checks: "  - name: cpu\n    type: prometheus\n    on_no_data: ignore\n",
			problems: []string{`checks[0].on_no_data "ignore" (from w.yml:5): is not allowed; allowed: inconclusive, pass, fail`}},
		{name: "traffic_checks_share_their_timeout", checks: "  - name: p99 latency\n    type: prometheus\n    timeout: 30s\n",
			problems: []string{`checks[0].timeout "30s" (from w.yml:5): cannot be set on a traffic check: the error rate, latency and throughput share one reading of the counters (its queries time out after 10s)`}},
		{name: "bad_timeout", checks: "  - name: orders\n    type: prometheus\n    query: sum(x)\n    threshold: 1\n    timeout: soon\n",
			problems: []string{`checks[0].timeout "soon" (from w.yml:5): must be a duration above zero such as 30s`}},
		{name: "unknown_name_without_query", checks: "  - name: cpu2\n    type: prometheus\n    on_no_data: pass\n",
			problems: []string{`checks[0].query (from w.yml:5): is required, unless name is that of a default check to override (error rate, p99 latency, throughput, cpu, memory)`,
				`checks[0].threshold (from w.yml:5): is required: a number, a percentage, a duration or a factor of the baseline (2x)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, fps := ParseFile("w.yml", []byte(head+tt.checks))
			if fps != nil {
				t.Fatal(fps)
			}
			c, _, ps := load(t, Sources{File: f})
			if diff := cmp.Diff(tt.problems, problemLines(ps)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
			if ps != nil {
				return
			}
			mc := metricCheck(t, c, tt.check)
			got := settings{OnNoData: mc.OnNoData, Persistence: mc.Persistence, Timeout: mc.Timeout}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.check, diff)
			}
			if len(c.Metrics.Checks) != len(metricNames(c)) || countName(c, tt.check) != 1 {
				t.Errorf("an override must not add a check: %v", metricNames(c))
			}
		})
	}
}

func countName(c *Config, name string) int {
	n := 0
	for _, mc := range c.Metrics.Checks {
		if mc.Name == name {
			n++
		}
	}
	return n
}

func TestQueriesLineOnNoData(t *testing.T) {
	t.Parallel()
	c, _, ps := load(t, Sources{Inputs: map[string]string{"prometheus_url": "http://prom:9090",
		"queries": "lag: max(kafka_lag) > 1000 warning on_no_data=pass\nqueue: sum(queue_depth) > 10"}})
	if ps != nil {
		t.Fatal(ps)
	}
	if got := metricCheck(t, c, "lag").OnNoData; got != "pass" {
		t.Errorf("lag on_no_data = %q, want pass", got)
	}
	if got := metricCheck(t, c, "queue").OnNoData; got != "inconclusive" {
		t.Errorf("queue on_no_data = %q, want the default inconclusive", got)
	}
}
