package main_test

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deploywatch/deploywatch/internal/testutil/promserver"
)

// The resource checks read cAdvisor (job="kubelet") and kube-state-metrics series, which
// carry neither the service's labels nor its selector. These tests backfill such series
// into a real Prometheus with promtool, from 35 minutes ago to 5 minutes ahead: the future
// part plays the live scrapes (an instant query at now reads the sample at now), so the
// values are exact and nothing waits for a scrape.

// omSeries writes OpenMetrics samples of one family, every 5 s over [from, to].
type omSeries struct {
	name, typ string
	lines     []omLine
}

type omLine struct {
	labels string
	// at gives the value at t seconds after from.
	at func(t float64) float64
}

func openMetrics(from, to time.Time, families ...omSeries) string {
	var b strings.Builder
	const step = 5 * time.Second
	for _, f := range families {
		fmt.Fprintf(&b, "# TYPE %s %s\n", strings.TrimSuffix(f.name, "_total"), f.typ)
		for _, l := range f.lines {
			for ts := from; !ts.After(to); ts = ts.Add(step) {
				fmt.Fprintf(&b, "%s{%s} %s %d\n", f.name, l.labels, strconv.FormatFloat(l.at(ts.Sub(from).Seconds()), 'f', -1, 64), ts.Unix())
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// cpuPods are the series of one pod's container: CPU use as a share of a 0.5-core limit,
// memory at 40% of 512 MiB.
func cpuPods(ns, pod string, cpuShare float64) []omSeries {
	const limit, memLimit = 0.5, 512 << 20
	ids := fmt.Sprintf(`namespace="%s",pod="%s",container="api"`, ns, pod)
	kubelet := `job="kubelet",instance="node-1",` + ids
	ksm := `job="kube-state-metrics",instance="ksm:8080",` + ids
	return []omSeries{
		{"container_cpu_usage_seconds_total", "counter", []omLine{{kubelet, func(t float64) float64 { return t * limit * cpuShare }}}},
		{"container_memory_working_set_bytes", "gauge", []omLine{{kubelet, func(float64) float64 { return 0.4 * memLimit }}}},
		{"kube_pod_container_resource_limits", "gauge", []omLine{
			{ksm + `,resource="cpu",unit="core"`, func(float64) float64 { return limit }},
			{ksm + `,resource="memory",unit="byte"`, func(float64) float64 { return memLimit }},
		}},
	}
}

// codeTraffic is a client_golang service: 200 requests/s labelled `code`, 0.2% of them 500s.
func codeTraffic() omSeries {
	const rps, errShare = 200, 0.002
	lbl := `job="api",instance="api:8080",handler="/orders",method="get",code=`
	return omSeries{"http_requests_total", "counter", []omLine{
		{lbl + `"200"`, func(t float64) float64 { return t * rps * (1 - errShare) }},
		{lbl + `"500"`, func(t float64) float64 { return t * rps * errShare }},
	}}
}

// merge joins the families of the same name (OpenMetrics wants each family in one block).
func merge(groups ...[]omSeries) []omSeries {
	var out []omSeries
	for _, g := range groups {
		for _, f := range g {
			i := slices.IndexFunc(out, func(o omSeries) bool { return o.name == f.name })
			if i < 0 {
				out = append(out, f)
				continue
			}
			out[i].lines = append(out[i].lines, f.lines...)
		}
	}
	return out
}

// findCheck returns the report's check named name.
func findCheck(t *testing.T, report map[string]any, name string) map[string]any {
	t.Helper()
	checks, _ := report["checks"].([]any)
	var names []string
	for _, c := range checks {
		c, _ := c.(map[string]any)
		if c["name"] == name {
			return c
		}
		names = append(names, fmt.Sprint(c["name"]))
	}
	t.Fatalf("report has no check %q; checks: %v", name, names)
	return nil
}

// lastMetric returns a check's last metric numbers (value, limit, baseline; NaN when null)
// and its query.
func lastMetric(t *testing.T, check map[string]any) (value, limit, baseline float64, query, message string) {
	t.Helper()
	last, _ := check["last"].(map[string]any)
	metric, _ := last["metric"].(map[string]any)
	if metric == nil {
		t.Fatalf("check %v has no metric in its last measurement: %v", check["name"], last)
	}
	num := func(k string) float64 {
		if v, ok := metric[k].(float64); ok {
			return v
		}
		return math.NaN()
	}
	q, _ := metric["query"].(string)
	msg, _ := last["message"].(string)
	return num("value"), num("limit"), num("baseline"), q, msg
}

func TestMetricsResourcesOfTheWorkload(t *testing.T) {
	t.Parallel()
	ns := cluster.Namespace(t)
	deployment(t, ns, "api", "registry.example/api:v1", 600)
	list, err := cluster.Client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=api"})
	if err != nil || len(list.Items) == 0 {
		t.Fatalf("pods of api: %v (%d)", err, len(list.Items))
	}
	var pods []string
	for _, p := range list.Items {
		pods = append(pods, p.Name)
	}
	slices.Sort(pods)
	hot := pods[0]
	groups := [][]omSeries{{codeTraffic()}}
	for _, p := range pods {
		share := 0.3
		if p == hot {
			share = 0.95 // over cpu_threshold (90%) in the target namespace
		}
		groups = append(groups, cpuPods(ns, p, share))
	}
	// Hotter, but not the workload's: another namespace's pod of the same name shape, and
	// a sibling workload ("api-worker") in the same namespace.
	groups = append(groups, cpuPods("other", "api-5f6d7c8b9-zzzzz", 1.5), cpuPods(ns, "api-worker-6d5f7-abcde", 1.2))
	now := time.Now()
	prom := promserver.Start(t, promserver.Options{Backfill: openMetrics(now.Add(-35*time.Minute), now.Add(5*time.Minute), merge(groups...)...)})

	with := kubeInputs(ns)
	for k, v := range map[string]string{
		"prometheus_url": prom.URL, "selector": `job="api"`, "baseline": "30m",
		"schedule": "2s,20s", "interval": "1s", "cooldown": "2s",
	} {
		with[k] = v
	}
	s := newStep(t, with)
	s.start()
	code := s.wait(90 * time.Second)
	log := s.stdout.String()
	outs := s.outputs()
	if code != 0 || outs["status"] != "degraded" || outs["resources_exceeded"] != "true" || outs["error_rate_exceeded"] != "false" {
		t.Fatalf("exit %d status %q resources_exceeded %q error_rate_exceeded %q, want 0 degraded true false; summary %q\n%s",
			code, outs["status"], outs["resources_exceeded"], outs["error_rate_exceeded"], outs["summary"], log)
	}
	report := s.report()

	t.Run("cpu_names_the_workload_s_hot_pod", func(t *testing.T) {
		value, limit, _, query, msg := lastMetric(t, findCheck(t, report, "cpu"))
		if math.Abs(value-0.95) > 0.01 || limit != 0.9 {
			t.Errorf("cpu value %v limit %v, want 0.95 (the hot pod, not the other namespace's 1.5) and 0.9", value, limit)
		}
		t.Logf("cpu: %s", msg)
		wantPod := fmt.Sprintf("pod %s/%s container api", ns, hot)
		if !strings.HasPrefix(msg, wantPod+": ") {
			t.Errorf("cpu message %q does not name %s", msg, wantPod)
		}
		if strings.Contains(query, "job=") || !strings.Contains(query, `namespace="`+ns+`"`) {
			t.Errorf("cpu query is not scoped by namespace and pods: %s", query)
		}
		var found bool
		findings, _ := report["findings"].([]any)
		for _, f := range findings {
			f, _ := f.(map[string]any)
			m, _ := f["message"].(string)
			if f["check"] == "cpu" {
				found = found || strings.Contains(m, wantPod)
			}
			if strings.Contains(m, "other/") || strings.Contains(m, "api-worker") {
				t.Errorf("finding about a pod outside the workload: %v", f)
			}
		}
		if !found {
			t.Errorf("no cpu finding names %s: %v", wantPod, findings)
		}
		if !strings.Contains(log, wantPod) {
			t.Errorf("log does not name %s:\n%s", wantPod, log)
		}
	})
	t.Run("memory_within_its_limit", func(t *testing.T) {
		value, _, _, _, msg := lastMetric(t, findCheck(t, report, "memory"))
		if math.Abs(value-0.4) > 0.001 {
			t.Errorf("memory value %v (%s), want 0.4", value, msg)
		}
	})
	t.Run("error_rate_reads_the_code_label", func(t *testing.T) {
		// The query shown is the one the history and trend checks evaluate: it reads the
		// 0.2% of 500s of a `code`-labelled service, not 0%.
		_, _, _, query, _ := lastMetric(t, findCheck(t, report, "error rate"))
		if !strings.Contains(query, `code=~"5.."`) || !strings.Contains(query, `job="api"`) {
			t.Fatalf("error rate query %s", query)
		}
		if got := prom.Value(t, query, time.Time{}); math.Abs(got-0.002) > 1e-9 {
			t.Errorf("the shown query evaluates to %v, want 0.002", got)
		}
		trend := findCheck(t, report, "error rate trend")
		trendQuery, _ := trend["target"].(string)
		last, _ := trend["last"].(map[string]any)
		trendMsg, _ := last["message"].(string)
		if trendQuery != query || !strings.HasPrefix(trendMsg, "0.2% now") {
			t.Errorf("error rate trend evaluates %s: %q, want %s reading 0.2%%", trendQuery, trendMsg, query)
		}
		if v, err := strconv.ParseFloat(outs["error_rate"], 64); err != nil || math.Abs(v-0.002) > 0.001 {
			t.Errorf("error_rate output %q, want about 0.002", outs["error_rate"])
		}
	})
}
