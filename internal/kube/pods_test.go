package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

// fxDeploymentObjects is api at v2 (new ReplicaSet "new2") replacing v1 ("old1"), plus
// what a selector may also match: a ReplicaSet of another owner with the same template,
// a bare debug pod, and another app.
func fxDeploymentObjects(image string) []runtime.Object {
	d := fxDeployment("api", image, 3)
	other := fxDeployment("api-shadow", "v2", 1)
	other.UID = "uid-shadow"
	clone := fxReplicaSet(other, "zzz", "v2", "9")
	clone.Labels["app"], clone.Spec.Template.Labels["app"] = "api", "api"
	return []runtime.Object{
		d,
		fxReplicaSet(d, "old1", "v1", "1"),
		fxReplicaSet(d, "new2", "v2", "2"),
		clone,
		fxPod("api-new2-a", fxAfter, fxWithTrack(fxHashLabels("api", "new2"), "canary")),
		fxPod("api-new2-b", fxAfter, fxHashLabels("api", "new2")),
		fxPod("api-old1-a", fxBefore, fxWithTrack(fxHashLabels("api", "old1"), "canary")),
		fxPod("api-zzz-a", fxBefore, fxHashLabels("api", "zzz")),
		fxPod("debug", fxBefore, map[string]string{"app": "api"}),
		fxPod("web-1", fxBefore, fxHashLabels("web", "new2")),
	}
}

func fxWithTrack(l map[string]string, track string) map[string]string {
	l["track"] = track
	return l
}

func fxStatefulSetObjects(generation, observed int64) []runtime.Object {
	replicas := int32(2)
	s := &appsv1.StatefulSet{
		ObjectMeta: fxMeta("db", "uid-db", fxBefore, nil),
		Spec: appsv1.StatefulSetSpec{Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: observed, CurrentRevision: "db-1a", UpdateRevision: "db-2b"},
	}
	s.Generation = generation
	return []runtime.Object{s,
		fxPod("db-0", fxAfter, fxRevLabels("db", "db-2b"), fxOwnedBy(s, "StatefulSet")),
		fxPod("db-1", fxBefore, fxRevLabels("db", "db-1a"), fxOwnedBy(s, "StatefulSet")),
		fxPod("db-stray", fxBefore, fxRevLabels("db", "db-1a")),
	}
}

func fxDaemonSetObjects() []runtime.Object {
	ds := &appsv1.DaemonSet{
		ObjectMeta: fxMeta("agent", "uid-agent", fxBefore, nil),
		Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}}},
		Status:     appsv1.DaemonSetStatus{DesiredNumberScheduled: 2},
	}
	cr := func(name string, rev int64, labels map[string]string, owner metav1.Object) *appsv1.ControllerRevision {
		c := &appsv1.ControllerRevision{ObjectMeta: fxMeta(name, types.UID("uid-"+name), fxBefore, labels), Revision: rev}
		fxControlledBy(&c.ObjectMeta, owner, "DaemonSet")
		return c
	}
	foreign := ds.DeepCopy()
	foreign.UID = "uid-foreign"
	return []runtime.Object{ds,
		cr("agent-aaa", 1, fxRevLabels("agent", "aaa"), ds),
		// The newest revision has no hash label: its name carries the hash.
		cr("agent-bbb", 2, map[string]string{"app": "agent"}, ds),
		cr("agent-ccc", 7, fxRevLabels("agent", "ccc"), foreign),
		fxPod("agent-x", fxAfter, fxRevLabels("agent", "bbb"), fxOwnedBy(ds, "DaemonSet")),
		fxPod("agent-y", fxBefore, fxRevLabels("agent", "aaa"), fxOwnedBy(ds, "DaemonSet")),
		fxPod("agent-z", fxBefore, fxRevLabels("agent", "ccc"), fxOwnedBy(foreign, "DaemonSet")),
	}
}

func TestSnapshotSelectsTheNewVersion(t *testing.T) {
	t.Parallel()
	type want struct {
		revision string
		desired  int32
		new, old []string
	}
	tests := []struct {
		name    string
		objects []runtime.Object
		target  Target
		sel     string
		want    want
	}{
		{"deployment_newest_replicaset", fxDeploymentObjects("v2"), Target{KindDeployment, "api", fxNS}, "",
			want{"new2", 3, []string{"api-new2-a", "api-new2-b"}, []string{"api-old1-a"}}},
		{"deployment_pod_selector_override", fxDeploymentObjects("v2"), Target{KindDeployment, "api", fxNS}, "app=api,track=canary",
			want{"new2", 3, []string{"api-new2-a"}, []string{"api-old1-a"}}},
		{"deployment_new_replicaset_not_created_yet", fxDeploymentObjects("v3"), Target{KindDeployment, "api", fxNS}, "",
			want{"", 3, nil, []string{"api-new2-a", "api-new2-b", "api-old1-a"}}},
		{"deployment_rolled_back_to_the_old_template", fxDeploymentObjects("v1"), Target{KindDeployment, "api", fxNS}, "",
			want{"old1", 3, []string{"api-old1-a"}, []string{"api-new2-a", "api-new2-b"}}},
		{"statefulset_update_revision", fxStatefulSetObjects(2, 2), Target{KindStatefulSet, "db", fxNS}, "",
			want{"db-2b", 2, []string{"db-0"}, []string{"db-1"}}},
		{"statefulset_spec_not_observed_yet", fxStatefulSetObjects(3, 2), Target{KindStatefulSet, "db", fxNS}, "",
			want{"", 2, nil, []string{"db-0", "db-1"}}},
		{"daemonset_newest_controller_revision", fxDaemonSetObjects(), Target{KindDaemonSet, "agent", fxNS}, "",
			want{"bbb", 2, []string{"agent-x"}, []string{"agent-y"}}},
		{"pod_selector_without_workload", fxDeploymentObjects("v2"), Target{Namespace: fxNS}, "track=canary",
			want{"", 0, []string{"api-new2-a", "api-old1-a"}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewPods(fake.NewClientset(tt.objects...), PodSelection{Target: tt.target, Selector: tt.sel, Start: fxStart})
			r, err := p.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := want{r.Revision, r.Desired, fxNames(r.New), fxNames(r.Old)}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("selection (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSnapshotErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target Target
		sel    string
		want   string
	}{
		{"missing_deployment", Target{KindDeployment, "gone", fxNS}, "", `get deployment/gone: deployments.apps "gone" not found`},
		{"bad_pod_selector", Target{KindDeployment, "api", fxNS}, "app in (", `pod_selector "app in ("`},
		{"nothing_selects", Target{Namespace: fxNS}, "", "no workload and no pod_selector"},
		{"unknown_kind", Target{"Job", "api", fxNS}, "", `kind "Job" is not followed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewPods(fake.NewClientset(fxDeploymentObjects("v2")...), PodSelection{Target: tt.target, Selector: tt.sel})
			_, err := p.Snapshot(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Snapshot() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// fxRestartsOf returns the restarts since the start of each new pod's first container.
func fxRestartsOf(r PodReport) map[string]int32 {
	out := map[string]int32{}
	for _, p := range r.New {
		out[p.Name] = p.Containers[0].Restarts
	}
	return out
}

func TestSnapshotCountsRestartsSinceTheStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := fxDeployment("api", "v2", 3)
	c := fake.NewClientset(d, fxReplicaSet(d, "new2", "v2", "2"),
		// Existed before the start with 3 restarts: counts from 3.
		fxPod("api-early", fxBefore, fxHashLabels("api", "new2"), fxRestarts(3)),
		// Created after the start: all its restarts count.
		fxPod("api-late", fxAfter, fxHashLabels("api", "new2"), fxRestarts(4)),
		fxPod("api-steady", fxBefore, fxHashLabels("api", "new2"), fxRestarts(6)),
	)
	p := NewPods(c, PodSelection{Target: Target{KindDeployment, "api", fxNS}, Start: fxStart})
	p.fresh = 0 // every snapshot reads the cluster
	snap := func() map[string]int32 {
		t.Helper()
		r, err := p.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return fxRestartsOf(r)
	}
	update := func(obj *corev1.Pod) {
		t.Helper()
		if _, err := c.CoreV1().Pods(fxNS).Update(ctx, obj, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]int32{"api-early": 0, "api-late": 4, "api-steady": 0}, snap()); diff != "" {
		t.Errorf("first snapshot (-want +got):\n%s", diff)
	}
	update(fxPod("api-early", fxBefore, fxHashLabels("api", "new2"), fxRestarts(5)))
	if diff := cmp.Diff(map[string]int32{"api-early": 2, "api-late": 4, "api-steady": 0}, snap()); diff != "" {
		t.Errorf("after two more restarts (-want +got):\n%s", diff)
	}
	// Replaced under the same name (a new UID): the kubelet's count starts again, and the
	// replacement was created after the start, so its one restart counts.
	replaced := fxPod("api-early", fxAfter.Add(time.Minute), fxHashLabels("api", "new2"), fxRestarts(1))
	replaced.UID = "uid-api-early-2"
	if err := c.CoreV1().Pods(fxNS).Delete(ctx, "api-early", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Pods(fxNS).Create(ctx, replaced, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int32{"api-early": 1, "api-late": 4, "api-steady": 0}, snap()); diff != "" {
		t.Errorf("after replacement (-want +got):\n%s", diff)
	}
	// A count that goes back (the kubelet lost the container's history) starts over from
	// there: later restarts still count.
	update(fxPod("api-early", fxAfter.Add(time.Minute), fxHashLabels("api", "new2"), fxRestarts(0), func(p *corev1.Pod) { p.UID = "uid-api-early-2" }))
	update(fxPod("api-late", fxAfter, fxHashLabels("api", "new2"), fxRestarts(0)))
	update(fxPod("api-steady", fxBefore, fxHashLabels("api", "new2"), fxRestarts(1)))
	if diff := cmp.Diff(map[string]int32{"api-early": 0, "api-late": 0, "api-steady": 0}, snap()); diff != "" {
		t.Errorf("after a count reset (-want +got):\n%s", diff)
	}
	update(fxPod("api-steady", fxBefore, fxHashLabels("api", "new2"), fxRestarts(3)))
	if diff := cmp.Diff(map[string]int32{"api-early": 0, "api-late": 0, "api-steady": 2}, snap()); diff != "" {
		t.Errorf("restarts after a count reset (-want +got):\n%s", diff)
	}
	if n := len(p.base); n != 3 {
		t.Errorf("restart bases kept = %d, want 3 (the replaced pod forgotten)", n)
	}
}

func TestSnapshotReadsPodState(t *testing.T) {
	t.Parallel()
	d := fxDeployment("api", "v2", 3)
	labels := func() map[string]string { return fxHashLabels("api", "new2") }
	deleting := metav1.NewTime(fxAfter.Add(time.Minute))
	c := fake.NewClientset(d, fxReplicaSet(d, "new2", "v2", "2"),
		fxPod("api-a", fxAfter, labels(), fxLimits("500m", "256Mi"), fxRestarts(2),
			fxWaiting("CrashLoopBackOff", "back-off 10s restarting failed container"),
			fxLastTerminated("Error", 1, "panic: nil map\ngoroutine 1 [running]:\n\tpassword=hunter22", fxAfter.Add(20*time.Second)),
			func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "migrate"}}
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "migrate", Ready: true,
					State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", FinishedAt: metav1.NewTime(fxAfter.Add(time.Second))}}}}
			}),
		// Created before the start: its old OOM kill is history.
		fxPod("api-b", fxBefore, labels(), fxLastTerminated("OOMKilled", 137, "", fxBefore.Add(time.Minute))),
		fxPod("api-c", fxAfter, labels(), func(p *corev1.Pod) {
			p.Spec.NodeName = ""
			p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
				Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/3 nodes are available: 3 Insufficient cpu."}}}
		}),
		fxPod("api-d", fxAfter, labels(), func(p *corev1.Pod) {
			p.Status.Phase, p.Status.Reason, p.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
			p.DeletionTimestamp = &deleting
			p.Finalizers = []string{"test"}
		}),
	)
	// No redactor of known secrets: the termination message's password is masked by its look.
	p := NewPods(c, PodSelection{Target: Target{KindDeployment, "api", fxNS}, Start: fxStart})
	r, err := p.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	running := ContainerState{Name: "api", Ready: true, Running: true}
	want := []PodState{
		{Name: "api-a", Node: "node-1", UID: "uid-api-a", Phase: corev1.PodRunning, Created: fxAfter, Containers: []ContainerState{
			{Name: "migrate", Init: true, Ready: true, LastTerminated: "Completed"},
			{Name: "api", Restarts: 2, Waiting: "CrashLoopBackOff", LastTerminated: "Error", ExitCode: 1,
				Message: "panic: nil map goroutine 1 [running]: password=***", CPULimit: 0.5, MemoryLimit: 256 << 20},
		}},
		{Name: "api-b", Node: "node-1", UID: "uid-api-b", Phase: corev1.PodRunning, Ready: true, ReadyChanged: fxBefore.Add(5 * time.Second),
			Created: fxBefore, Containers: []ContainerState{running}},
		{Name: "api-c", UID: "uid-api-c", Phase: corev1.PodPending, Reason: "Unschedulable", Message: "0/3 nodes are available: 3 Insufficient cpu.",
			Created: fxAfter, Containers: []ContainerState{{Name: "api"}}},
		{Name: "api-d", Node: "node-1", UID: "uid-api-d", Phase: corev1.PodFailed, Ready: true, ReadyChanged: fxAfter.Add(5 * time.Second),
			Reason: "Evicted", Message: "The node was low on resource: memory.", Terminating: true, Created: fxAfter,
			Containers: []ContainerState{running}},
	}
	if diff := cmp.Diff(want, r.New); diff != "" {
		t.Errorf("pods (-want +got):\n%s", diff)
	}
}

func TestPodTextIsOneCappedLine(t *testing.T) {
	t.Parallel()
	p := NewPods(nil, PodSelection{})
	got := p.text("a\u2028b\x00c  " + strings.Repeat("x", 300))
	if !strings.HasPrefix(got, "a b c xxx") || len([]rune(got)) != maxPodText || !strings.HasSuffix(got, "…") {
		t.Errorf("text() = %q", got)
	}
}

func TestSnapshotsOfARoundAreShared(t *testing.T) {
	t.Parallel()
	c := fake.NewClientset(fxDeploymentObjects("v2")...)
	p := NewPods(c, PodSelection{Target: Target{KindDeployment, "api", fxNS}, Start: fxStart})
	for range 4 {
		if _, err := p.Snapshot(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	lists := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == "list" && a.GetResource().Resource == "pods" {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("%d pod lists for four checks of one round, want 1", lists)
	}
}
