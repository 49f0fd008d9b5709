package kube

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// fxReadyPod is a healthy new pod created at created.
func fxReadyPod(name string, created time.Time, cs ...ContainerState) PodState {
	if len(cs) == 0 {
		cs = []ContainerState{{Name: "api", Ready: true, Running: true}}
	}
	return PodState{Name: name, Phase: corev1.PodRunning, Ready: true, Created: created, Containers: cs}
}

// fxStuckPod is a new pod, not ready, whose api container is in state c.
func fxStuckPod(name string, c ContainerState) PodState {
	c.Name = "api"
	return PodState{Name: name, Phase: corev1.PodRunning, Created: fxAfter, Containers: []ContainerState{c}}
}

func TestIssuesFatalReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    ContainerState
		want Issue
	}{
		{"crash_loop", ContainerState{Waiting: "CrashLoopBackOff", Restarts: 4, LastTerminated: "Error", ExitCode: 1, Message: "panic: nil map"},
			Issue{"api-x", "api", "CrashLoopBackOff", `pod api-x: container api in CrashLoopBackOff (restarted 4 times since the start; last exit 1: "panic: nil map")`, true}},
		{"crash_loop_of_oom_kills", ContainerState{Waiting: "CrashLoopBackOff", Restarts: 1, LastTerminated: "OOMKilled", ExitCode: 137, MemoryLimit: 256 << 20},
			Issue{"api-x", "api", "CrashLoopBackOff", `pod api-x: container api in CrashLoopBackOff (restarted 1 time since the start; last exit 137 (OOMKilled); memory limit 256Mi)`, true}},
		{"image_pull_backoff", ContainerState{Waiting: "ImagePullBackOff", Message: `Back-off pulling image "shop/api:v9"`},
			Issue{"api-x", "api", "ImagePullBackOff", `pod api-x: container api in ImagePullBackOff ("Back-off pulling image \"shop/api:v9\"")`, true}},
		{"err_image_pull", ContainerState{Waiting: "ErrImagePull", Message: "manifest unknown"},
			Issue{"api-x", "api", "ErrImagePull", `pod api-x: container api in ErrImagePull ("manifest unknown")`, true}},
		{"invalid_image_name", ContainerState{Waiting: "InvalidImageName"},
			Issue{"api-x", "api", "InvalidImageName", `pod api-x: container api in InvalidImageName`, true}},
		{"create_container_config_error", ContainerState{Waiting: "CreateContainerConfigError", Message: `secret "db-pass" not found`},
			Issue{"api-x", "api", "CreateContainerConfigError", `pod api-x: container api in CreateContainerConfigError ("secret \"db-pass\" not found")`, true}},
		{"create_container_error", ContainerState{Waiting: "CreateContainerError", Message: "no command specified"},
			Issue{"api-x", "api", "CreateContainerError", `pod api-x: container api in CreateContainerError ("no command specified")`, true}},
		{"oom_killed_then_running", ContainerState{Running: true, Restarts: 1, LastTerminated: "OOMKilled", ExitCode: 137, MemoryLimit: 1.5 * (1 << 30)},
			Issue{"api-x", "api", "OOMKilled", `pod api-x: container api OOMKilled (restarted 1 time since the start; last exit 137 (OOMKilled); memory limit 1.5Gi)`, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := PodReport{New: []PodState{fxStuckPod("api-x", tt.c), fxReadyPod("api-y", fxAfter)}}
			// Fatal reasons count during the rollout and inside the grace.
			got := Issues(r, false, time.Hour, fxAfter.Add(time.Second))
			if diff := cmp.Diff([]Issue{tt.want}, got); diff != "" {
				t.Errorf("Issues (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIssuesNotReady(t *testing.T) {
	t.Parallel()
	grace := time.Minute
	slow := fxStuckPod("api-slow", ContainerState{Running: true})
	starting := fxStuckPod("api-new", ContainerState{Waiting: "ContainerCreating"})
	starting.Phase, starting.Created = corev1.PodPending, fxAfter.Add(90*time.Second)
	unscheduled := PodState{Name: "api-pending", Phase: corev1.PodPending, Created: fxAfter, Reason: "Unschedulable",
		Message: "0/3 nodes are available", Containers: []ContainerState{{Name: "api"}}}
	going := fxStuckPod("api-old", ContainerState{Running: true})
	going.Terminating = true
	evicted := fxReadyPod("api-ev", fxAfter)
	evicted.Phase, evicted.Reason, evicted.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
	// Ready until 20s ago: a flap shorter than the grace is no issue.
	flapping := fxStuckPod("api-flap", ContainerState{Running: true})
	flapping.ReadyChanged = fxAfter.Add(100 * time.Second)
	r := PodReport{New: []PodState{slow, starting, unscheduled, going, evicted, flapping, fxReadyPod("api-ok", fxAfter)}}
	now := fxAfter.Add(2 * time.Minute)
	fatal := Issue{"api-ev", "", "Evicted", `pod api-ev: failed (Evicted: "The node was low on resource: memory.")`, true}
	tests := []struct {
		name        string
		rolloutDone bool
		grace       time.Duration
		want        []Issue
	}{
		{"during_the_rollout", false, grace, []Issue{fatal}},
		{"after_the_rollout", true, grace, []Issue{fatal,
			{"api-slow", "api", "NotReady", "pod api-slow: not ready for 2m0s (container api not ready)", false},
			{"api-pending", "", "Unschedulable", `pod api-pending: not scheduled for 2m0s: "0/3 nodes are available"`, false},
		}},
		{"after_the_rollout_without_grace", true, 0, []Issue{fatal,
			{"api-slow", "api", "NotReady", "pod api-slow: not ready for 2m0s (container api not ready)", false},
			{"api-new", "api", "NotReady", "pod api-new: not ready for 30s (phase Pending; container api waiting: ContainerCreating)", false},
			{"api-pending", "", "Unschedulable", `pod api-pending: not scheduled for 2m0s: "0/3 nodes are available"`, false},
			{"api-flap", "api", "NotReady", "pod api-flap: not ready for 20s (container api not ready)", false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Issues(r, tt.rolloutDone, tt.grace, now)); diff != "" {
				t.Errorf("Issues (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIssuesInitContainer(t *testing.T) {
	t.Parallel()
	p := fxStuckPod("api-x", ContainerState{Waiting: "PodInitializing"})
	p.Containers = append([]ContainerState{{Name: "migrate", Init: true, Waiting: "CrashLoopBackOff", Restarts: 3,
		LastTerminated: "Error", ExitCode: 2, Message: "relation users does not exist"}}, p.Containers...)
	want := []Issue{{"api-x", "migrate", "CrashLoopBackOff",
		`pod api-x: init container migrate in CrashLoopBackOff (restarted 3 times since the start; last exit 2: "relation users does not exist")`, true}}
	if diff := cmp.Diff(want, Issues(PodReport{New: []PodState{p}}, true, 0, fxAfter.Add(time.Hour))); diff != "" {
		t.Errorf("Issues (-want +got):\n%s", diff)
	}
}

func TestRestarts(t *testing.T) {
	t.Parallel()
	r := PodReport{
		New: []PodState{
			fxReadyPod("api-a", fxAfter, ContainerState{Name: "api", Restarts: 3, LastTerminated: "Error", ExitCode: 1},
				ContainerState{Name: "sidecar", Restarts: 2}),
			fxReadyPod("api-b", fxAfter, ContainerState{Name: "api", Restarts: 7, LastTerminated: "OOMKilled", ExitCode: 137}),
			fxReadyPod("api-c", fxAfter, ContainerState{Name: "api", Restarts: 3}),
			// Held in CrashLoopBackOff before its first restart since the start: a loop.
			fxReadyPod("api-d", fxAfter, ContainerState{Name: "api", Waiting: "CrashLoopBackOff", LastTerminated: "Error", ExitCode: 1}),
		},
		Old: []PodState{fxReadyPod("api-old", fxBefore, ContainerState{Name: "api", Restarts: 50})},
	}
	tests := []struct {
		name string
		max  int32
		want []ContainerRestart
	}{
		{"over_two", 2, []ContainerRestart{
			{Pod: "api-b", Container: "api", Restarts: 7, LastReason: "OOMKilled", ExitCode: 137},
			{Pod: "api-a", Container: "api", Restarts: 3, LastReason: "Error", ExitCode: 1},
			{Pod: "api-c", Container: "api", Restarts: 3},
			{Pod: "api-d", Container: "api", LastReason: "Error", ExitCode: 1, Looping: true},
		}},
		{"over_seven", 7, []ContainerRestart{
			{Pod: "api-d", Container: "api", LastReason: "Error", ExitCode: 1, Looping: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Restarts(r, tt.max)); diff != "" {
				t.Errorf("Restarts (-want +got):\n%s", diff)
			}
		})
	}
}
