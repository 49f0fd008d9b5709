package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

// The Kubernetes end-to-end tests run the binary against a real control plane
// (kube-apiserver, controller manager and scheduler built from k8s.io/kubernetes, etcd 3.6,
// and kwok faking a node and pod lifecycles): Deployments really create ReplicaSets and
// pods, and rollbacks really roll. Pod labels pick a failure (scripts/kube/stages).

// deployment creates a Deployment of the given image and waits until it is rolled out.
func deployment(t *testing.T, ns, name, image string, progressDeadline int32) {
	t.Helper()
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas:                ptr.To[int32](3),
			ProgressDeadlineSeconds: ptr.To(progressDeadline),
			Selector:                &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: image}}},
			},
		},
	}
	if _, err := cluster.Client.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, ns, name, image)
}

func waitRolledOut(t *testing.T, ns, name, image string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		d, err := cluster.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st := d.Status
		return d.Spec.Template.Spec.Containers[0].Image == image && st.ObservedGeneration >= d.Generation &&
			st.UpdatedReplicas == 3 && st.AvailableReplicas == 3 && st.Replicas == 3, nil
	})
	if err != nil {
		t.Fatalf("deployment %s/%s did not roll out %s: %v", ns, name, image, err)
	}
}

// deploy is the deploy under test: a new image, with pod labels that pick its behaviour.
func deploy(t *testing.T, ns, name, image string, podLabels map[string]string) {
	t.Helper()
	d, err := cluster.Client.AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = image
	for k, v := range podLabels {
		d.Spec.Template.Labels[k] = v
	}
	if _, err := cluster.Client.AppsV1().Deployments(ns).Update(t.Context(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func kubeInputs(ns string) map[string]string {
	return map[string]string{
		"kubeconfig": string(cluster.Kubeconfig), "deployment": "api", "namespace": ns,
		"schedule": "2s,5s", "interval": "1s", "cooldown": "1s", "rollout_timeout": "1m",
	}
}

func TestKubernetes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		labels     map[string]string
		deadline   int32
		with       map[string]string
		wantExit   int
		wantStatus string
		wantTrue   []string
		wantLog    []string
	}{
		{name: "healthy_rollout", wantExit: 0, wantStatus: "healthy",
			wantLog: []string{"::group::Rollout", "rollout"}},
		{name: "crash_looping_new_version", labels: map[string]string{"deploywatch.test/crashloop": "true"}, wantExit: 1, wantStatus: "failed",
			wantLog: []string{"CrashLoopBackOff"}},
		{name: "image_pull_failure", labels: map[string]string{"deploywatch.test/imagepull": "true"}, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"unhealthy_pods"}, wantLog: []string{"ImagePull"}},
		{name: "progress_deadline_exceeded", labels: map[string]string{"deploywatch.test/unready": "true"}, deadline: 3,
			wantExit: 1, wantStatus: "failed", wantTrue: []string{"unhealthy_pods"}, wantLog: []string{"exceeded its progress deadline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ns := cluster.Namespace(t)
			deadline := tt.deadline
			if deadline == 0 {
				deadline = 600
			}
			deployment(t, ns, "api", "registry.example/api:v1", deadline)
			deploy(t, ns, "api", "registry.example/api:v2", tt.labels)
			with := kubeInputs(ns)
			for k, v := range tt.with {
				with[k] = v
			}
			s := newStep(t, with)
			s.start()
			code := s.wait(90 * time.Second)
			log := s.stdout.String()
			outs := s.outputs()
			if code != tt.wantExit || outs["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q; summary %q\n%s", code, outs["status"], tt.wantExit, tt.wantStatus, outs["summary"], log)
			}
			for _, sig := range tt.wantTrue {
				if outs[sig] != "true" {
					t.Errorf("%s = %q, want true", sig, outs[sig])
				}
			}
			if tt.name == "crash_looping_new_version" && outs["unhealthy_pods"] != "true" && outs["restarts_exceeded"] != "true" {
				t.Errorf("a crash loop set neither unhealthy_pods nor restarts_exceeded: %v", outs)
			}
			for _, want := range tt.wantLog {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if strings.Contains(withoutMasks(log)+s.summaryText()+readFile(s.output), "BEGIN RSA PRIVATE KEY") ||
				strings.Contains(withoutMasks(log), "client-key-data") {
				t.Error("the kubeconfig leaks")
			}
			if tt.wantStatus == "failed" {
				confirmed, started := firstFatal(t, s.report())
				t.Logf("failure confirmed %s after the start", confirmed.Sub(started).Round(time.Millisecond))
			}
		})
	}
}

func TestKubernetesRollback(t *testing.T) {
	t.Parallel()
	ns := cluster.Namespace(t)
	deployment(t, ns, "api", "registry.example/api:v1", 600)
	deploy(t, ns, "api", "registry.example/api:v2", map[string]string{"deploywatch.test/crashloop": "true"})
	with := kubeInputs(ns)
	with["rollback"] = "true"
	s := newStep(t, with)
	s.start()
	code := s.wait(2 * time.Minute)
	outs := s.outputs()
	if code != 1 || outs["status"] != "failed" {
		t.Fatalf("exit %d status %q\n%s", code, outs["status"], s.stdout.String())
	}
	if outs["rolled_back"] != "true" || outs["rollback_from_revision"] != "2" || outs["rollback_to_revision"] != "1" {
		t.Fatalf("rollback outputs: rolled_back %q from %q to %q\n%s", outs["rolled_back"], outs["rollback_from_revision"], outs["rollback_to_revision"], s.stdout.String())
	}
	// The Deployment runs the previous template again, and its pods are healthy.
	d, err := cluster.Client.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.example/api:v1" || d.Spec.Template.Labels["deploywatch.test/crashloop"] != "" {
		t.Errorf("template after the rollback: image %s labels %v", img, d.Spec.Template.Labels)
	}
	waitRolledOut(t, ns, "api", "registry.example/api:v1")
	if sum := s.summaryText(); !strings.Contains(sum, "Rolled back deployment/api from revision 2 to 1; the previous version is healthy again") {
		t.Errorf("summary lacks the rollback:\n%s", sum)
	}
}

func TestKubernetesPreflightMissingPermissions(t *testing.T) {
	t.Parallel()
	ns := cluster.Namespace(t)
	deployment(t, ns, "api", "registry.example/api:v1", 600)
	// A ServiceAccount that may only get the Deployment: too small a Role.
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "too-small", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get"}}}}
	if _, err := cluster.Client.RbacV1().Roles(ns).Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := cluster.ServiceAccountKubeconfig(t, ns, "deployer")
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "too-small", Namespace: ns},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "too-small"}}
	if _, err := cluster.Client.RbacV1().RoleBindings(ns).Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	with := kubeInputs(ns)
	with["kubeconfig"], with["rollback"] = string(kc), "true"
	s := newStep(t, with)
	s.start()
	code := s.wait(60 * time.Second)
	outs := s.outputs()
	if code != 3 || outs["status"] != "inconclusive" {
		t.Fatalf("exit %d status %q\n%s", code, outs["status"], s.stdout.String())
	}
	for _, want := range []string{"cannot watch deployments.apps in namespace " + ns, "cannot list pods", "cannot patch deployments.apps"} {
		if !strings.Contains(outs["summary"]+s.stdout.String(), want) {
			t.Errorf("the preflight does not say %q:\n%s", want, s.stdout.String())
		}
	}
}
