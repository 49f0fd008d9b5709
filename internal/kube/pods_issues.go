package kube

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Reasons Issues reports besides the kubelet's waiting reasons.
const (
	ReasonOOMKilled     = "OOMKilled"
	ReasonNotReady      = "NotReady"
	ReasonUnschedulable = "Unschedulable"
	ReasonEvicted       = "Evicted"
)

// fatalWaiting are the waiting reasons that never resolve on their own: the container will
// not run until someone changes the image, the config or the code.
var fatalWaiting = map[string]bool{
	ReasonCrashLoop:              true,
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"ErrImageNeverPull":          true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// Issue is one problem of one pod of the new version.
type Issue struct {
	// Pod names the pod; Container the container, empty for a pod-level problem.
	Pod, Container string
	// Reason is CrashLoopBackOff, ImagePullBackOff, OOMKilled, Evicted, NotReady, ...
	Reason string
	// Message explains it in one line, e.g. `pod api-7d9f-x2k: container api in
	// CrashLoopBackOff (restarted 4 times since the start; last exit 1: "panic: nil map")`.
	Message string
	// Fatal reports a problem that persists by nature (a waiting reason, an OOM kill, an
	// eviction), reported at once; the others (not ready) wait for the rollout and a grace.
	Fatal bool
}

// Issues judges the new pods, one Issue per problem, fatal ones first. Fatal reasons (a
// crash loop, an image that cannot be pulled, a container config error, an OOM kill as the
// last termination, a failed or evicted pod) count at once. A pod not ready or not running
// counts only once the rollout is done (the caller says so with rolloutDone) and when it
// has been so for grace (since its creation or since it last became not ready): pods just
// created are allowed to start, and a brief flap is no issue. Terminating pods are going
// away and are only judged on fatal reasons.
func Issues(r PodReport, rolloutDone bool, grace time.Duration, now time.Time) []Issue {
	var fatal, slow []Issue
	for _, pod := range r.New {
		before := len(fatal)
		if pod.Phase == corev1.PodFailed {
			fatal = append(fatal, failedPod(pod))
		}
		for _, c := range pod.Containers {
			if is, ok := containerIssue(pod, c); ok {
				fatal = append(fatal, is)
			}
		}
		// A pod not ready for less than grace may still be starting, or be a blip.
		since := pod.Created
		if pod.ReadyChanged.After(since) {
			since = pod.ReadyChanged
		}
		if len(fatal) > before || !rolloutDone || pod.Terminating || pod.Ready ||
			pod.Phase == corev1.PodSucceeded || now.Sub(since) < grace {
			continue
		}
		slow = append(slow, notReady(pod, now.Sub(since)))
	}
	return append(fatal, slow...)
}

// containerIssue reports a container stuck on a fatal reason.
func containerIssue(pod PodState, c ContainerState) (Issue, bool) {
	is := Issue{Pod: pod.Name, Container: c.Name, Fatal: true}
	what := "container " + c.Name
	if c.Init {
		what = "init container " + c.Name
	}
	switch {
	case fatalWaiting[c.Waiting]:
		is.Reason = c.Waiting
		is.Message = fmt.Sprintf("pod %s: %s in %s%s", pod.Name, what, c.Waiting, containerDetail(c))
	case c.LastTerminated == ReasonOOMKilled:
		is.Reason = ReasonOOMKilled
		is.Message = fmt.Sprintf("pod %s: %s OOMKilled%s", pod.Name, what, containerDetail(c))
	default:
		return Issue{}, false
	}
	return is, true
}

// containerDetail explains a container's trouble: restarts, last exit and its message, or
// the waiting message; the memory limit when it was killed for memory.
func containerDetail(c ContainerState) string {
	var parts []string
	if c.Restarts > 0 {
		parts = append(parts, fmt.Sprintf("restarted %d %s since the start", c.Restarts, timesWord(c.Restarts)))
	}
	if c.LastTerminated != "" {
		exit := fmt.Sprintf("last exit %d", c.ExitCode)
		if c.LastTerminated != "Error" {
			exit += " (" + c.LastTerminated + ")"
		}
		if c.Message != "" {
			exit += fmt.Sprintf(": %q", c.Message)
		}
		parts = append(parts, exit)
		if c.LastTerminated == ReasonOOMKilled && c.MemoryLimit > 0 {
			parts = append(parts, "memory limit "+FormatMemory(c.MemoryLimit))
		}
	} else if c.Message != "" {
		parts = append(parts, fmt.Sprintf("%q", c.Message))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// failedPod explains a pod that failed as a whole (evicted, most often).
func failedPod(pod PodState) Issue {
	is := Issue{Pod: pod.Name, Reason: pod.Reason, Fatal: true, Message: fmt.Sprintf("pod %s: failed", pod.Name)}
	var why []string
	if pod.Reason != "Failed" {
		why = append(why, pod.Reason)
	}
	if pod.Message != "" {
		why = append(why, fmt.Sprintf("%q", pod.Message))
	}
	if len(why) > 0 {
		is.Message += " (" + strings.Join(why, ": ") + ")"
	}
	return is
}

// notReady explains a pod that should be ready by now.
func notReady(pod PodState, d time.Duration) Issue {
	d = d.Round(time.Second)
	is := Issue{Pod: pod.Name, Reason: ReasonNotReady}
	if pod.Reason == ReasonUnschedulable {
		is.Reason = ReasonUnschedulable
		is.Message = fmt.Sprintf("pod %s: not scheduled for %s", pod.Name, d)
		if pod.Message != "" {
			is.Message += fmt.Sprintf(": %q", pod.Message)
		}
		return is
	}
	var why []string
	if pod.Phase != corev1.PodRunning {
		why = append(why, "phase "+cmp.Or(string(pod.Phase), "unknown"))
	}
	for _, c := range pod.Containers {
		if c.Init || c.Ready {
			continue
		}
		if is.Container == "" {
			is.Container = c.Name
		}
		state := "not ready"
		if c.Waiting != "" {
			state = "waiting: " + c.Waiting
		}
		why = append(why, fmt.Sprintf("container %s %s", c.Name, state))
	}
	is.Message = fmt.Sprintf("pod %s: not ready for %s", pod.Name, d)
	if len(why) > 0 {
		is.Message += " (" + strings.Join(why, "; ") + ")"
	}
	return is
}

// ContainerRestart is a container that restarted too often since the start, or that is
// in a restart loop.
type ContainerRestart struct {
	Pod, Container string
	Restarts       int32
	// LastReason and ExitCode describe its last termination (Error, OOMKilled, ...).
	LastReason string
	ExitCode   int32
	// Looping is set when the kubelet holds the container in CrashLoopBackOff: it will
	// restart again, so it counts whatever its restarts so far.
	Looping bool
}

// ReasonCrashLoop is the kubelet's waiting reason for a container in a restart loop.
const ReasonCrashLoop = "CrashLoopBackOff"

// Restarts returns the new pods' containers whose restarts since the start exceed max, and
// those in CrashLoopBackOff: the run stops at the first crash loop (a fatal pod issue), long
// before a loop's count passes max, and a loop is the restarts the limit is there to catch.
// Worst first: most restarts, then by pod and container name.
func Restarts(r PodReport, max int32) []ContainerRestart {
	var out []ContainerRestart
	for _, pod := range r.New {
		for _, c := range pod.Containers {
			looping := c.Waiting == ReasonCrashLoop
			if c.Restarts > max || looping {
				out = append(out, ContainerRestart{Pod: pod.Name, Container: c.Name, Restarts: c.Restarts,
					LastReason: c.LastTerminated, ExitCode: c.ExitCode, Looping: looping})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b ContainerRestart) int {
		return cmp.Or(cmp.Compare(b.Restarts, a.Restarts), strings.Compare(a.Pod, b.Pod),
			strings.Compare(a.Container, b.Container))
	})
	return out
}

// timesWord picks "time" or "times".
func timesWord(n int32) string {
	if n == 1 {
		return "time"
	}
	return "times"
}
