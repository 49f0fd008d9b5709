package check

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// minProbeFailures is how many failed probes of a ready pod, since it was first seen
// ready, make a warning: fewer is a blip (Kubernetes' default failureThreshold is 3).
const minProbeFailures = 3

// podMeasure starts a measurement of a pod check and returns its finish: a panic becomes a
// probe error (Run never panics) and every text field one line.
func podMeasure(spec model.CheckSpec, m *model.Measurement) func() {
	*m = model.Measurement{Check: spec.Name}
	start := time.Now()
	return func() {
		m.Latency = time.Since(start)
		if r := recover(); r != nil {
			*m = model.Measurement{Check: spec.Name, Latency: m.Latency}
			probeError(m, "internal error reading pods: %v", r)
		}
		m.Message, m.ProbeError, m.Value, m.Expected = oneLine(m.Message), oneLine(m.ProbeError), oneLine(m.Value), oneLine(m.Expected)
		for i := range m.Parts {
			m.Parts[i].Name, m.Parts[i].Detail = oneLine(m.Parts[i].Name), oneLine(m.Parts[i].Detail)
		}
	}
}

// podHealthCheck judges the new pods' state and Warning events.
type podHealthCheck struct {
	spec    model.CheckSpec
	pods    *kube.Pods
	rollout func() bool
	grace   time.Duration
	mu      sync.Mutex
	// probeBase is each pod's failed-probe count when first seen ready: failures before
	// are the pod starting up.
	probeBase map[string]int32
}

// NewPodHealth returns a check of the new pods (signal unhealthy_pods, severity critical).
// A crash loop, an image that cannot be pulled, a config error, an OOM kill or an eviction
// is a breach at once; a pod not ready once rollout reports the rollout done (nil: always)
// and for grace. Evictions and failed probes from the pods' events are folded into the
// message and parts. Probes failing at least 3 times on a pod since it was ready, with no
// other issue, are a warning breach: the pod serves, but flaps.
func NewPodHealth(spec model.CheckSpec, pods *kube.Pods, rollout func() bool, grace time.Duration) Check {
	return &podHealthCheck{spec: spec, pods: pods, rollout: rollout, grace: grace, probeBase: map[string]int32{}}
}

// Spec describes the check.
func (c *podHealthCheck) Spec() model.CheckSpec { return c.spec }

// Run reads the pods and their events once.
func (c *podHealthCheck) Run(ctx context.Context) (m model.Measurement) {
	defer podMeasure(c.spec, &m)()
	r, err := c.pods.Snapshot(ctx)
	if err != nil {
		probeError(&m, "%s", capText(oneLine(err.Error()), maxServiceText))
		return m
	}
	done := c.rollout == nil || c.rollout()
	if done && len(r.New) == 0 && r.Desired > 0 {
		probeError(&m, "no pod of the new version found (revision %q); check pod_selector", r.Revision)
		return m
	}
	names := newPodNames(r.New)
	events, evErr := c.pods.Events(ctx, names)
	issues := kube.WithEvictions(kube.Issues(r, done, c.grace, time.Now()), events)
	flaps := c.probeFlaps(r, events)
	m.Signal = model.SignalPods
	m.Expected = "no unhealthy pod"
	m.Parts = podParts(names, issues, events)
	switch {
	case len(issues) > 0:
		bad := map[string]bool{}
		for _, is := range issues {
			bad[is.Pod] = true
		}
		m.Breach, m.Severity = true, model.SeverityCritical
		m.Value = fmt.Sprintf("%d/%d unhealthy", len(bad), len(r.New))
		m.Message = issues[0].Message + previousNote(r, issues[0]) + probeNote(events, issues[0].Pod)
		if n := len(issues) - 1; n > 0 {
			m.Message += fmt.Sprintf("; and %d more %s", n, plural(n, "issue", "issues"))
		}
	case len(flaps) > 0:
		m.Breach, m.Severity = true, model.SeverityWarning
		m.Value = fmt.Sprintf("%d/%d failing probes", len(flaps), len(r.New))
		m.Message = flaps[0]
		if n := len(flaps) - 1; n > 0 {
			m.Message += fmt.Sprintf("; and %d more %s", n, plural(n, "pod", "pods"))
		}
	default:
		ready := 0
		for _, p := range r.New {
			if p.Ready {
				ready++
			}
		}
		want := max(int(r.Desired), len(r.New))
		m.Value = fmt.Sprintf("%d/%d ready", ready, want)
		m.Message = fmt.Sprintf("%d/%d pods of the new version ready", ready, want)
		if r.Revision != "" {
			m.Message = fmt.Sprintf("%d/%d pods of revision %s ready", ready, want, r.Revision)
		}
		if !done {
			m.Message += "; rollout in progress"
		}
	}
	if evErr != nil {
		m.Message += "; events unreadable: " + capText(oneLine(evErr.Error()), 100)
	}
	return m
}

// probeFlaps describes the containers of ready pods whose probes failed at least
// minProbeFailures times since their pod was first seen ready.
func (c *podHealthCheck) probeFlaps(r kube.PodReport, events []kube.EventSummary) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Pods are never seen again once gone: forget them so a long run stays small.
	for key := range c.probeBase {
		name, _, _ := strings.Cut(key, "/")
		if !slices.ContainsFunc(r.New, func(p kube.PodState) bool { return p.Name == name }) {
			delete(c.probeBase, key)
		}
	}
	var out []string
	for _, p := range r.New {
		// The pod's own key marks it seen ready; each container's ("pod/container") holds
		// its failures counted then, which were the pod starting up.
		_, seen := c.probeBase[p.Name]
		firstReady := !seen && p.Ready
		if firstReady {
			c.probeBase[p.Name], seen = 0, true
		}
		for _, ev := range podEvents(events, p.Name, kube.EventUnhealthy) {
			key := p.Name + "/" + ev.Container
			base, ok := c.probeBase[key]
			if !ok && seen {
				if firstReady {
					base = ev.Count
				}
				c.probeBase[key], ok = base, true
			}
			if ok && p.Ready && ev.Count-base >= minProbeFailures {
				out = append(out, fmt.Sprintf("pod %s: %sprobes failed %d times while ready (%q)", p.Name, eventSubject(ev), ev.Count-base, ev.Message))
			}
		}
	}
	return out
}

// podParts describes each new pod: its issues, then its Warning events.
func podParts(names []string, issues []kube.Issue, events []kube.EventSummary) []model.Part {
	parts := make([]model.Part, 0, len(names))
	for _, name := range names {
		var details []string
		reason := ""
		for _, is := range issues {
			if is.Pod == name {
				details = append(details, strings.TrimPrefix(is.Message, "pod "+name+": "))
				// A crash loop names the part (it sets the restarts signal too); else
				// the first issue's reason.
				if reason == "" || is.Reason == kube.ReasonCrashLoop {
					reason = is.Reason
				}
			}
		}
		ok := len(details) == 0
		for _, ev := range events {
			if ev.Pod == name {
				details = append(details, fmt.Sprintf("%s%s ×%d: %s", eventSubject(ev), ev.Reason, ev.Count, capText(ev.Message, 100)))
			}
		}
		parts = append(parts, model.Part{Name: name, OK: ok, Detail: strings.Join(details, "; "), Reason: reason})
	}
	return parts
}

// previousNote says when the old version's pods had the same issue: it predates the deploy.
func previousNote(r kube.PodReport, is kube.Issue) string {
	if note := r.PreviousSame(is); note != "" {
		return "; " + note
	}
	return ""
}

// probeNote mentions a pod's failed probes after its issue, per container.
func probeNote(events []kube.EventSummary, pod string) string {
	var note string
	for _, ev := range podEvents(events, pod, kube.EventUnhealthy) {
		note += fmt.Sprintf("; %sprobes failed %d %s (%q)", eventSubject(ev), ev.Count, plural(int(ev.Count), "time", "times"), capText(ev.Message, 100))
	}
	return note
}

// podEvents are a pod's events of one reason, one per container (the pod's own first).
func podEvents(events []kube.EventSummary, pod, reason string) []kube.EventSummary {
	var out []kube.EventSummary
	for _, e := range events {
		if e.Pod == pod && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// eventSubject names the container an event is about, "container api: ", or nothing
// when it is about the pod as a whole.
func eventSubject(ev kube.EventSummary) string {
	if ev.Container == "" {
		return ""
	}
	return "container " + ev.Container + ": "
}

func newPodNames(pods []kube.PodState) []string {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
	}
	return names
}

// restartsCheck counts the new pods' container restarts since the start.
type restartsCheck struct {
	spec model.CheckSpec
	pods *kube.Pods
	max  int32
}

// NewRestarts returns a check that breaches (signal restarts_exceeded; the spec's severity,
// critical when it names none) when a container of the new pods restarted more than max
// times since the start, or is in CrashLoopBackOff: a restart loop whatever its count so far.
func NewRestarts(spec model.CheckSpec, pods *kube.Pods, max int32) Check {
	return &restartsCheck{spec: spec, pods: pods, max: max}
}

// Spec describes the check.
func (c *restartsCheck) Spec() model.CheckSpec { return c.spec }

// Run reads the pods once.
func (c *restartsCheck) Run(ctx context.Context) (m model.Measurement) {
	defer podMeasure(c.spec, &m)()
	r, err := c.pods.Snapshot(ctx)
	if err != nil {
		probeError(&m, "%s", capText(oneLine(err.Error()), maxServiceText))
		return m
	}
	worst := kube.ContainerRestart{}
	over := kube.Restarts(r, c.max)
	if all := kube.Restarts(r, -1); len(over) > 0 {
		worst = over[0]
	} else if len(all) > 0 {
		worst = all[0]
	}
	m.Expected = fmt.Sprintf("≤ %d since the start", c.max)
	m.Metric = &model.MetricValue{Value: float64(worst.Restarts), HasValue: true, Limit: float64(c.max), Op: ">"}
	m.Value = fmt.Sprintf("%d %s", worst.Restarts, plural(int(worst.Restarts), "restart", "restarts"))
	if worst.Restarts > 0 || worst.Looping {
		m.Value += fmt.Sprintf(" (%s/%s)", worst.Pod, worst.Container)
	}
	if worst.Looping {
		m.Value += ", " + RestartLoop
	}
	if len(over) == 0 {
		m.Message = fmt.Sprintf("no container of the new pods restarted more than %d times since the start (most: %s)", c.max, m.Value)
		return m
	}
	m.Breach, m.Signal = true, model.SignalRestarts
	if c.spec.Severity == model.SeverityNone {
		m.Severity = model.SeverityCritical
	}
	looping := false
	for _, cr := range over {
		part := model.Part{Name: cr.Pod + "/" + cr.Container, Detail: restartText(cr)}
		if cr.Looping {
			part.Reason = kube.ReasonCrashLoop
		}
		m.Parts = append(m.Parts, part)
		looping = looping || cr.Looping
	}
	m.Message = fmt.Sprintf("pod %s: container %s %s", worst.Pod, worst.Container, restartText(worst))
	if n := len(over) - 1; n > 0 {
		m.Message += fmt.Sprintf("; and %d more %s over %d", n, plural(n, "container", "containers"), c.max)
		if looping {
			m.Message += " or in a restart loop"
		}
	}
	return m
}

// RestartLoop marks, in a part of the restarts check, a container in CrashLoopBackOff.
const RestartLoop = "in a restart loop"

// restartText is "restarted 4 times since the start, in a restart loop (CrashLoopBackOff;
// last exit 1: Error)".
func restartText(cr kube.ContainerRestart) string {
	s := fmt.Sprintf("restarted %d %s since the start", cr.Restarts, plural(int(cr.Restarts), "time", "times"))
	var why []string
	if cr.Looping {
		s += ", " + RestartLoop
		why = append(why, kube.ReasonCrashLoop)
	}
	if cr.LastReason != "" {
		why = append(why, fmt.Sprintf("last exit %d: %s", cr.ExitCode, cr.LastReason))
	}
	if len(why) > 0 {
		s += " (" + strings.Join(why, "; ") + ")"
	}
	return s
}
