package kubecluster

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// rolledOut tells whether a Deployment's rollout is complete, as kubectl rollout status
// decides it, and describes where it stands.
func rolledOut(d *appsv1.Deployment) (bool, string) {
	s := d.Status
	state := fmt.Sprintf("generation %d observed %d, replicas %d updated %d available %d",
		d.Generation, s.ObservedGeneration, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas)
	want := *d.Spec.Replicas
	done := s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want &&
		s.Replicas == s.UpdatedReplicas && s.AvailableReplicas == s.UpdatedReplicas
	return done, state
}

// waitRolledOut waits until the Deployment's rollout is complete.
func waitRolledOut(t *testing.T, ns, name string) {
	t.Helper()
	eventually(t, "deployment "+name+" rolled out", func(ctx context.Context) (bool, string, error) {
		d, err := cluster.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		done, state := rolledOut(d)
		return done, state, nil
	})
}

// podReady tells whether the pod's Ready condition is True.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// listPods lists the pods of app=name that are not being deleted.
func listPods(ctx context.Context, ns, name string) ([]corev1.Pod, error) {
	list, err := cluster.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func TestDeploymentRollsOutAndUpdates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ns := cluster.Namespace(t)
	deps := cluster.Client.AppsV1().Deployments(ns)
	if _, err := deps.Create(ctx, deployment("web", 3, "example.invalid/web:1", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, ns, "web")
	pods, err := listPods(ctx, ns, "web")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning || !podReady(&p) || p.Spec.NodeName != cluster.NodeName {
			t.Errorf("pod %s: phase %s ready %v node %q, want Running, Ready, on %s",
				p.Name, p.Status.Phase, podReady(&p), p.Spec.NodeName, cluster.NodeName)
		}
	}

	// kubectl set image deployment/web app=example.invalid/web:2
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := deps.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Template.Spec.Containers[0].Image = "example.invalid/web:2"
		_, err = deps.Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, ns, "web")
	rss, err := cluster.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, rs := range rss.Items {
		got[rs.Spec.Template.Spec.Containers[0].Image] = fmt.Sprintf("revision %s, replicas %d, ready %d",
			rs.Annotations["deployment.kubernetes.io/revision"], *rs.Spec.Replicas, rs.Status.ReadyReplicas)
	}
	want := map[string]string{
		"example.invalid/web:1": "revision 1, replicas 0, ready 0",
		"example.invalid/web:2": "revision 2, replicas 3, ready 3",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replica sets = %v, want %v", got, want)
	}
	// A healthy rollout on an untainted node leaves no warning behind (no FailedScheduling).
	evs, err := cluster.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs.Items {
		t.Errorf("warning event on %s/%s: %s: %s", e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message)
	}
	eventually(t, "only new pods left", func(ctx context.Context) (bool, string, error) {
		pods, err := listPods(ctx, ns, "web")
		if err != nil {
			return false, "", err
		}
		images := map[string]int{}
		for _, p := range pods {
			images[p.Spec.Containers[0].Image]++
		}
		return len(images) == 1 && images["example.invalid/web:2"] == 3, fmt.Sprint(images), nil
	})
}

func TestControllersRun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ns := cluster.Namespace(t)

	// garbage-collector: deleting a Deployment deletes its ReplicaSet and pods.
	if _, err := cluster.Client.AppsV1().Deployments(ns).Create(ctx, deployment("gc", 2, "example.invalid/gc:1", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, ns, "gc")
	background := metav1.DeletePropagationBackground
	if err := cluster.Client.AppsV1().Deployments(ns).Delete(ctx, "gc", metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica sets and pods of a deleted deployment collected", func(ctx context.Context) (bool, string, error) {
		rss, err := cluster.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=gc"})
		if err != nil {
			return false, "", err
		}
		pods, err := cluster.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=gc"})
		if err != nil {
			return false, "", err
		}
		return len(rss.Items) == 0 && len(pods.Items) == 0,
			fmt.Sprintf("%d replica sets, %d pods", len(rss.Items), len(pods.Items)), nil
	})

	// serviceaccount-token: a legacy token Secret gets its token filled in.
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}
	if _, err := cluster.Client.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "legacy token secret populated", func(ctx context.Context) (bool, string, error) {
		s, err := cluster.Client.CoreV1().Secrets(ns).Get(ctx, "legacy-token", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, "not found", nil
		}
		if err != nil {
			return false, "", err
		}
		return len(s.Data[corev1.ServiceAccountTokenKey]) > 0, fmt.Sprintf("%d data keys", len(s.Data)), nil
	})
}
