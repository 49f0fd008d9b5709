package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPreviousSame(t *testing.T) {
	t.Parallel()
	crashing := func(name string, restarts int32) PodState {
		return PodState{Name: name, Phase: corev1.PodRunning, Containers: []ContainerState{
			{Name: "api", Restarts: restarts, Waiting: ReasonCrashLoop, LastTerminated: "Error", ExitCode: 1}}}
	}
	healthy := func(name string) PodState {
		return PodState{Name: name, Phase: corev1.PodRunning, Ready: true, Containers: []ContainerState{{Name: "api", Ready: true, Running: true}}}
	}
	notReady := PodState{Name: "old-nr", Phase: corev1.PodRunning, Containers: []ContainerState{{Name: "api", Running: true}}}
	leaving := notReady
	leaving.Name, leaving.Terminating = "old-leaving", true
	oom := PodState{Name: "old-oom", Phase: corev1.PodRunning, Ready: true, Containers: []ContainerState{
		{Name: "api", Ready: true, Running: true, Restarts: 1, LastTerminated: ReasonOOMKilled, ExitCode: 137}}}
	evicted := PodState{Name: "old-ev", Phase: corev1.PodFailed, Reason: ReasonEvicted}
	restarted := healthy("old-r")
	restarted.Containers[0].Restarts = 3

	crashLoop := Issue{Pod: "new-a", Container: "api", Reason: ReasonCrashLoop, Fatal: true}
	tests := []struct {
		name  string
		old   []PodState
		issue Issue
		want  string
	}{
		{"old_pods_crash_loop_too", []PodState{crashing("old-a", 3), healthy("old-b")}, crashLoop,
			"the previous version had the same: container api in CrashLoopBackOff on 1 of 2 old pods, 3 restarts"},
		{"old_pods_only_restarted", []PodState{restarted, healthy("old-b")}, crashLoop,
			"the previous version had the same: 3 restarts"},
		{"old_pods_healthy", []PodState{healthy("old-a"), healthy("old-b")}, crashLoop, ""},
		{"no_old_pods", nil, crashLoop, ""},
		{"another_container_crashes", []PodState{crashing("old-a", 2)}, Issue{Pod: "new-a", Container: "proxy", Reason: ReasonCrashLoop}, ""},
		{"not_ready_too", []PodState{notReady, leaving, healthy("old-b")}, Issue{Pod: "new-a", Container: "api", Reason: ReasonNotReady},
			"the previous version had the same: not ready on 1 of 3 old pods"},
		{"terminating_old_pods_do_not_count", []PodState{leaving}, Issue{Pod: "new-a", Container: "api", Reason: ReasonNotReady}, ""},
		{"oom_too", []PodState{oom}, Issue{Pod: "new-a", Container: "api", Reason: ReasonOOMKilled},
			"the previous version had the same: container api OOMKilled on 1 of 1 old pods, 1 restart"},
		{"evicted_too", []PodState{evicted, healthy("old-b")}, Issue{Pod: "new-a", Reason: ReasonEvicted},
			"the previous version had the same: Evicted on 1 of 2 old pods"},
		// Restarts are no evidence of an image that cannot be pulled.
		{"restarts_do_not_explain_a_pull_failure", []PodState{restarted}, Issue{Pod: "new-a", Container: "api", Reason: "ImagePullBackOff"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (PodReport{Old: tt.old}).PreviousSame(tt.issue); got != tt.want {
				t.Errorf("PreviousSame = %q, want %q", got, tt.want)
			}
		})
	}
}
