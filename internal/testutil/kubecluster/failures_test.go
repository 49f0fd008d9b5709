package kubecluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// observation accumulates what a test saw of a failing pod across polls: a crash loop
// shows its states one after another, never all at once.
type observation struct {
	sawBackOff  bool  // waiting CrashLoopBackOff with the expected lastState
	maxRestarts int32 // highest restartCount seen
}

// describe summarizes a pod's first container for failure messages.
func describe(p *corev1.Pod) string {
	if len(p.Status.ContainerStatuses) == 0 {
		return fmt.Sprintf("%s: phase %s, no container status", p.Name, p.Status.Phase)
	}
	cs := p.Status.ContainerStatuses[0]
	state := "?"
	switch s := cs.State; {
	case s.Waiting != nil:
		state = "waiting " + s.Waiting.Reason
	case s.Running != nil:
		state = "running"
	case s.Terminated != nil:
		state = fmt.Sprintf("terminated %s (%d)", s.Terminated.Reason, s.Terminated.ExitCode)
	}
	last := ""
	if t := cs.LastTerminationState.Terminated; t != nil {
		last = fmt.Sprintf(", last terminated %s (%d)", t.Reason, t.ExitCode)
	}
	return fmt.Sprintf("%s: phase %s, ready %v, %s, restarts %d%s", p.Name, p.Status.Phase, podReady(p), state, cs.RestartCount, last)
}

// crashLoop checks a crash-looping pod: never Ready; done once it was seen backing off
// (for the given back-off) after an exit with the given reason and code, and restarted at
// least minRestarts times.
func crashLoop(reason string, code int32, backoff string, minRestarts int32) func(*corev1.Pod, *observation) (bool, error) {
	return func(p *corev1.Pod, o *observation) (bool, error) {
		if podReady(p) {
			return false, fmt.Errorf("crash-looping pod became Ready: %s", describe(p))
		}
		if len(p.Status.ContainerStatuses) == 0 {
			return false, nil
		}
		cs := p.Status.ContainerStatuses[0]
		if cs.RestartCount < o.maxRestarts {
			return false, fmt.Errorf("restartCount went down from %d: %s", o.maxRestarts, describe(p))
		}
		o.maxRestarts = cs.RestartCount
		if w := cs.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
			last := cs.LastTerminationState.Terminated
			if last == nil || last.Reason != reason || last.ExitCode != code {
				return false, fmt.Errorf("backing off after the wrong exit: %s", describe(p))
			}
			if !strings.HasPrefix(w.Message, "back-off "+backoff+" restarting failed container=app pod="+p.Name) {
				return false, fmt.Errorf("back-off message %q, want back-off %s for container app of %s", w.Message, backoff, p.Name)
			}
			o.sawBackOff = true
		}
		return o.sawBackOff && o.maxRestarts >= minRestarts, nil
	}
}

// steady checks the state a failing pod must reach and keep.
func steady(phase corev1.PodPhase, waitingReason string, running bool) func(*corev1.Pod, *observation) (bool, error) {
	return func(p *corev1.Pod, _ *observation) (bool, error) {
		if podReady(p) {
			return false, fmt.Errorf("pod became Ready: %s", describe(p))
		}
		if len(p.Status.ContainerStatuses) == 0 || p.Status.Phase != phase {
			return false, nil
		}
		cs := p.Status.ContainerStatuses[0]
		if cs.RestartCount != 0 {
			return false, fmt.Errorf("restarted: %s", describe(p))
		}
		if running {
			return cs.State.Running != nil && !cs.Ready, nil
		}
		return cs.State.Waiting != nil && cs.State.Waiting.Reason == waitingReason, nil
	}
}

func TestFailureStages(t *testing.T) {
	t.Parallel()
	fast := map[string]string{"deploywatch.test/run": "200ms", "deploywatch.test/backoff": "300ms"}
	tests := []struct {
		name        string
		label       string
		annotations map[string]string
		check       func(*corev1.Pod, *observation) (bool, error)
		// recheck: the final state must hold; checked again after another pod got Ready.
		recheck bool
		event   string // reason of a Warning event the fake kubelet records for the pod
	}{
		{"crash_loop", "deploywatch.test/crashloop", nil, crashLoop("Error", 1, "1s", 2), false, "BackOff"},
		{"crash_loop_faster", "deploywatch.test/crashloop", fast, crashLoop("Error", 1, "300ms", 3), false, "BackOff"},
		{"out_of_memory", "deploywatch.test/oom", nil, crashLoop("OOMKilled", 137, "1s", 1), false, "BackOff"},
		{"image_pull", "deploywatch.test/imagepull", nil, steady(corev1.PodPending, "ImagePullBackOff", false), true, "Failed"},
		{"never_ready", "deploywatch.test/unready", nil, steady(corev1.PodRunning, "", true), true, "Unhealthy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			ns := cluster.Namespace(t)
			d := deployment("app", 1, "example.invalid/app:1", map[string]string{tc.label: "true"})
			d.Spec.Template.Annotations = tc.annotations
			if _, err := cluster.Client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			var o observation
			check := func(ctx context.Context) (bool, string, error) {
				pods, err := listPods(ctx, ns, "app")
				if err != nil || len(pods) == 0 {
					return false, fmt.Sprintf("no pod yet (%v)", err), nil
				}
				if len(pods) > 1 {
					return false, "", fmt.Errorf("%d pods, want the one pod kept (not replaced)", len(pods))
				}
				done, err := tc.check(&pods[0], &o)
				return done, describe(&pods[0]), err
			}
			eventually(t, tc.label+" pod state", check)
			eventually(t, "Warning event "+tc.event, func(ctx context.Context) (bool, string, error) {
				evs, err := cluster.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
				if err != nil {
					return false, "", err
				}
				var seen []string
				for _, e := range evs.Items {
					if e.InvolvedObject.Kind == "Pod" && e.Reason == tc.event {
						return true, "", nil
					}
					seen = append(seen, e.Reason)
				}
				return false, fmt.Sprint("warnings: ", seen), nil
			})
			if tc.recheck {
				recheck(t, ns, tc.label, check)
			}
			// A stage that matched but could not apply (kwok logs and retries it) must not
			// be what keeps the pod in its state.
			pods, err := listPods(ctx, ns, "app")
			if err != nil || len(pods) != 1 {
				t.Fatalf("pods: %d, %v", len(pods), err)
			}
			if errs := kwokErrors(t, ns+"/"+pods[0].Name); len(errs) > 0 {
				t.Errorf("kwok failed on the pod:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

// recheck checks that a failing pod keeps its state once kwok has had time to move it,
// and that its Deployment counts it unavailable. kwok handles pods in the order their
// changes arrive: once a pod created later is Ready, a stage that could still have moved
// the failing pod has had its turn.
func recheck(t *testing.T, ns, label string, check func(context.Context) (bool, string, error)) {
	t.Helper()
	ctx := t.Context()
	probe := deployment("probe", 1, "example.invalid/probe:1", nil)
	if _, err := cluster.Client.AppsV1().Deployments(ns).Create(ctx, probe, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, ns, "probe")
	if done, state, err := check(ctx); !done || err != nil {
		t.Errorf("%s pod left its state: %s (%v)", label, state, err)
	}
	dep, err := cluster.Client.AppsV1().Deployments(ns).Get(ctx, "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.AvailableReplicas != 0 || dep.Status.UnavailableReplicas != 1 {
		t.Errorf("deployment available %d unavailable %d, want 0 and 1",
			dep.Status.AvailableReplicas, dep.Status.UnavailableReplicas)
	}
}

// kwokErrors returns the error lines of the shared cluster's kwok log about a pod.
func kwokErrors(t *testing.T, pod string) []string {
	t.Helper()
	for _, p := range cluster.procs {
		if p.name != "kwok" {
			continue
		}
		data, err := os.ReadFile(p.logPath)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) && strings.Contains(line, `"pod":"`+pod+`"`) {
				out = append(out, line)
			}
		}
		return out
	}
	t.Fatal("no kwok process")
	return nil
}
