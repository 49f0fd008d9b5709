package check

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	metricsclientset "k8s.io/metrics/pkg/client/clientset/versioned"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// podResourcesCheck compares the new pods' CPU and memory with their limits.
type podResourcesCheck struct {
	spec     model.CheckSpec
	mc       metricsclientset.Interface
	pods     *kube.Pods
	cpu, mem float64
}

// NewPodResources returns a check that breaches (signal resources_exceeded; the spec's
// severity, warning when it names none) when a container of the new pods uses more than
// cpuThreshold of its CPU limit or memThreshold of its memory limit (ratios: 0.9 = 90%),
// as the metrics API (metrics.k8s.io) reports it. Containers without a limit are skipped.
func NewPodResources(spec model.CheckSpec, mc metricsclientset.Interface, pods *kube.Pods, cpuThreshold, memThreshold float64) Check {
	return &podResourcesCheck{spec: spec, mc: mc, pods: pods, cpu: cpuThreshold, mem: memThreshold}
}

// Spec describes the check.
func (c *podResourcesCheck) Spec() model.CheckSpec { return c.spec }

// limitUse is one container's share of one limit.
type limitUse struct {
	name, what string
	share, max float64
	used       string
}

// Run reads the pods and their metrics once.
func (c *podResourcesCheck) Run(ctx context.Context) (m model.Measurement) {
	defer podMeasure(c.spec, &m)()
	r, err := c.pods.Snapshot(ctx)
	if err != nil {
		probeError(&m, "%s", capText(oneLine(err.Error()), maxServiceText))
		return m
	}
	usage, err := kube.Usage(ctx, c.mc, c.pods.Namespace(), r.New)
	if err != nil {
		probeError(&m, "metrics API unavailable: %s", capText(oneLine(err.Error()), maxServiceText))
		return m
	}
	if len(usage) == 0 {
		m.Insufficient = true
		m.Message = "no metrics yet for the pods of the new version"
		return m
	}
	var uses []limitUse
	var unlimited []string
	for _, u := range usage {
		name := u.Pod + "/" + u.Container
		cpu, okC := u.CPUShare()
		mem, okM := u.MemoryShare()
		if !okC && !okM {
			unlimited = append(unlimited, name)
			continue
		}
		var details []string
		if okC {
			uses = append(uses, limitUse{name, "CPU", cpu, c.cpu, kube.FormatCPU(u.CPU) + " of " + kube.FormatCPU(u.CPULimit)})
			details = append(details, fmt.Sprintf("CPU %s of %s", model.UnitRatio.Format(cpu), kube.FormatCPU(u.CPULimit)))
		}
		if okM {
			uses = append(uses, limitUse{name, "memory", mem, c.mem, kube.FormatMemory(u.Memory) + " of " + kube.FormatMemory(u.MemoryLimit)})
			details = append(details, fmt.Sprintf("memory %s of %s", model.UnitRatio.Format(mem), kube.FormatMemory(u.MemoryLimit)))
		}
		m.Parts = append(m.Parts, model.Part{Name: name, OK: (!okC || cpu <= c.cpu) && (!okM || mem <= c.mem), Detail: strings.Join(details, ", ")})
	}
	skipped := ""
	if len(unlimited) > 0 {
		skipped = fmt.Sprintf("; skipped without limits: %s", strings.Join(unlimited, ", "))
	}
	if len(uses) == 0 {
		m.Message = "no container of the new pods has a CPU or memory limit to compare with" + skipped
		return m
	}
	// The worst use is the one closest to (or furthest over) its own threshold.
	slices.SortStableFunc(uses, func(a, b limitUse) int {
		return cmp.Compare(b.share/b.max, a.share/a.max)
	})
	w := uses[0]
	m.Metric = &model.MetricValue{Unit: model.UnitRatio, Value: w.share, HasValue: true, Limit: w.max, Op: ">"}
	m.Value = fmt.Sprintf("%s %s of limit (%s)", w.what, model.UnitRatio.Format(w.share), w.name)
	m.Expected = fmt.Sprintf("≤ %s of the %s limit", model.UnitRatio.Format(w.max), w.what)
	over := 0
	for _, u := range uses {
		if u.share > u.max {
			over++
		}
	}
	what := fmt.Sprintf("%s uses %s of its %s limit (%s)", w.name, model.UnitRatio.Format(w.share), w.what, w.used)
	if over == 0 {
		m.Message = fmt.Sprintf("every container within its limits; highest: %s%s", what, skipped)
		return m
	}
	m.Breach, m.Signal = true, model.SignalResources
	if c.spec.Severity == model.SeverityNone {
		m.Severity = model.SeverityWarning
	}
	m.Message = fmt.Sprintf("%s, over %s", what, model.UnitRatio.Format(w.max))
	if over > 1 {
		m.Message += fmt.Sprintf("; and %d more over their thresholds", over-1)
	}
	m.Message += skipped
	return m
}
