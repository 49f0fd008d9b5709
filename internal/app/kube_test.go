package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
)

// Literal cluster objects for the rollback: deployment/api in namespace shop at revision 2
// (image v2, its pods never available), whose previous revision 1 ran image v1.

var kbTarget = kube.Target{Kind: kube.KindDeployment, Name: "api", Namespace: "shop"}

func kbTemplate(tag string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "registry.example/api:" + tag}}},
	}
}

// kbCluster holds the Deployment (changed by mod) and the ReplicaSets of revisions 1
// (hash h1) and 2 (hash h2).
func kbCluster(mod func(*appsv1.Deployment)) *fake.Clientset {
	three := int32(3)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", UID: "uid-api", Generation: 2,
			Annotations: map[string]string{kube.RevisionAnnotation: "2"}},
		Spec: appsv1.DeploymentSpec{Replicas: &three, Template: kbTemplate("v2"),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3},
	}
	if mod != nil {
		mod(d)
	}
	objects := []runtime.Object{d}
	for rev, tag := range map[string]string{"1": "v1", "2": "v2"} {
		tpl := kbTemplate(tag)
		tpl.Labels = map[string]string{"app": "api", appsv1.DefaultDeploymentUniqueLabelKey: "h" + rev}
		objects = append(objects, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: "api-h" + rev, Namespace: "shop", UID: types.UID("uid-h" + rev), Labels: tpl.Labels,
				Annotations:     map[string]string{kube.RevisionAnnotation: rev},
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))}},
			Spec: appsv1.ReplicaSetSpec{Template: tpl},
		})
	}
	return fake.NewClientset(objects...)
}

// kbPod is a pod of revision 1, created now, ready or not.
func kbPod(i int, ready bool) *corev1.Pod {
	now := metav1.NewTime(time.Now())
	cond := corev1.ConditionFalse
	if ready {
		cond = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "api-h1-" + string(rune('a'+i)), Namespace: "shop", UID: types.UID("uid-pod-" + string(rune('a'+i))),
			CreationTimestamp: now, Labels: map[string]string{"app": "api", appsv1.DefaultDeploymentUniqueLabelKey: "h1"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: cond, LastTransitionTime: now}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "api", Ready: ready,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}}},
	}
}

// kbController plays the deployment controller and the kubelet: a while after the patch, it
// writes status (nil: never) and creates pods(); then, after crashAfter (0: never), the
// first pod's container restarts into CrashLoopBackOff.
type kbController struct {
	status     *appsv1.DeploymentStatus
	pods       func() []*corev1.Pod
	crashAfter time.Duration
}

// run starts the controller on cs; it stops with ctx.
func (k kbController) run(ctx context.Context, t *testing.T, cs *fake.Clientset) {
	patched := make(chan struct{}, 1)
	cs.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		select {
		case patched <- struct{}{}:
		default:
		}
		return false, nil, nil
	})
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-patched:
		}
		if k.status == nil || !kbSleep(ctx, 2*time.Second) {
			return
		}
		// The pods first: a Deployment counts its pods available after they are ready.
		var pods []*corev1.Pod
		if k.pods != nil {
			pods = k.pods()
		}
		for _, p := range pods {
			if _, err := cs.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Errorf("controller: %v", err)
				return
			}
		}
		d, err := cs.AppsV1().Deployments("shop").Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			t.Errorf("controller: %v", err)
			return
		}
		d.Status = *k.status
		if _, err := cs.AppsV1().Deployments("shop").UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Errorf("controller: %v", err)
			return
		}
		if k.crashAfter == 0 || len(pods) == 0 || !kbSleep(ctx, k.crashAfter) {
			return
		}
		p := pods[0].DeepCopy()
		p.Status.Conditions[0].Status = corev1.ConditionFalse
		p.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "api", RestartCount: 1,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}}
		if _, err := cs.CoreV1().Pods("shop").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Errorf("controller: %v", err)
		}
	}()
}

func kbSleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// rolledOut is the status of revision 1 rolled out, 3 of 3 available.
var rolledOut = &appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3}

func kbPods(ready bool) func() []*corev1.Pod {
	return func() []*corev1.Pod { return []*corev1.Pod{kbPod(0, ready), kbPod(1, ready), kbPod(2, ready)} }
}

func TestRollbackWorkload(t *testing.T) {
	t.Parallel()
	paused := func(d *appsv1.Deployment) { d.Spec.Paused = true }
	atPrevious := func(d *appsv1.Deployment) { d.Spec.Template = kbTemplate("v1") }
	deadline := &appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}}
	tests := []struct {
		name    string
		mod     func(*appsv1.Deployment)
		dryRun  bool
		ctrl    kbController
		want    model.Rollback
		patches int
		// restored: the Deployment's template is revision 1's afterwards; else unchanged.
		restored bool
		// took is how long the rollback took, in the bubble's time.
		took time.Duration
	}{
		{name: "performed_and_recovered", ctrl: kbController{status: rolledOut, pods: kbPods(true)}, patches: 1, restored: true,
			want: model.Rollback{Performed: true, Recovered: true, FromRevision: 2, ToRevision: 1,
				Message: `deployment "api" rolled back from revision 2 to revision 1; 3 of 3 pods ready on revision 1 for 10s, with no restart`},
			took: 12 * time.Second},
		// Ready at first, then a crash: one instant after the rollout would have called it
		// recovered.
		{name: "performed_then_crash_loop", ctrl: kbController{status: rolledOut, pods: kbPods(true), crashAfter: 4500 * time.Millisecond}, patches: 1, restored: true,
			want: model.Rollback{Performed: true, FromRevision: 2, ToRevision: 1,
				Message: `deployment "api" rolled back from revision 2 to revision 1; the previous revision is not healthy: pod api-h1-a: container api in CrashLoopBackOff (restarted 1 time since the start; last exit 1)`},
			took: 7 * time.Second},
		{name: "performed_pods_never_ready", ctrl: kbController{status: rolledOut, pods: kbPods(false)}, patches: 1, restored: true,
			want: model.Rollback{Performed: true, FromRevision: 2, ToRevision: 1,
				Message: `deployment "api" rolled back from revision 2 to revision 1; the previous revision's pods did not settle within 30s: 0 of 3 pods ready`},
			took: 32 * time.Second},
		{name: "performed_rollout_stuck", ctrl: kbController{}, patches: 1, restored: true,
			want: model.Rollback{Performed: true, FromRevision: 2, ToRevision: 1,
				Message: `deployment "api" rolled back from revision 2 to revision 1; the previous revision did not roll out within 1m0s`},
			took: time.Minute},
		{name: "performed_progress_deadline", ctrl: kbController{status: deadline}, patches: 1, restored: true,
			want: model.Rollback{Performed: true, FromRevision: 2, ToRevision: 1,
				Message: `deployment "api" rolled back from revision 2 to revision 1; the previous revision did not roll out either: deployment "api" exceeded its progress deadline`},
			took: 2 * time.Second},
		{name: "dry_run", dryRun: true, ctrl: kbController{status: rolledOut, pods: kbPods(true)},
			want: model.Rollback{DryRun: true, FromRevision: 2, ToRevision: 1,
				Message: `dry run: deployment "api" would roll back from revision 2 to revision 1 (api=registry.example/api:v1)`}},
		{name: "nothing_to_undo", mod: atPrevious, ctrl: kbController{status: rolledOut, pods: kbPods(true)},
			want: model.Rollback{FromRevision: 2, ToRevision: 1,
				Message: "nothing to roll back: the template already equals revision 1"}},
		{name: "nothing_to_undo_dry_run", mod: atPrevious, dryRun: true, ctrl: kbController{status: rolledOut, pods: kbPods(true)},
			want: model.Rollback{FromRevision: 2, ToRevision: 1,
				Message: "nothing to roll back: the template already equals revision 1"}},
		{name: "paused", mod: paused, ctrl: kbController{status: rolledOut, pods: kbPods(true)},
			want: model.Rollback{Message: "rollback failed: deployment api is paused; resume it before rolling back"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				cs := kbCluster(tt.mod)
				before, err := cs.AppsV1().Deployments("shop").Get(t.Context(), "api", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				tt.ctrl.run(t.Context(), t, cs)
				start := time.Now()
				got := rollbackWorkload(t.Context(), cs, kbTarget, rollbackOptions{dryRun: tt.dryRun, timeout: time.Minute,
					redact: func(s string) string { return s }})
				if took := time.Since(start); took != tt.took {
					t.Errorf("took %s, want %s", took, tt.took)
				}
				tt.want.Target = "deployment/api"
				if diff := cmp.Diff(tt.want, *got); diff != "" {
					t.Errorf("rollback (-want +got):\n%s", diff)
				}
				// Once only: one patch when performed, none otherwise.
				if n := kbPatches(cs); n != tt.patches {
					t.Errorf("%d patch requests, want %d", n, tt.patches)
				}
				after, err := cs.AppsV1().Deployments("shop").Get(t.Context(), "api", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				wantTemplate := before.Spec.Template
				if tt.restored {
					wantTemplate = kbTemplate("v1")
				}
				if diff := cmp.Diff(wantTemplate, after.Spec.Template); diff != "" {
					t.Errorf("template afterwards (-want +got):\n%s", diff)
				}
				// rolled_back is true only for a performed and verified rollback, and the
				// summary says "Rolled back" only for a performed one.
				outs := map[string]string{}
				for _, o := range report.Outputs(model.Report{Result: model.Result{Verdict: model.VerdictFailed}, Rollback: got}) {
					outs[o.Name] = o.Value
				}
				if want := tt.want.Performed && tt.want.Recovered; outs["rolled_back"] != map[bool]string{true: "true", false: "false"}[want] {
					t.Errorf("rolled_back = %q, want %t", outs["rolled_back"], want)
				}
				if md := report.Markdown(model.Report{Result: model.Result{Verdict: model.VerdictFailed}, Rollback: got}); strings.Contains(md, "Rolled back") != tt.want.Performed {
					t.Errorf("the summary says \"Rolled back\" %t times, performed %t:\n%s", !tt.want.Performed, tt.want.Performed, md)
				}
			})
		})
	}
}

// kbPatches counts the patch requests the clientset saw.
func kbPatches(cs *fake.Clientset) int {
	n := 0
	for _, a := range cs.Actions() {
		if a.GetVerb() == "patch" {
			n++
		}
	}
	return n
}

func TestKubeNamespace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, context, want string
	}{
		// The runner passes INPUT_NAMESPACE=default when the workflow leaves it out.
		{"default_defers_to_the_context", "default", "shop", "shop"},
		{"default_without_a_context_namespace", "default", "", "default"},
		{"set_explicitly", "payments", "shop", "payments"},
		{"set_explicitly_without_a_context_namespace", "payments", "", "payments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := kubeNamespace(tt.input, tt.context); got != tt.want {
				t.Errorf("kubeNamespace(%q, %q) = %q, want %q", tt.input, tt.context, got, tt.want)
			}
		})
	}
}

// The restarts and pod-health checks, run on real pod states, give findings whose signals
// say what the pods have: a crash loop sets unhealthy_pods and restarts_exceeded whichever
// check reports it (the first fatal finding ends the round, so only one may).
func TestCrashLoopSignals(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	newPod := func(mod func(*corev1.ContainerStatus)) *corev1.Pod {
		p := kbPod(0, false)
		p.CreationTimestamp = metav1.NewTime(start.Add(time.Second))
		p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = "h2"
		mod(&p.Status.ContainerStatuses[0])
		return p
	}
	crashLoop := func(st *corev1.ContainerStatus) {
		st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: kube.ReasonCrashLoop}}
		st.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}
	}
	restartedRunning := func(st *corev1.ContainerStatus) { st.RestartCount = 3 }
	imagePull := func(st *corev1.ContainerStatus) {
		st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}
	}
	tests := []struct {
		name  string
		pod   *corev1.Pod
		check func(*kube.Pods) check.Check
		want  []model.Signal
	}{
		{"crash_loop_seen_by_the_restarts_check", newPod(crashLoop), func(p *kube.Pods) check.Check {
			return check.NewRestarts(model.CheckSpec{Name: "restarts", Kind: model.KindRestarts, Signal: model.SignalRestarts}, p, 2)
		}, []model.Signal{model.SignalRestarts, model.SignalPods}},
		{"crash_loop_seen_by_the_pod_health_check", newPod(crashLoop), func(p *kube.Pods) check.Check {
			return check.NewPodHealth(model.CheckSpec{Name: "pods", Kind: model.KindPods, Signal: model.SignalPods}, p, nil, podGrace)
		}, []model.Signal{model.SignalRestarts, model.SignalPods}},
		// Restarts the kubelet was never seen backing off: the count alone, not unhealthy.
		{"restarts_over_the_limit", newPod(restartedRunning), func(p *kube.Pods) check.Check {
			return check.NewRestarts(model.CheckSpec{Name: "restarts", Kind: model.KindRestarts, Signal: model.SignalRestarts}, p, 2)
		}, []model.Signal{model.SignalRestarts}},
		{"image_pull_failure", newPod(imagePull), func(p *kube.Pods) check.Check {
			return check.NewPodHealth(model.CheckSpec{Name: "pods", Kind: model.KindPods, Signal: model.SignalPods}, p, nil, podGrace)
		}, []model.Signal{model.SignalPods}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := kbCluster(nil)
			if _, err := cs.CoreV1().Pods("shop").Create(context.Background(), tt.pod, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			c := tt.check(kube.NewPods(cs, kube.PodSelection{Target: kbTarget, Start: start}))
			m := c.Run(context.Background())
			if !m.Breach {
				t.Fatalf("no breach: %+v", m)
			}
			f := model.Finding{Check: c.Spec().Name, Kind: c.Spec().Kind, Signal: m.EffectiveSignal(c.Spec()), Type: model.FindingBreach,
				Fatal: true, Phase: model.PhaseRollout, Message: m.Message, Parts: m.Parts}
			var got []model.Signal
			for s, on := range signalsOf([]model.Finding{f}) {
				if on {
					got = append(got, s)
				}
			}
			slices.Sort(got) // restarts_exceeded < unhealthy_pods
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("signals (-want +got):\n%s\nfinding %+v", diff, f)
			}
		})
	}
}
