package main_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
)

// The Kubernetes end-to-end tests run the binary against a real control plane
// (kube-apiserver, controller manager and scheduler built from k8s.io/kubernetes, etcd 3.6,
// and kwok faking a node and pod lifecycles): Deployments really create ReplicaSets and
// pods, and rollbacks really roll. Pod labels pick a failure (scripts/kube/stages).

// deployment creates a Deployment of the given image and waits until it is rolled out.
func deployment(t *testing.T, ns, name, image string, progressDeadline int32) {
	t.Helper()
	deploymentMinReady(t, ns, name, image, progressDeadline, 0)
}

// deploymentMinReady is deployment with minReadySeconds: a pod counts as available that
// long after it is ready, so a rollout of 3 pods (one at a time) takes a few seconds.
func deploymentMinReady(t *testing.T, ns, name, image string, progressDeadline, minReady int32) {
	t.Helper()
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas:                ptr.To[int32](3),
			MinReadySeconds:         minReady,
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

// The rollout lines of the log: kubectl rollout status's words while the rollout goes on
// (kubePending, kubeKubectl), then the replicas once it is done (kubeDone).
var (
	kubePending = regexp.MustCompile(`(?m)^\+\S+ +… rollout +pending: (.*)$`)
	kubeKubectl = regexp.MustCompile(`^Waiting for deployment "api" rollout to finish: (\d out of 3 new replicas have been updated|\d old replicas are pending termination|\d of \d updated replicas are available)\.\.\.$|^Waiting for deployment spec update to be observed\.\.\.$`)
	kubeDone    = regexp.MustCompile(`(?m)^\+\S+ +✓ rollout +3/3 in `)
)

func TestKubernetes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		labels   map[string]string
		deadline int32
		minReady int32
		with     map[string]string
		// contextNamespace: the kubeconfig's context names the namespace and the namespace
		// input is left out (the runner passes its default, "default").
		contextNamespace bool
		wantExit         int
		wantStatus       string
		wantTrue         []string
		wantFalse        []string
		wantLog          []string
	}{
		// minReadySeconds makes the rollout last a few seconds, so the step sees it progress.
		{name: "healthy_rollout", minReady: 2, wantExit: 0, wantStatus: "healthy",
			wantFalse: []string{"unhealthy_pods", "restarts_exceeded", "resources_exceeded", "rolled_back"},
			wantLog:   []string{"::group::Rollout", "checkpoint 2s · 3 checks · 0 findings · healthy so far", "checkpoint 5s · 3 checks · 0 findings · healthy so far"}},
		{name: "healthy_rollout_in_the_context_namespace", contextNamespace: true, wantExit: 0, wantStatus: "healthy",
			wantFalse: []string{"unhealthy_pods", "restarts_exceeded", "rolled_back"}},
		// A container the kubelet holds in CrashLoopBackOff is in a restart loop: both signals.
		{name: "crash_looping_new_version", labels: map[string]string{"deploywatch.test/crashloop": "true"}, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"unhealthy_pods", "restarts_exceeded"}, wantFalse: []string{"rolled_back"},
			wantLog: []string{"CrashLoopBackOff", ", in a restart loop (CrashLoopBackOff; last exit 1: Error)"}},
		{name: "image_pull_failure", labels: map[string]string{"deploywatch.test/imagepull": "true"}, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"unhealthy_pods"}, wantFalse: []string{"restarts_exceeded"}, wantLog: []string{"ImagePull"}},
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
			deploymentMinReady(t, ns, "api", "registry.example/api:v1", deadline, tt.minReady)
			deploy(t, ns, "api", "registry.example/api:v2", tt.labels)
			with := kubeInputs(ns)
			if tt.contextNamespace {
				with["kubeconfig"] = string(kubeconfigInNamespace(t, ns))
				delete(with, "namespace")
			}
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
			for sig, want := range map[bool][]string{true: tt.wantTrue, false: tt.wantFalse} {
				for _, name := range want {
					if outs[name] != strconv.FormatBool(sig) {
						t.Errorf("%s = %q, want %t", name, outs[name], sig)
					}
				}
			}
			for _, want := range tt.wantLog {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if tt.wantStatus == "healthy" {
				checkRolloutProgress(t, log, s.report(), tt.minReady > 0)
			}
			noKubeconfigLeak(t, s, []byte(with["kubeconfig"]))
			if tt.wantStatus == "failed" {
				confirmed, started := firstFatal(t, s.report())
				t.Logf("failure confirmed %s after the start", confirmed.Sub(started).Round(time.Millisecond))
			}
		})
	}
}

// checkRolloutProgress checks the rollout phase of a healthy run: every progress line in
// kubectl's words (at least one when the rollout was slow enough to be seen going), then
// the rollout done with 3 of 3 replicas, and the check's last word kubectl's success line.
func checkRolloutProgress(t *testing.T, log string, rep map[string]any, wantProgress bool) {
	t.Helper()
	pending := kubePending.FindAllStringSubmatch(log, -1)
	for _, m := range pending {
		if !kubeKubectl.MatchString(m[1]) {
			t.Errorf("rollout progress not in kubectl's words: %q", m[1])
		}
	}
	if wantProgress && len(pending) == 0 {
		t.Errorf("no rollout progress in the log:\n%s", log)
	}
	if !kubeDone.MatchString(log) {
		t.Errorf("the log does not show the rollout done with 3/3:\n%s", log)
	}
	for _, c := range rep["checks"].([]any) {
		c := c.(map[string]any)
		if c["name"] != "rollout" {
			continue
		}
		last, _ := c["last"].(map[string]any)
		if last["message"] != `deployment "api" successfully rolled out` || last["value"] != "3/3" {
			t.Errorf("the rollout check's last measurement: %v", last)
		}
		return
	}
	t.Errorf("no rollout check in the report: %v", rep["checks"])
}

// kubeconfigInNamespace is the admin kubeconfig with its context in namespace ns.
func kubeconfigInNamespace(t *testing.T, ns string) []byte {
	t.Helper()
	cfg, err := clientcmd.Load(cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts[cfg.CurrentContext].Namespace = ns
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noKubeconfigLeak checks that no credential of kubeconfig (a client key, as its base64 in
// the file and as the PEM it decodes to, or a token) appears in the log outside the
// runner's mask commands, in the job summary, the step outputs or the JSON report.
func noKubeconfigLeak(t *testing.T, s *step, kubeconfig []byte) {
	t.Helper()
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	needles := []string{"client-key-data"}
	for name, u := range cfg.AuthInfos {
		if len(u.ClientKeyData) > 0 {
			pemHeader, _, _ := strings.Cut(string(u.ClientKeyData), "\n")
			if !strings.Contains(pemHeader, "PRIVATE KEY") {
				t.Fatalf("user %s: client key data does not start with a PEM header: %q", name, pemHeader)
			}
			body := strings.Split(strings.TrimSpace(string(u.ClientKeyData)), "\n")[1]
			needles = append(needles, base64.StdEncoding.EncodeToString(u.ClientKeyData), pemHeader, body)
		}
		if u.Token != "" {
			needles = append(needles, u.Token)
		}
	}
	if len(needles) == 1 {
		t.Fatal("the kubeconfig holds no credential to look for")
	}
	report, err := os.ReadFile(filepath.Join(s.workspace, "deploywatch-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	haystack := withoutMasks(s.stdout.String()) + s.summaryText() + readFile(s.output) + string(report)
	for _, n := range needles {
		if strings.Contains(haystack, n) {
			t.Errorf("the kubeconfig leaks: %.40q… found outside the mask commands", n)
		}
	}
}

// previousTemplate is the pod template of revision 1, as its ReplicaSet holds it, without
// the pod-template-hash label: what a rollback must restore.
func previousTemplate(t *testing.T, ns string) corev1.PodTemplateSpec {
	t.Helper()
	rss, err := cluster.Client.AppsV1().ReplicaSets(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app=api"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss.Items {
		if rs.Annotations["deployment.kubernetes.io/revision"] == "1" {
			tpl := *rs.Spec.Template.DeepCopy()
			delete(tpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
			return tpl
		}
	}
	t.Fatalf("no ReplicaSet of revision 1 among %d", len(rss.Items))
	return corev1.PodTemplateSpec{}
}

func TestKubernetesRollback(t *testing.T) {
	t.Parallel()
	ns := cluster.Namespace(t)
	deployment(t, ns, "api", "registry.example/api:v1", 600)
	deploy(t, ns, "api", "registry.example/api:v2", map[string]string{"deploywatch.test/crashloop": "true"})
	previous := previousTemplate(t, ns)
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
	// The Deployment runs the previous template again, all of it, and its pods are healthy.
	d, err := cluster.Client.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(previous, d.Spec.Template); diff != "" {
		t.Errorf("template after the rollback (-revision 1 +deployment):\n%s", diff)
	}
	waitRolledOut(t, ns, "api", "registry.example/api:v1")
	if sum := s.summaryText(); !strings.Contains(sum, "Rolled back deployment/api from revision 2 to 1; the previous version is healthy again") ||
		!strings.Contains(sum, "pods ready on revision 1 for 10s, with no restart") {
		t.Errorf("summary lacks the verified rollback:\n%s", sum)
	}
	noKubeconfigLeak(t, s, cluster.Kubeconfig)
}

// A dry run says what it would roll back and leaves the Deployment alone.
func TestKubernetesRollbackDryRun(t *testing.T) {
	t.Parallel()
	ns := cluster.Namespace(t)
	deployment(t, ns, "api", "registry.example/api:v1", 600)
	deploy(t, ns, "api", "registry.example/api:v2", map[string]string{"deploywatch.test/crashloop": "true"})
	before, err := cluster.Client.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	with := kubeInputs(ns)
	with["rollback"], with["dry_run"] = "true", "true"
	s := newStep(t, with)
	s.start()
	code := s.wait(2 * time.Minute)
	outs := s.outputs()
	// A dry run never fails the step.
	if code != 0 || outs["status"] != "failed" {
		t.Fatalf("exit %d status %q\n%s", code, outs["status"], s.stdout.String())
	}
	if outs["rolled_back"] != "false" || outs["rollback_from_revision"] != "2" || outs["rollback_to_revision"] != "1" {
		t.Errorf("rollback outputs: rolled_back %q from %q to %q", outs["rolled_back"], outs["rollback_from_revision"], outs["rollback_to_revision"])
	}
	after, err := cluster.Client.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Spec.Template, after.Spec.Template); diff != "" || after.Generation != before.Generation ||
		after.Annotations["deployment.kubernetes.io/revision"] != "2" {
		t.Errorf("a dry run changed the Deployment (generation %d → %d, revision %s):\n%s", before.Generation, after.Generation,
			after.Annotations["deployment.kubernetes.io/revision"], diff)
	}
	want := `dry run: deployment "api" would roll back from revision 2 to revision 1 (api=registry.example/api:v1)`
	if log := s.stdout.String(); !strings.Contains(log, "rollback: "+want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
	if sum := s.summaryText(); !strings.Contains(sum, "Dry run: deployment/api would be rolled back from revision 2 to 1") {
		t.Errorf("summary lacks the dry run:\n%s", sum)
	}
}

// kubePreflightError is the message of the preflight's error annotation, decoded.
func kubePreflightError(t *testing.T, log string) string {
	t.Helper()
	const prefix = "::error title=deploywatch%3A preflight failed::"
	for _, l := range strings.Split(log, "\n") {
		if msg, ok := strings.CutPrefix(l, prefix); ok {
			return strings.NewReplacer("%0A", "\n", "%0D", "\r", "%25", "%").Replace(msg)
		}
	}
	t.Fatalf("no preflight error annotation:\n%s", log)
	return ""
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
	// Exactly one line per missing permission: everything the features in use (rollout,
	// pods, rollback; no log pattern) need beyond "get deployments".
	in := " in namespace " + ns + " ("
	want := []string{
		"cannot list deployments.apps" + in, "cannot watch deployments.apps" + in, "cannot list pods" + in,
		"cannot list replicasets.apps" + in, "cannot list events" + in, "cannot patch deployments.apps" + in,
	}
	msg := kubePreflightError(t, s.stdout.String())
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		if strings.Contains(l, "cannot ") {
			lines = append(lines, l)
		}
	}
	seen := map[string]int{}
	for _, l := range lines {
		n := 0
		for _, w := range want {
			if strings.HasPrefix(l, w) {
				seen[w]++
				n++
			}
		}
		if n != 1 || strings.Count(l, "cannot ") != 1 {
			t.Errorf("line %q is not one expected missing permission", l)
		}
	}
	for _, w := range want {
		if seen[w] != 1 {
			t.Errorf("%q is reported on %d lines, want 1", w, seen[w])
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d lines of missing permissions, want %d:\n%s", len(lines), len(want), msg)
	}
	if !strings.Contains(outs["summary"], "cannot list deployments.apps in namespace "+ns) {
		t.Errorf("the summary output does not say what is missing: %q", outs["summary"])
	}
	noKubeconfigLeak(t, s, kc)
}
