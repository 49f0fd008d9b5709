package kubecluster

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cluster is shared by the package's tests; TestStopLeavesNoProcess starts its own.
var cluster *Cluster

func TestMain(m *testing.M) {
	c, stop := StartMain(m)
	cluster = c
	code := m.Run()
	stop()
	os.Exit(code)
}

// waitLimit bounds every wait on the cluster. Things take about a second; the margin is
// for a loaded CI machine.
const waitLimit = 60 * time.Second

// eventually calls cond every 100 ms until it reports done, failing the test with the last
// state it described when waitLimit passes or cond returns an error.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (done bool, state string, err error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	state := "(nothing observed)"
	for {
		done, s, err := cond(ctx)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s != "" {
			state = s
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %s; last state: %s", what, waitLimit, state)
		case <-tick.C:
		}
	}
}

// deployment is a Deployment of one container whose pods carry app=name plus podLabels.
// The image is never pulled: kwok fakes the kubelet.
func deployment(name string, replicas int32, image string, podLabels map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	for k, v := range podLabels {
		labels[k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
}

func TestAdminAccessAndFakeNode(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	file, err := os.ReadFile(cluster.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(cluster.Kubeconfig), string(file)); diff != "" {
		t.Errorf("kubeconfig file differs from Kubeconfig (-want +got):\n%s", diff)
	}
	v, err := cluster.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{v.GitVersion, v.Major, v.Minor}; !cmp.Equal(got, []string{"v1.36.3", "1", "36"}) {
		t.Errorf("server version = %v, want v1.36.3 1 36 (the build's ldflags)", got)
	}
	who, err := whoAmI(ctx, cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	if who.Username != "admin" || !contains(who.Groups, "system:masters") {
		t.Errorf("admin identity = %q %v, want admin in system:masters", who.Username, who.Groups)
	}
	node, err := cluster.Client.CoreV1().Nodes().Get(ctx, cluster.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourcePods} {
		q := node.Status.Allocatable[r]
		got[string(r)] = q.String()
	}
	if diff := cmp.Diff(map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"}, got); diff != "" {
		t.Errorf("node allocatable (-want +got):\n%s", diff)
	}
	if !nodeReady(node) {
		t.Errorf("node %s is not Ready: %v", node.Name, node.Status.Conditions)
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestStopLeavesNoProcess(t *testing.T) {
	t.Parallel()
	c := Start(t)
	pids := c.pids()
	if got := len(pids); got != len(binaries) {
		t.Fatalf("%d processes, want %d: %v", got, len(binaries), pids)
	}
	for name, pid := range pids {
		if err := syscall.Kill(pid, 0); err != nil {
			t.Fatalf("%s (pid %d) not running before Stop: %v", name, pid, err)
		}
	}
	c.Stop()
	for name, pid := range pids {
		// Stop waited for each process, so its PID is released: signal 0 must find nothing.
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) after Stop: kill -0 = %v, want ESRCH", name, pid, err)
		}
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary dir %s after Stop: %v, want it removed", c.dir, err)
	}
	c.Stop() // a second Stop (and the one of t.Cleanup) is a no-op
}
