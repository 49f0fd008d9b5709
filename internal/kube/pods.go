package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/deploywatch/deploywatch/internal/redact"
)

// maxPodText caps a message taken from the cluster (a termination message, an event)
// before it goes into one of ours.
const maxPodText = 200

// PodSelection says which pods to follow.
type PodSelection struct {
	Target Target
	// Selector is the pod_selector input; "" means the workload's own selector. With no
	// Target.Name, every pod it matches counts as new.
	Selector string
	// Start is the deployment start: restarts are counted since then.
	Start time.Time
	// Redact, when set, cleans container and event messages (a termination message may be
	// the last lines of a log, secrets included).
	Redact func(string) string
}

// Pods finds and follows the pods of the new version of a workload. For a Deployment they
// are the pods of its new ReplicaSet, the one whose pod template equals the Deployment's
// (kubectl's rule; it is also the one with the highest deployment.kubernetes.io/revision),
// selected by its pod-template-hash label. For a StatefulSet they are the pods whose
// controller-revision-hash equals status.updateRevision; for a DaemonSet the pods whose
// controller-revision-hash is that of the newest ControllerRevision. The other pods of the
// workload are the old ones, kept apart for comparison. It is safe for concurrent use.
type Pods struct {
	c   kubernetes.Interface
	sel PodSelection

	mu sync.Mutex
	// snapMu serialises snapshots, so the checks of a round share one.
	snapMu  sync.Mutex
	fresh   time.Duration
	last    PodReport
	lastErr error
	lastAt  time.Time
	// base holds the restart count of each container of a pod that predates the start, as
	// first observed: restarts are counted from there.
	base map[restartKey]int32
}

// restartKey names one container of one pod: a replaced pod gets a new UID, hence a new
// count from zero.
type restartKey struct {
	uid       types.UID
	container string
}

// NewPods follows the pods of sel with client c.
func NewPods(c kubernetes.Interface, sel PodSelection) *Pods {
	return &Pods{c: c, sel: sel, base: map[restartKey]int32{}, fresh: snapshotFresh}
}

// Namespace is where the pods live.
func (p *Pods) Namespace() string { return p.sel.Target.Namespace }

// PodReport is the state of a workload's pods at one moment.
type PodReport struct {
	// Revision is the new version's pod-template-hash (Deployment, DaemonSet) or revision
	// name (StatefulSet), for messages; empty until the controller has created it.
	Revision string
	// New and Old are sorted by name.
	New, Old []PodState
	// Desired is how many pods of the new version the workload wants.
	Desired int32
}

// PodState is one pod.
type PodState struct {
	Name, Node string
	UID        types.UID
	Phase      corev1.PodPhase
	Ready      bool
	// ReadyChanged is when the pod last became ready, or not ready (the Ready condition's
	// last transition; zero when the kubelet has not reported it).
	ReadyChanged time.Time
	// Reason and Message explain a pod-level problem: a failed pod (Evicted) or one the
	// scheduler cannot place (Unschedulable).
	Reason, Message string
	// Terminating reports a pod being deleted: it is going away, not failing to start.
	Terminating bool
	// Containers lists the init containers, then the others, in spec order.
	Containers []ContainerState
	Created    time.Time
}

// ContainerState is one container of a pod.
type ContainerState struct {
	Name    string
	Init    bool
	Ready   bool
	Running bool
	// Restarts counts the restarts since the start (a delta, not the kubelet's total).
	Restarts int32
	// Waiting is the reason the container is waiting: CrashLoopBackOff, ImagePullBackOff,
	// ErrImagePull, CreateContainerConfigError, ...
	Waiting string
	// LastTerminated is the reason of the container's latest termination since the start
	// (its current state when terminated, else its last state): OOMKilled, Error, ...
	LastTerminated string
	ExitCode       int32
	// Message is the termination message, else the waiting message: one line, capped.
	Message string
	// CPULimit (cores) and MemoryLimit (bytes) come from the pod spec; 0 means none.
	CPULimit, MemoryLimit float64
}

// Snapshot lists the pods now and returns the state of the new and old ones, restarts
// counted since the start: a pod created before the start counts from the restart count it
// had when first observed, a pod created after it counts all its restarts.
// The checks of one round share a snapshot taken within snapshotFresh (they run together):
// one set of API requests per round, not one per check.
func (p *Pods) Snapshot(ctx context.Context) (PodReport, error) {
	p.snapMu.Lock()
	defer p.snapMu.Unlock()
	if !p.lastAt.IsZero() && time.Since(p.lastAt) < p.fresh {
		return p.last, p.lastErr
	}
	r, err := p.snapshot(ctx)
	// A failure is shared too: the next check of the round must not wait out the same
	// stuck request again.
	p.last, p.lastErr, p.lastAt = r, err, time.Now()
	return r, err
}

// snapshotFresh is how fresh a snapshot is shared; the shortest interval is 100 ms.
const snapshotFresh = 50 * time.Millisecond

func (p *Pods) snapshot(ctx context.Context) (PodReport, error) {
	v, err := p.resolve(ctx)
	if err != nil {
		return PodReport{}, err
	}
	sel := v.selector
	if p.sel.Selector != "" {
		if sel, err = labels.Parse(p.sel.Selector); err != nil {
			return PodReport{}, fmt.Errorf("pod_selector %q: %w", p.sel.Selector, err)
		}
	}
	list, err := p.c.CoreV1().Pods(p.Namespace()).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return PodReport{}, fmt.Errorf("list pods of %s: %w", p.sel.Target, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := PodReport{Revision: v.revision, Desired: v.desired}
	seen := map[types.UID]bool{}
	for i := range list.Items {
		pod := &list.Items[i]
		seen[pod.UID] = true
		switch v.classify(pod) {
		case podNew:
			r.New = append(r.New, p.state(pod))
		case podOld:
			r.Old = append(r.Old, p.state(pod))
		}
	}
	// Pods are never seen again once gone: forget them so a long run stays small.
	for k := range p.base {
		if !seen[k.uid] {
			delete(p.base, k)
		}
	}
	byName := func(a, b PodState) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(r.New, byName)
	slices.SortFunc(r.Old, byName)
	return r, nil
}

// state reads one pod; p.mu is held.
func (p *Pods) state(pod *corev1.Pod) PodState {
	s := PodState{
		Name: pod.Name, Node: pod.Spec.NodeName, UID: pod.UID, Phase: pod.Status.Phase,
		Created: pod.CreationTimestamp.Time, Terminating: pod.DeletionTimestamp != nil,
	}
	for _, c := range pod.Status.Conditions {
		switch {
		case c.Type == corev1.PodReady:
			s.Ready, s.ReadyChanged = c.Status == corev1.ConditionTrue, c.LastTransitionTime.Time
		case c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse:
			s.Reason, s.Message = c.Reason, p.text(c.Message)
		}
	}
	if pod.Status.Phase == corev1.PodFailed {
		s.Reason, s.Message = cmp.Or(pod.Status.Reason, "Failed"), p.text(pod.Status.Message)
	}
	statuses := map[string]corev1.ContainerStatus{}
	for _, cs := range slices.Concat(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses) {
		statuses[cs.Name] = cs
	}
	add := func(c corev1.Container, init bool) {
		cs := ContainerState{Name: c.Name, Init: init}
		if q, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
			cs.CPULimit = q.AsApproximateFloat64()
		}
		if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
			cs.MemoryLimit = q.AsApproximateFloat64()
		}
		if st, ok := statuses[c.Name]; ok {
			p.container(&cs, pod, st)
		}
		s.Containers = append(s.Containers, cs)
	}
	for _, c := range pod.Spec.InitContainers {
		add(c, true)
	}
	for _, c := range pod.Spec.Containers {
		add(c, false)
	}
	return s
}

// container fills cs from the kubelet's status of it; p.mu is held.
func (p *Pods) container(cs *ContainerState, pod *corev1.Pod, st corev1.ContainerStatus) {
	cs.Ready, cs.Running = st.Ready, st.State.Running != nil
	key := restartKey{pod.UID, st.Name}
	base, ok := p.base[key]
	if !ok {
		if pod.CreationTimestamp.Time.Before(p.sel.Start) {
			base = st.RestartCount
		}
		p.base[key] = base
	}
	if st.RestartCount < base {
		// The kubelet's count went back (it lost the container's history): count anew.
		base = st.RestartCount
		p.base[key] = base
	}
	cs.Restarts = st.RestartCount - base
	term := st.State.Terminated
	if term == nil {
		term = st.LastTerminationState.Terminated
	}
	// A termination before the start is history of a pod that predates the deploy.
	if term != nil && (term.FinishedAt.IsZero() || !term.FinishedAt.Time.Before(p.sel.Start)) {
		cs.LastTerminated, cs.ExitCode, cs.Message = term.Reason, term.ExitCode, p.text(term.Message)
	}
	if w := st.State.Waiting; w != nil {
		cs.Waiting = w.Reason
		if cs.Message == "" {
			cs.Message = p.text(w.Message)
		}
	}
}

// PreviousSame says how the old version's pods share a new pod's issue — "the previous
// version had the same: container api in CrashLoopBackOff on 1 of 2 old pods, 3 restarts"
// — so a reader knows the problem predates this deploy; "" when no old pod has it (or
// there are none). Restarts since the start are named for the issues that are restarts:
// a crash loop and an OOM kill.
func (r PodReport) PreviousSame(is Issue) string {
	var had []string
	same := 0
	for _, pod := range r.Old {
		if oldHas(pod, is) {
			same++
		}
	}
	if same > 0 {
		had = append(had, fmt.Sprintf("%s on %d of %d old pods", issueWhat(is), same, len(r.Old)))
	}
	if is.Reason == ReasonCrashLoop || is.Reason == ReasonOOMKilled {
		if n := r.OldRestarts(is.Container); n > 0 {
			had = append(had, fmt.Sprintf("%d %s", n, map[bool]string{true: "restart", false: "restarts"}[n == 1]))
		}
	}
	if len(had) == 0 {
		return ""
	}
	return "the previous version had the same: " + strings.Join(had, ", ")
}

// OldRestarts sums the restarts since the start of a container across the old pods.
func (r PodReport) OldRestarts(container string) int32 {
	var n int32
	for _, pod := range r.Old {
		for _, c := range pod.Containers {
			if c.Name == container && container != "" {
				n += c.Restarts
			}
		}
	}
	return n
}

// oldHas reports whether an old pod has the issue a new one has.
func oldHas(pod PodState, is Issue) bool {
	switch {
	case is.Reason == ReasonNotReady:
		// Old pods going away during the rollout are not ready by design.
		return !pod.Ready && !pod.Terminating && pod.Phase != corev1.PodSucceeded
	case is.Container == "":
		return pod.Reason == is.Reason
	}
	for _, c := range pod.Containers {
		if c.Name != is.Container {
			continue
		}
		if is.Reason == ReasonOOMKilled {
			return c.LastTerminated == ReasonOOMKilled
		}
		return c.Waiting == is.Reason
	}
	return false
}

// issueWhat names an issue without its pod: "not ready", "Evicted", "container api in
// CrashLoopBackOff".
func issueWhat(is Issue) string {
	switch {
	case is.Reason == ReasonNotReady:
		return "not ready"
	case is.Container == "":
		return is.Reason
	case is.Reason == ReasonOOMKilled:
		return "container " + is.Container + " OOMKilled"
	}
	return "container " + is.Container + " in " + is.Reason
}

// text makes a message from the cluster fit ours (see clusterText).
func (p *Pods) text(s string) string { return clusterText(s, p.sel.Redact) }

// clusterText makes a message from the cluster fit ours: the run's secrets masked by known
// (when set) and anything that looks like a credential by redact.Untrusted — before it is
// made one line and capped, so no cut leaves half a secret behind — then one line, capped.
func clusterText(s string, known func(string) string) string {
	if known != nil {
		s = known(s)
	}
	return clipText(singleLine(redact.Untrusted(s)), maxPodText)
}

// singleLine turns control characters (newlines included) into spaces and collapses runs
// of spaces, so cluster text cannot break a one-line message.
func singleLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}

// clipText cuts s to at most n runes, marking the cut with "…".
func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}
