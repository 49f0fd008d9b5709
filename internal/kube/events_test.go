package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fxEvent is an old-style (core/v1) event about a pod.
func fxEvent(name, pod, typ, reason, msg string, count int32, first, last time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     fxMeta(name, types.UID("uid-"+name), first, nil),
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: fxNS, Name: pod},
		Type:           typ, Reason: reason, Message: msg, Count: count,
		FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last),
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	warn := corev1.EventTypeWarning
	// A new-style event (events.k8s.io) seen through core/v1: EventTime and a series.
	series := &corev1.Event{
		ObjectMeta:     fxMeta("e-series", "uid-e-series", fxAfter, nil),
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: fxNS, Name: "api-a"},
		Type:           warn, Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
		EventTime: metav1.NewMicroTime(fxAfter.Add(10 * time.Second)),
		Series:    &corev1.EventSeries{Count: 6, LastObservedTime: metav1.NewMicroTime(fxAfter.Add(3 * time.Minute))},
	}
	node := fxEvent("e-node", "api-a", warn, "Unhealthy", "x", 1, fxAfter, fxAfter)
	node.InvolvedObject.Kind = "Node"
	c := fake.NewClientset([]runtime.Object{
		fxEvent("e1", "api-a", warn, "Unhealthy", "Readiness probe failed: connection refused", 3, fxAfter, fxAfter.Add(time.Minute)),
		series,
		fxEvent("e2", "api-a", warn, "BackOff", "Back-off restarting failed container api in pod api-a", 5, fxAfter, fxAfter.Add(2*time.Minute)),
		fxEvent("e3", "api-b", warn, "Evicted", "The node was low on resource: memory.\nContainer api was using 300Mi.", 0, fxAfter, fxAfter.Add(time.Minute)),
		fxEvent("e4", "api-b", warn, "FailedMount", "MountVolume.SetUp failed", 2, fxAfter, fxAfter),
		// Left out: before the start, a Normal event, another pod, not a pod.
		fxEvent("e5", "api-a", warn, "Unhealthy", "Liveness probe failed", 9, fxBefore, fxBefore.Add(time.Minute)),
		fxEvent("e6", "api-a", corev1.EventTypeNormal, "Pulled", "Successfully pulled image", 1, fxAfter, fxAfter),
		fxEvent("e7", "web-1", warn, "FailedScheduling", "0/3 nodes are available", 4, fxAfter, fxAfter),
		node,
	}...)
	got, err := Events(context.Background(), c, fxNS, []string{"api-a", "api-b"}, fxStart)
	if err != nil {
		t.Fatal(err)
	}
	want := []EventSummary{
		{Pod: "api-a", Reason: "BackOff", Message: "Back-off restarting failed container api in pod api-a", Count: 5, Last: fxAfter.Add(2 * time.Minute)},
		{Pod: "api-a", Reason: "Unhealthy", Message: "Readiness probe failed: HTTP probe failed with statuscode: 503", Count: 9, Last: fxAfter.Add(3 * time.Minute)},
		{Pod: "api-b", Reason: "Evicted", Message: "The node was low on resource: memory. Container api was using 300Mi.", Count: 1, Last: fxAfter.Add(time.Minute)},
		{Pod: "api-b", Reason: "FailedMount", Message: "MountVolume.SetUp failed", Count: 2, Last: fxAfter},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
	// The server is asked for Warning events about pods only.
	var selectors []string
	for _, a := range c.Actions() {
		if l, ok := a.(k8stesting.ListAction); ok && a.GetResource().Resource == "events" {
			selectors = append(selectors, l.GetListRestrictions().Fields.String())
		}
	}
	if diff := cmp.Diff([]string{"involvedObject.kind=Pod,type=Warning"}, selectors); diff != "" {
		t.Errorf("field selectors (-want +got):\n%s", diff)
	}
}

func TestEventsNoPodsNoRequest(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset()
	got, err := Events(context.Background(), c, fxNS, nil, fxStart)
	if err != nil || got != nil || len(c.Actions()) != 0 {
		t.Errorf("Events(no pods) = %v, %v after %d requests", got, err, len(c.Actions()))
	}
}

func TestEventsFollowsPages(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset()
	pages := map[string]*corev1.EventList{
		"":   {ListMeta: metav1.ListMeta{Continue: "p2"}, Items: []corev1.Event{*fxEvent("e1", "api-a", "Warning", "BackOff", "one", 2, fxAfter, fxAfter)}},
		"p2": {Items: []corev1.Event{*fxEvent("e2", "api-a", "Warning", "BackOff", "two", 3, fxAfter, fxAfter.Add(time.Second))}},
	}
	c.PrependReactor("list", "events", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, pages[a.(k8stesting.ListActionImpl).ListOptions.Continue], nil
	})
	got, err := Events(context.Background(), c, fxNS, []string{"api-a"}, fxStart)
	if err != nil {
		t.Fatal(err)
	}
	want := []EventSummary{{Pod: "api-a", Reason: "BackOff", Message: "two", Count: 5, Last: fxAfter.Add(time.Second)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
}

func TestEventsError(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset()
	c.PrependReactor("list", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New(`events is forbidden: User "ci" cannot list resource "events"`)
	})
	_, err := Events(context.Background(), c, fxNS, []string{"api-a"}, fxStart)
	if err == nil || !strings.HasPrefix(err.Error(), "list events in shop: events is forbidden") {
		t.Errorf("Events() error = %v", err)
	}
}

func TestPodsEventsRedacts(t *testing.T) {
	t.Parallel()
	// A known secret (no telltale name), then one that only looks like a credential.
	c := fake.NewClientset(fxEvent("e1", "api-a", "Warning", "Unhealthy",
		`Readiness probe failed: opaque-123456 {"token":"tok-abc"} `+strings.Repeat("x", 300), 1, fxAfter, fxAfter))
	p := NewPods(c, PodSelection{Target: Target{KindDeployment, "api", fxNS}, Start: fxStart,
		Redact: func(s string) string { return strings.ReplaceAll(s, "opaque-123456", "REDACTED") }})
	got, err := p.Events(context.Background(), []string{"api-a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0].Message, `Readiness probe failed: REDACTED {"token":"***"} xxx`) ||
		len([]rune(got[0].Message)) != maxPodText {
		t.Errorf("Events = %+v", got)
	}
}

func TestWithEvictions(t *testing.T) {
	t.Parallel()
	issues := []Issue{
		{Pod: "api-a", Container: "api", Reason: "CrashLoopBackOff", Message: "a", Fatal: true},
		{Pod: "api-b", Reason: ReasonEvicted, Message: "b", Fatal: true},
		{Pod: "api-c", Container: "api", Reason: ReasonNotReady, Message: "c"},
	}
	events := []EventSummary{
		{Pod: "api-b", Reason: EventEvicted, Message: "already known", Count: 1},
		{Pod: "api-c", Reason: EventEvicted, Message: "The node was low on resource: memory.", Count: 1},
		{Pod: "api-d", Reason: EventUnhealthy, Message: "Readiness probe failed", Count: 3},
	}
	want := []Issue{
		issues[0], issues[1],
		{Pod: "api-c", Reason: ReasonEvicted, Message: `pod api-c: evicted ("The node was low on resource: memory.")`, Fatal: true},
		issues[2],
	}
	if diff := cmp.Diff(want, WithEvictions(issues, events)); diff != "" {
		t.Errorf("WithEvictions (-want +got):\n%s", diff)
	}
	if issues[2].Reason != ReasonNotReady {
		t.Error("WithEvictions changed its input")
	}
}

// TestEventsPerContainer: probe failures are grouped per container, named by the event's
// involvedObject.fieldPath; events about the pod as a whole have no container.
func TestEventsPerContainer(t *testing.T) {
	t.Parallel()
	warn := corev1.EventTypeWarning
	on := func(ev *corev1.Event, path string) *corev1.Event {
		ev.InvolvedObject.FieldPath = path
		return ev
	}
	c := fake.NewClientset(
		on(fxEvent("e1", "api-a", warn, "Unhealthy", "Readiness probe failed: 503", 3, fxAfter, fxAfter.Add(time.Minute)), "spec.containers{api}"),
		on(fxEvent("e2", "api-a", warn, "Unhealthy", "Readiness probe failed: 500", 2, fxAfter, fxAfter.Add(2*time.Minute)), "spec.containers{api}"),
		on(fxEvent("e3", "api-a", warn, "Unhealthy", "Liveness probe failed: timeout", 4, fxAfter, fxAfter.Add(time.Minute)), "spec.containers{proxy}"),
		on(fxEvent("e4", "api-a", warn, "BackOff", "Back-off restarting failed container migrate", 1, fxAfter, fxAfter), "spec.initContainers{migrate}"),
		fxEvent("e5", "api-a", warn, "Evicted", "The node was low on resource: memory.", 1, fxAfter, fxAfter),
	)
	got, err := Events(context.Background(), c, fxNS, []string{"api-a"}, fxStart)
	if err != nil {
		t.Fatal(err)
	}
	want := []EventSummary{
		{Pod: "api-a", Reason: "BackOff", Container: "migrate", Message: "Back-off restarting failed container migrate", Count: 1, Last: fxAfter},
		{Pod: "api-a", Reason: "Evicted", Message: "The node was low on resource: memory.", Count: 1, Last: fxAfter},
		{Pod: "api-a", Reason: "Unhealthy", Container: "api", Message: "Readiness probe failed: 500", Count: 5, Last: fxAfter.Add(2 * time.Minute)},
		{Pod: "api-a", Reason: "Unhealthy", Container: "proxy", Message: "Liveness probe failed: timeout", Count: 4, Last: fxAfter.Add(time.Minute)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
}

func TestFieldContainer(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"spec.containers{api}":          "api",
		"spec.initContainers{migrate}":  "migrate",
		"spec.ephemeralContainers{dbg}": "dbg",
		"":                              "",
		"spec.containers{broken":        "",
		"metadata.labels":               "",
	} {
		if got := fieldContainer(path); got != want {
			t.Errorf("fieldContainer(%q) = %q, want %q", path, got, want)
		}
	}
}
