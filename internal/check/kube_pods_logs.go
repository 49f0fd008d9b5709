package check

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// logErrorsCheck counts matching log lines of the new pods since the start.
type logErrorsCheck struct {
	spec model.CheckSpec
	w    *kube.LogWatch
	pods *kube.Pods
	max  int
}

// NewLogErrors returns a check that breaches (the spec's severity and signal) when more
// than max log lines of the new pods match the watch's pattern since the start. The
// finding gives the count and the rate per minute since the start, in all and per pod.
func NewLogErrors(spec model.CheckSpec, w *kube.LogWatch, pods *kube.Pods, max int) Check {
	return &logErrorsCheck{spec: spec, w: w, pods: pods, max: max}
}

// Spec describes the check.
func (c *logErrorsCheck) Spec() model.CheckSpec { return c.spec }

// Run reads what is new in the logs once.
func (c *logErrorsCheck) Run(ctx context.Context) (m model.Measurement) {
	defer podMeasure(c.spec, &m)()
	r, err := c.pods.Snapshot(ctx)
	if err != nil {
		probeError(&m, "%s", capText(oneLine(err.Error()), maxServiceText))
		return m
	}
	lr, err := c.w.Poll(ctx, r.New)
	if err != nil {
		probeError(&m, "%s", capText(oneLine(err.Error()), maxServiceText))
		return m
	}
	pattern := "/" + c.w.Pattern().String() + "/"
	m.Value = fmt.Sprintf("%d %s match", lr.Total, plural(lr.Total, "line", "lines")) + logRate(lr, lr.Total, " (%s)")
	m.Expected = fmt.Sprintf("≤ %d since the start", c.max)
	m.Metric = &model.MetricValue{Value: float64(lr.Total), HasValue: true, Limit: float64(c.max), Op: ">", Query: pattern}
	pods := slices.Sorted(maps.Keys(lr.Matches))
	var counts []string
	for _, p := range pods {
		n := lr.Matches[p]
		counts = append(counts, fmt.Sprintf("%s: %d%s", p, n, logRate(lr, n, " at %s")))
		m.Parts = append(m.Parts, model.Part{Name: p, OK: n == 0,
			Detail: fmt.Sprintf("%d matching %s%s", n, plural(n, "line", "lines"), logRate(lr, n, ", %s"))})
	}
	m.Message = fmt.Sprintf("%d of %d log lines of the new pods match %s since the start", lr.Total, lr.Lines, pattern)
	if rate := logRate(lr, lr.Total, "%s"); rate != "" {
		m.Message += fmt.Sprintf(", %s over %s", rate, lr.At.Sub(lr.Since).Round(time.Second))
	}
	if len(counts) > 0 {
		m.Message += " (" + strings.Join(counts, ", ") + ")"
	}
	if lr.Total > c.max {
		m.Breach = true
		samples := lr.Samples[max(0, len(lr.Samples)-3):]
		for i, s := range samples {
			samples[i] = fmt.Sprintf("%q", s)
		}
		m.Message += "; e.g. " + strings.Join(samples, ", ")
	}
	if len(lr.Unreadable) > 0 {
		m.Message += fmt.Sprintf("; unreadable: %s", strings.Join(lr.Unreadable, ", "))
	}
	return m
}

// logRate formats n matches as a rate per minute since the start into format ("%s" is
// "2.5/min"); "" before a rate means anything.
func logRate(lr kube.LogReport, n int, format string) string {
	r, ok := lr.PerMinute(n)
	if !ok {
		return ""
	}
	var s string
	switch {
	case r == 0 || r >= 10:
		s = fmt.Sprintf("%.0f/min", r)
	case r >= 0.1:
		s = fmt.Sprintf("%.1f/min", r)
	default:
		s = fmt.Sprintf("%.2f/min", r)
	}
	return fmt.Sprintf(format, s)
}
