package kube

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Literal objects for the pod tests: what the controllers and the kubelet would write.

const fxNS = "shop"

var (
	fxStart  = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	fxBefore = fxStart.Add(-time.Hour)
	fxAfter  = fxStart.Add(30 * time.Second)
)

func fxMeta(name string, uid types.UID, created time.Time, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: fxNS, UID: uid, Labels: labels,
		CreationTimestamp: metav1.NewTime(created)}
}

func fxControlledBy(m *metav1.ObjectMeta, owner metav1.Object, kind string) {
	m.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, appsv1.SchemeGroupVersion.WithKind(kind))}
}

func fxTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: app, Image: image}}},
	}
}

func fxDeployment(name, image string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: fxMeta(name, types.UID("uid-"+name), fxBefore, nil),
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: fxTemplate(name, image),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
	}
}

// fxReplicaSet is a ReplicaSet of d running image, as the deployment controller makes it.
func fxReplicaSet(d *appsv1.Deployment, hash, image, revision string) *appsv1.ReplicaSet {
	tpl := fxTemplate(d.Name, image)
	tpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	rs := &appsv1.ReplicaSet{
		ObjectMeta: fxMeta(d.Name+"-"+hash, types.UID("uid-rs-"+hash), fxBefore, map[string]string{"app": d.Name, appsv1.DefaultDeploymentUniqueLabelKey: hash}),
		Spec:       appsv1.ReplicaSetSpec{Template: tpl},
	}
	rs.Annotations = map[string]string{"deployment.kubernetes.io/revision": revision}
	fxControlledBy(&rs.ObjectMeta, d, "Deployment")
	return rs
}

// fxPod is a running, ready pod with one container named api; mods change it.
func fxPod(name string, created time.Time, labels map[string]string, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: fxMeta(name, types.UID("uid-"+name), created, labels),
		Spec:       corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "api"}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue,
				LastTransitionTime: metav1.NewTime(created.Add(5 * time.Second))}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "api", Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}},
		},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func fxHashLabels(app, hash string) map[string]string {
	return map[string]string{"app": app, appsv1.DefaultDeploymentUniqueLabelKey: hash}
}

func fxRevLabels(app, rev string) map[string]string {
	return map[string]string{"app": app, appsv1.ControllerRevisionHashLabelKey: rev}
}

func fxOwnedBy(owner metav1.Object, kind string) func(*corev1.Pod) {
	return func(p *corev1.Pod) { fxControlledBy(&p.ObjectMeta, owner, kind) }
}

func fxRestarts(n int32) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount = n }
}

// fxWaiting puts the container in a waiting state, not ready.
func fxWaiting(reason, msg string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		fxNotReadyPod(p)
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
	}
}

// fxLastTerminated records the container's previous instance's end.
func fxLastTerminated(reason string, code int32, msg string, at time.Time) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: reason, ExitCode: code, Message: msg, FinishedAt: metav1.NewTime(at)}}
	}
}

func fxNotReadyPod(p *corev1.Pod) {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	p.Status.ContainerStatuses[0].Ready = false
}

func fxLimits(cpu, mem string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	}
}

func fxNames(pods []PodState) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}
