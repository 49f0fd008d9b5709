package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"
)

// fxMetrics is a metrics-server answer for one pod: container → cpu, memory.
func fxMetrics(pod string, usage map[string][2]string) *metricsv1beta1.PodMetrics {
	pm := &metricsv1beta1.PodMetrics{ObjectMeta: fxMeta(pod, "", fxAfter, nil)}
	for name, u := range usage {
		pm.Containers = append(pm.Containers, metricsv1beta1.ContainerMetrics{Name: name, Usage: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(u[0]), corev1.ResourceMemory: resource.MustParse(u[1])}})
	}
	return pm
}

// fxMetricsClient serves pod metrics. The fake's tracker files PodMetrics under the
// resource "pods" of metrics.k8s.io, so they are added there, not through the constructor.
func fxMetricsClient(t *testing.T, pms ...*metricsv1beta1.PodMetrics) *metricsfake.Clientset {
	t.Helper()
	mc := metricsfake.NewSimpleClientset()
	for _, pm := range pms {
		if err := mc.Tracker().Create(metricsv1beta1.SchemeGroupVersion.WithResource("pods"), pm, pm.Namespace); err != nil {
			t.Fatal(err)
		}
	}
	return mc
}

func TestUsage(t *testing.T) {
	t.Parallel()
	mc := fxMetricsClient(t,
		fxMetrics("api-a", map[string][2]string{"api": {"450m", "200Mi"}, "proxy": {"10m", "30Mi"}}),
		fxMetrics("api-b", map[string][2]string{"api": {"1200m", "100Mi"}}),
		fxMetrics("web-1", map[string][2]string{"web": {"1", "1Gi"}}),
	)
	pods := []PodState{
		{Name: "api-b", Containers: []ContainerState{{Name: "api", CPULimit: 1, MemoryLimit: 256 << 20}}},
		{Name: "api-a", Containers: []ContainerState{{Name: "migrate", Init: true}, {Name: "api", CPULimit: 0.5, MemoryLimit: 256 << 20}, {Name: "proxy"}}},
		// Not scraped yet: left out.
		{Name: "api-c", Containers: []ContainerState{{Name: "api", CPULimit: 1}}},
	}
	got, err := Usage(context.Background(), mc, fxNS, pods)
	if err != nil {
		t.Fatal(err)
	}
	want := []ContainerUsage{
		{Pod: "api-a", Container: "api", CPU: 0.45, CPULimit: 0.5, Memory: 200 << 20, MemoryLimit: 256 << 20},
		{Pod: "api-a", Container: "proxy", CPU: 0.01, Memory: 30 << 20},
		{Pod: "api-b", Container: "api", CPU: 1.2, CPULimit: 1, Memory: 100 << 20, MemoryLimit: 256 << 20},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Usage (-want +got):\n%s", diff)
	}
	if c, ok := got[0].CPUShare(); c != 0.9 || !ok {
		t.Errorf("api-a/api CPU share = %v, %v; want 0.9", c, ok)
	}
	if m, ok := got[0].MemoryShare(); m != 200.0/256 || !ok {
		t.Errorf("api-a/api memory share = %v, %v; want %v", m, ok, 200.0/256)
	}
	if _, ok := got[1].CPUShare(); ok {
		t.Error("api-a/proxy has no CPU limit but a share")
	}
	if _, ok := got[1].MemoryShare(); ok {
		t.Error("api-a/proxy has no memory limit but a share")
	}
}

func TestUsageMetricsUnavailable(t *testing.T) {
	t.Parallel()
	mc := metricsfake.NewSimpleClientset()
	mc.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("the server could not find the requested resource (get pods.metrics.k8s.io)")
	})
	_, err := Usage(context.Background(), mc, fxNS, []PodState{{Name: "api-a"}})
	if err == nil || !strings.HasPrefix(err.Error(), "read pod metrics (metrics.k8s.io) in shop: the server could not find") {
		t.Errorf("Usage() error = %v", err)
	}
	// No pods, no request.
	if got, err := Usage(context.Background(), mc, fxNS, nil); got != nil || err != nil {
		t.Errorf("Usage(no pods) = %v, %v", got, err)
	}
}

func TestFormatQuantities(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{FormatMemory(256 << 20), "256Mi"},
		{FormatMemory(1.5 * (1 << 30)), "1.5Gi"},
		{FormatMemory(512 << 10), "512Ki"},
		{FormatMemory(100), "100"},
		{FormatCPU(0.25), "250m"},
		{FormatCPU(1.5), "1.5"},
		{FormatCPU(2), "2"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
