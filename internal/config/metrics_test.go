package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestParseQueryLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    string
		want    MetricCheck
		wantErr string
	}{
		{`queue: sum(queue_depth{app="x"}) > 1000 warning`,
			MetricCheck{Name: "queue", Kind: model.KindQuery, Query: `sum(queue_depth{app="x"})`, Op: ">", Threshold: 1000, Severity: model.SeverityWarning}, ""},
		{`5xx: sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m])) >= 2%`,
			MetricCheck{Name: "5xx", Kind: model.KindQuery, Query: `sum(rate(x{code=~"5.."}[1m])) / sum(rate(x[1m]))`, Op: ">=", Threshold: 0.02, Unit: model.UnitRatio, Severity: model.SeverityCritical}, ""},
		{`orders: sum(rate(orders_total[5m])) < 0.5x`,
			MetricCheck{Name: "orders", Kind: model.KindQuery, Query: `sum(rate(orders_total[5m]))`, Op: "<", Threshold: 0.5, Relative: true, Severity: model.SeverityCritical}, ""},
		{`gc: max(go_gc_duration_seconds{quantile="1"}) > 250ms emergency`,
			MetricCheck{Name: "gc", Kind: model.KindQuery, Query: `max(go_gc_duration_seconds{quantile="1"})`, Op: ">", Threshold: 0.25, Unit: model.UnitSeconds, Severity: model.SeverityEmergency}, ""},
		{`lag: max(kafka_lag{topic="o"}) > 1000 warning on_no_data=pass`,
			MetricCheck{Name: "lag", Kind: model.KindQuery, Query: `max(kafka_lag{topic="o"})`, Op: ">", Threshold: 1000, Severity: model.SeverityWarning, OnNoData: "pass"}, ""},
		{`up: sum(up{job="api"}) < 1 on_no_data=fail`,
			MetricCheck{Name: "up", Kind: model.KindQuery, Query: `sum(up{job="api"})`, Op: "<", Threshold: 1, Severity: model.SeverityCritical, OnNoData: "fail"}, ""},
		{`q: sum(x) > 1 on_no_data=inconclusive`,
			MetricCheck{Name: "q", Kind: model.KindQuery, Query: `sum(x)`, Op: ">", Threshold: 1, Severity: model.SeverityCritical, OnNoData: "inconclusive"}, ""},
		{`q: sum(x) > 1 on_no_data=ignore`, MetricCheck{}, `on_no_data "ignore" is not allowed; allowed: inconclusive, pass, fail`},
		{`q: sum(x) > 1 on_no_data=pass warning`, MetricCheck{}, "(severity, then on_no_data, both optional)"},
		{`nocolon sum(x) > 1`, MetricCheck{}, "must start with a name and a colon"},
		{`x: sum(x)`, MetricCheck{}, "must end with a comparison and a value"},
		{`x: sum(x) > lots`, MetricCheck{}, `"lots" is not a threshold`},
		{`x: sum(rate(x[1m]) > 1`, MetricCheck{}, "is not closed"},
		{`x: > 1`, MetricCheck{}, "must end with a comparison"},
	}
	for _, tt := range tests {
		got, err := ParseQueryLine(tt.line)
		if !containsErr(err, tt.wantErr) {
			t.Errorf("ParseQueryLine(%q) error %v, want %q", tt.line, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(MetricCheck{})); tt.wantErr == "" && diff != "" {
			t.Errorf("ParseQueryLine(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

func TestParseBaselineAndSelector(t *testing.T) {
	t.Parallel()
	b, err := ParseBaseline("30m, 1d, 1w")
	want := Baseline{Window: 30 * time.Minute, Offsets: []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}}
	if err != nil || !cmp.Equal(want, b) {
		t.Errorf("ParseBaseline = %+v, %v", b, err)
	}
	if _, err := ParseBaseline("30m,yesterday"); !containsErr(err, `item "yesterday"`) {
		t.Errorf("err = %v", err)
	}
	sel, err := ParseSelector(`{job="api", env=~"prod|canary",  msg="a,b"}`)
	if err != nil || sel != `job="api",env=~"prod|canary",msg="a,b"` {
		t.Errorf("ParseSelector = %q, %v", sel, err)
	}
	if _, err := ParseSelector(`job=api`); !containsErr(err, `matcher "job=api" is not label="value"`) {
		t.Errorf("err = %v", err)
	}
	errQ, latQ := DefaultQueries(`job="api"`)
	// Either label of a 5xx, as the count-based check reads them, with the selector in
	// every selector.
	if errQ != `(sum(rate(http_requests_total{status=~"5..",job="api"}[1m]) or rate(http_requests_total{code=~"5..",job="api"}[1m])) or vector(0)) / sum(rate(http_requests_total{job="api"}[1m]))` {
		t.Errorf("error rate query = %s", errQ)
	}
	if !strings.Contains(latQ, `http_request_duration_seconds_bucket{job="api"}`) {
		t.Errorf("selector not injected: %s", latQ)
	}
	noSel, _ := DefaultQueries("")
	if strings.Contains(noSel, ",}") || strings.Contains(noSel, "{,") {
		t.Errorf("empty selector leaves a stray comma: %s", noSel)
	}
}

func TestResourceQueries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		namespace, deployment string
		wantPods              string
		wantOK                bool
	}{
		{"shop", "api", `api-[a-z0-9]+-[a-z0-9]+`, true},
		{"shop", "deploy/api", `api-[a-z0-9]+-[a-z0-9]+`, true},
		{"shop", "statefulset/db", `db-[0-9]+`, true},
		{"shop", "DS/agent", `agent-[a-z0-9]+`, true},
		{"", "api.v2", `api\\.v2-[a-z0-9]+-[a-z0-9]+`, true},
		{"shop", "", "", false},
		{"shop", "job/x", "", false},
		{"shop", "Bad_Name", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.deployment, func(t *testing.T) {
			cpu, mem, ok := ResourceQueries(tt.namespace, tt.deployment)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			ns := tt.namespace
			if ns == "" {
				ns = "default"
			}
			scope := `namespace="` + ns + `",pod=~"` + tt.wantPods + `"`
			wantCPU := `sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{` + scope + `,container!="",container!="POD"}[1m]))` +
				` / sum by (namespace, pod, container) (kube_pod_container_resource_limits{` + scope + `,resource="cpu"})`
			if cpu != wantCPU {
				t.Errorf("cpu query\n got %s\nwant %s", cpu, wantCPU)
			}
			// Never the service's selector: these series carry the kubelet's and
			// kube-state-metrics' job labels.
			if !strings.Contains(mem, `container_memory_working_set_bytes{`+scope) || !strings.Contains(mem, `resource="memory"`) || strings.Contains(cpu+mem, "job=") {
				t.Errorf("memory query = %s", mem)
			}
		})
	}
}

func metricNames(c *Config) []string {
	var out []string
	for _, m := range c.Metrics.Checks {
		out = append(out, m.Name)
	}
	return out
}

func TestDefaultMetricChecks(t *testing.T) {
	t.Parallel()
	c, _, ps := load(t, Sources{Inputs: map[string]string{"prometheus_url": "http://prom:9090", "selector": `job="api"`,
		"queries": "queue: sum(queue_depth) > 1000 warning", "deployment": "api", "namespace": "shop"}})
	if ps != nil {
		t.Fatal(ps)
	}
	if diff := cmp.Diff([]string{"error rate", "p99 latency", "throughput", "cpu", "memory", "queue"}, metricNames(c)); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	er, la := c.Metrics.Checks[0], c.Metrics.Checks[1]
	if !er.Traffic || er.Threshold != 0.01 || er.Persistence != 1 || er.Severity != model.SeverityCritical {
		t.Errorf("error rate check = %+v", er)
	}
	if !la.Relative || la.Threshold != 2 || la.Severity != model.SeverityWarning || la.Persistence != 2 {
		t.Errorf("latency check = %+v", la)
	}
	if cpu := c.Metrics.Checks[3]; !cpu.Optional || !cpu.PerSeries || cpu.Threshold != 0.9 || !strings.Contains(cpu.Query, `namespace="shop",pod=~"api-`) {
		t.Errorf("cpu check = %+v", cpu)
	}
	// Without a workload, CPU and memory would judge every container of the cluster.
	noKube, _, ps := load(t, Sources{Inputs: map[string]string{"prometheus_url": "http://prom:9090", "selector": `job="api"`}})
	if ps != nil {
		t.Fatal(ps)
	}
	if diff := cmp.Diff([]string{"error rate", "p99 latency", "throughput"}, metricNames(noKube)); diff != "" {
		t.Errorf("checks without deployment (-want +got):\n%s", diff)
	}
	scrape, _, ps := load(t, Sources{Inputs: map[string]string{"metrics_url": "http://a:9100/metrics\nhttp://b:9100/metrics", "latency_threshold": "500ms"}})
	if ps != nil {
		t.Fatal(ps)
	}
	if diff := cmp.Diff([]string{"error rate", "p99 latency", "throughput"}, metricNames(scrape)); diff != "" {
		t.Errorf("scrape checks (-want +got):\n%s", diff)
	}
	if got := scrape.Metrics.Checks[1]; got.Relative || got.Threshold != 0.5 {
		t.Errorf("absolute latency threshold = %+v", got)
	}
	if len(scrape.Metrics.MetricsURLs) != 2 {
		t.Errorf("metrics_url targets = %v", scrape.Metrics.MetricsURLs)
	}
	custom, _, ps := load(t, Sources{Inputs: map[string]string{"prometheus_url": "http://prom:9090", "error_rate_query": "sum(x) / sum(y)"}})
	if ps != nil || custom.Metrics.Checks[0].Traffic || custom.Metrics.Checks[0].Query != "sum(x) / sum(y)" || custom.Metrics.Checks[0].Persistence != 2 {
		t.Errorf("custom error rate query: %+v %v", custom.Metrics.Checks[0], ps)
	}
}

func TestMetricProblems(t *testing.T) {
	t.Parallel()
	_, _, ps := load(t, Sources{Inputs: map[string]string{
		"health_url": "http://svc/ready", "expected_version": "x",
		"queries":     "ok: sum(x) > 1\nbad sum(x) > 1",
		"metrics_url": "http://a/metrics\nnot-a-url", "selector": "job=api", "baseline": "soon",
	}})
	want := []string{
		`metrics_url "http://a/metrics\nnot-a-url" (from INPUT_METRICS_URL): "not-a-url" must be an http:// or https:// URL`,
		`selector "job=api" (from INPUT_SELECTOR): matcher "job=api" is not label="value" (operators =, !=, =~, !~)`,
		`baseline "soon" (from INPUT_BASELINE): item "soon" must be a duration above zero such as 30m, 1d or 1w`,
		`queries "ok: sum(x) > 1\nbad sum(x) > 1" (from INPUT_QUERIES): needs prometheus_url: PromQL is evaluated by Prometheus (metrics_url alone scrapes counters)`,
		`queries line 2 "bad sum(x) > 1" (from INPUT_QUERIES): must start with a name and a colon: name: <promql> <op> <value> [severity] [on_no_data=...]`,
	}
	if diff := cmp.Diff(sorted(want), sorted(problemLines(ps))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestFileMetricChecks(t *testing.T) {
	t.Parallel()
	yml := `prometheus_url: http://prom:9090
checks:
  - name: orders
    type: prometheus
    query: sum(rate(orders_total[5m]))
    direction: down
    threshold: 0.5x
    severity: warning
    persistence: 3
    on_no_data: pass
  - type: prometheus
    query: sum(x)
    comparison: "=~"
    threshold: 2
    url: http://nope
  - type: prometheus
    threshold: 1
  - name: error rate
    type: prometheus
    query: sum(y)
    threshold: 1
`
	f, fps := ParseFile("w.yml", []byte(yml))
	if fps != nil {
		t.Fatal(fps)
	}
	_, _, ps := load(t, Sources{File: f})
	want := []string{
		`checks[1].url "http://nope" (from w.yml:11): is a setting of HTTP checks, not of prometheus checks`,
		`checks[1].comparison "=~" (from w.yml:11): is not allowed; allowed: > >= < <= == !=`,
		`checks[2].query (from w.yml:16): is required, unless name is that of a default check to override (error rate, p99 latency, throughput, cpu, memory)`,
		`checks[3].name "error rate" (from w.yml:18): is already the name of the check from error_rate_threshold; names must be unique`,
	}
	if diff := cmp.Diff(sorted(want), sorted(problemLines(ps))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	good, _ := ParseFile("w.yml", []byte(strings.Split(yml, "  - type: prometheus\n    query: sum(x)")[0]))
	c, _, ps := load(t, Sources{File: good})
	if ps != nil {
		t.Fatal(ps)
	}
	orders := c.Metrics.Checks[len(c.Metrics.Checks)-1]
	want2 := MetricCheck{Name: "orders", Kind: model.KindQuery, Query: "sum(rate(orders_total[5m]))", Op: "<", Threshold: 0.5, Relative: true,
		Severity: model.SeverityWarning, Persistence: 3, EmergencyPersistence: 1, MaxProbeErrors: 3, OnNoData: "pass", Source: "checks[0]"}
	if diff := cmp.Diff(want2, orders, cmpopts.IgnoreUnexported(MetricCheck{})); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
}
