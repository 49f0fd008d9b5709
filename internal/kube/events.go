package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// Event reasons the pod checks single out.
const (
	// EventUnhealthy is a failed liveness, readiness or startup probe.
	EventUnhealthy = "Unhealthy"
	// EventEvicted is a pod evicted by the kubelet (node pressure).
	EventEvicted = "Evicted"
)

// eventPage is how many events one List returns; a namespace can hold many.
const eventPage = 500

// EventSummary is the Warning events of one reason on one pod, or on one container of it
// when the events name one (a failed probe does, by its involvedObject.fieldPath).
type EventSummary struct {
	Pod, Reason string
	// Container is the container the events are about; empty for the pod as a whole.
	Container string
	// Message is the latest event's message: one line, capped.
	Message string
	// Count sums the occurrences (an event's count, or its series count).
	Count int32
	Last  time.Time
}

// Events lists the Warning events of the given pods last seen at or after since:
// evictions (Evicted), failed probes (Unhealthy: "Readiness probe failed: ..."), BackOff,
// FailedScheduling, FailedMount and any other. They are grouped per pod, container and
// reason, the counts summed, sorted by pod, reason then container. Messages are cleaned of
// anything that looks like a credential (redact.Untrusted).
func Events(ctx context.Context, c kubernetes.Interface, namespace string, pods []string, since time.Time) ([]EventSummary, error) {
	return events(ctx, c, namespace, pods, since, nil)
}

// events is Events with the run's own secrets masked too by known.
func events(ctx context.Context, c kubernetes.Interface, namespace string, pods []string, since time.Time, known func(string) string) ([]EventSummary, error) {
	if len(pods) == 0 {
		return nil, nil
	}
	want := map[string]bool{}
	for _, p := range pods {
		want[p] = true
	}
	sel := fields.AndSelectors(
		fields.OneTermEqualSelector("involvedObject.kind", "Pod"),
		fields.OneTermEqualSelector("type", corev1.EventTypeWarning),
	).String()
	type key struct{ pod, container, reason string }
	groups := map[key]*EventSummary{}
	opts := metav1.ListOptions{FieldSelector: sel, Limit: eventPage}
	for {
		list, err := c.CoreV1().Events(namespace).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list events in %s: %w", namespace, err)
		}
		for i := range list.Items {
			ev := &list.Items[i]
			// The field selector is applied again: not every server (nor the fake) honours it.
			if ev.Type != corev1.EventTypeWarning || ev.InvolvedObject.Kind != "Pod" || !want[ev.InvolvedObject.Name] {
				continue
			}
			last := eventLast(ev)
			if last.Before(since) {
				continue
			}
			k := key{ev.InvolvedObject.Name, fieldContainer(ev.InvolvedObject.FieldPath), ev.Reason}
			g := groups[k]
			if g == nil {
				g = &EventSummary{Pod: k.pod, Container: k.container, Reason: k.reason}
				groups[k] = g
			}
			g.Count += eventCount(ev)
			if !last.Before(g.Last) {
				g.Last, g.Message = last, clusterText(ev.Message, known)
			}
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	out := make([]EventSummary, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b EventSummary) int {
		return cmp.Or(strings.Compare(a.Pod, b.Pod), strings.Compare(a.Reason, b.Reason), strings.Compare(a.Container, b.Container))
	})
	return out, nil
}

// fieldContainer is the container an event's fieldPath names: "spec.containers{api}" and
// "spec.initContainers{init}" (the kubelet's form) give "api" and "init"; any other path,
// or none, gives "".
func fieldContainer(path string) string {
	for _, prefix := range []string{"spec.containers{", "spec.initContainers{", "spec.ephemeralContainers{"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			if name, _, ok := strings.Cut(rest, "}"); ok {
				return name
			}
		}
	}
	return ""
}

// eventLast is when an event last occurred: the newest of its timestamps (old-style
// events fill LastTimestamp, new-style ones EventTime and their series).
func eventLast(ev *corev1.Event) time.Time {
	t := ev.LastTimestamp.Time
	for _, c := range []time.Time{ev.FirstTimestamp.Time, ev.EventTime.Time, ev.CreationTimestamp.Time} {
		if c.After(t) {
			t = c
		}
	}
	if ev.Series != nil && ev.Series.LastObservedTime.After(t) {
		t = ev.Series.LastObservedTime.Time
	}
	return t
}

// eventCount is how many times an event occurred: its count, or its series' count.
func eventCount(ev *corev1.Event) int32 {
	n := ev.Count
	if ev.Series != nil {
		n = max(n, ev.Series.Count)
	}
	return max(n, 1)
}

// Events lists the Warning events of the given pods since the start, messages redacted.
func (p *Pods) Events(ctx context.Context, pods []string) ([]EventSummary, error) {
	return events(ctx, p.c, p.Namespace(), pods, p.sel.Start, p.sel.Redact)
}

// WithEvictions adds an Evicted issue for each pod with an Evicted event that has no
// issue of that reason yet (its status may not say so: it can still be terminating), and
// keeps the fatal issues first.
func WithEvictions(issues []Issue, events []EventSummary) []Issue {
	out := slices.Clone(issues)
	for _, ev := range events {
		if ev.Reason != EventEvicted || slices.ContainsFunc(out, func(is Issue) bool {
			return is.Pod == ev.Pod && is.Reason == ReasonEvicted
		}) {
			continue
		}
		msg := fmt.Sprintf("pod %s: evicted", ev.Pod)
		if ev.Message != "" {
			msg += fmt.Sprintf(" (%q)", ev.Message)
		}
		out = append(out, Issue{Pod: ev.Pod, Reason: ReasonEvicted, Message: msg, Fatal: true})
	}
	slices.SortStableFunc(out, func(a, b Issue) int {
		switch {
		case a.Fatal == b.Fatal:
			return 0
		case a.Fatal:
			return -1
		}
		return 1
	})
	return out
}
