package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsclientset "k8s.io/metrics/pkg/client/clientset/versioned"
)

// ContainerUsage is the CPU and memory one container uses, with its limits.
type ContainerUsage struct {
	Pod, Container string
	// CPU and CPULimit are in cores; a limit of 0 means none.
	CPU, CPULimit float64
	// Memory and MemoryLimit are in bytes (the working set); a limit of 0 means none.
	Memory, MemoryLimit float64
}

// CPUShare is the CPU used as a share of the limit; false without a limit.
func (u ContainerUsage) CPUShare() (float64, bool) { return usageShare(u.CPU, u.CPULimit) }

// MemoryShare is the memory used as a share of the limit; false without a limit.
func (u ContainerUsage) MemoryShare() (float64, bool) { return usageShare(u.Memory, u.MemoryLimit) }

func usageShare(used, limit float64) (float64, bool) {
	if limit <= 0 {
		return 0, false
	}
	return used / limit, true
}

// Usage reads the CPU and memory of pods from the metrics API (metrics.k8s.io PodMetrics,
// one List of the namespace) and pairs each container with its limits, taken from the
// pods' specs by Snapshot. Containers without a limit are returned with a limit of 0 (the
// caller says they were skipped); pods the metrics server has not scraped yet are left out.
// Sorted by pod, then container.
func Usage(ctx context.Context, mc metricsclientset.Interface, namespace string, pods []PodState) ([]ContainerUsage, error) {
	if len(pods) == 0 {
		return nil, nil
	}
	list, err := mc.MetricsV1beta1().PodMetricses(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("read pod metrics (metrics.k8s.io) in %s: %w", namespace, err)
	}
	byPod := map[string]map[string]corev1.ResourceList{}
	for _, pm := range list.Items {
		byPod[pm.Name] = map[string]corev1.ResourceList{}
		for _, c := range pm.Containers {
			byPod[pm.Name][c.Name] = c.Usage
		}
	}
	var out []ContainerUsage
	for _, pod := range pods {
		used, ok := byPod[pod.Name]
		if !ok {
			continue
		}
		for _, c := range pod.Containers {
			u, ok := used[c.Name]
			if !ok {
				continue
			}
			out = append(out, ContainerUsage{Pod: pod.Name, Container: c.Name,
				CPU: u.Cpu().AsApproximateFloat64(), CPULimit: c.CPULimit,
				Memory: u.Memory().AsApproximateFloat64(), MemoryLimit: c.MemoryLimit})
		}
	}
	slices.SortFunc(out, func(a, b ContainerUsage) int {
		return cmp.Or(strings.Compare(a.Pod, b.Pod), strings.Compare(a.Container, b.Container))
	})
	return out, nil
}

// FormatMemory writes a memory size the way limits are written: 256Mi, 1.5Gi.
func FormatMemory(b float64) string {
	for _, u := range []struct {
		suffix string
		size   float64
	}{{"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if b >= u.size {
			return fmt.Sprintf("%.4g%s", b/u.size, u.suffix)
		}
	}
	return fmt.Sprintf("%.0f", b)
}

// FormatCPU writes CPU cores the way limits are written: 250m below a core, 1.5 above.
func FormatCPU(cores float64) string {
	if cores < 1 {
		return fmt.Sprintf("%.0fm", cores*1000)
	}
	return fmt.Sprintf("%.4g", cores)
}
