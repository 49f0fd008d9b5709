package check

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// pkOldReplicaSet is deployment/api's previous ReplicaSet (pod-template-hash old1).
func pkOldReplicaSet() *appsv1.ReplicaSet {
	controller := true
	labels := map[string]string{"app": "api", appsv1.DefaultDeploymentUniqueLabelKey: "old1"}
	return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "api-old1", Namespace: pkNS, UID: "uid-rs-old", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "api", UID: "uid-api", Controller: &controller}}},
		Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "shop/api:v1"}}}}}}
}

// pkOld moves a pod to the previous ReplicaSet.
func pkOld(p *corev1.Pod) { p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = "old1" }

// TestPodHealthComparesWithTheOldPods: a new pod's issue that the old version's pods have
// too is said to predate the deploy; one they do not have is reported alone.
func TestPodHealthComparesWithTheOldPods(t *testing.T) {
	t.Parallel()
	crash := `pod api-a: container api in CrashLoopBackOff (restarted 4 times since the start; last exit 1: "panic")`
	tests := []struct {
		name    string
		objects func(start time.Time) []runtime.Object
		want    string
	}{
		{"old_pods_crash_too", func(start time.Time) []runtime.Object {
			return []runtime.Object{pkPod("api-a", start, pkCrash(4, 1, "panic")),
				pkPod("api-old-x", start, pkOld, pkCrash(3, 1, "panic")), pkPod("api-old-y", start, pkOld)}
		}, crash + "; the previous version had the same: container api in CrashLoopBackOff on 1 of 2 old pods, 3 restarts"},
		{"old_pods_healthy", func(start time.Time) []runtime.Object {
			return []runtime.Object{pkPod("api-a", start, pkCrash(4, 1, "panic")), pkPod("api-old-x", start, pkOld)}
		}, crash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				// The pods are created at the start: their restarts all count.
				start := time.Now().Add(-5 * time.Minute)
				cs := pkCluster(1, append(tt.objects(start), pkOldReplicaSet())...)
				pods := kube.NewPods(cs, kube.PodSelection{Target: pkTarget, Start: start})
				m := probe(t, context.Background(), NewPodHealth(pkSpec(model.KindPods, model.SignalPods, model.SeverityCritical), pods, nil, time.Minute))
				if !m.Breach || m.Message != tt.want {
					t.Errorf("breach %v, message\n %q\nwant\n %q", m.Breach, m.Message, tt.want)
				}
			})
		})
	}
}
