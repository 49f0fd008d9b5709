package check

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// Literal cluster objects for the pod checks: deployment/api in namespace shop, its new
// ReplicaSet (pod-template-hash new2), and pods of it.

const pkNS = "shop"

var pkTarget = kube.Target{Kind: kube.KindDeployment, Name: "api", Namespace: pkNS}

// pkCluster holds deployment/api with replicas new pods, plus objects.
func pkCluster(replicas int32, objects ...runtime.Object) *fake.Clientset {
	labels := map[string]string{"app": "api"}
	tpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "shop/api:v2"}}}}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: pkNS, UID: "uid-api"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: tpl, Selector: &metav1.LabelSelector{MatchLabels: labels}}}
	rsTpl := *tpl.DeepCopy()
	rsTpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = "new2"
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "api-new2", Namespace: pkNS, UID: "uid-rs", Labels: rsTpl.Labels,
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))}},
		Spec: appsv1.ReplicaSetSpec{Template: rsTpl}}
	return fake.NewClientset(append([]runtime.Object{d, rs}, objects...)...)
}

// pkPod is a running, ready pod of the new ReplicaSet, created at created; mods change it.
func pkPod(name string, created time.Time, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: pkNS, UID: types.UID("uid-" + name), CreationTimestamp: metav1.NewTime(created),
			Labels: map[string]string{"app": "api", appsv1.DefaultDeploymentUniqueLabelKey: "new2"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(created)}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "api", Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

// pkCrash puts the api container in a crash loop after restarts restarts, last exit code.
func pkCrash(restarts, code int32, msg string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		pkNotReady(p)
		st := &p.Status.ContainerStatuses[0]
		st.RestartCount = restarts
		st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s"}}
		st.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: code, Message: msg}}
	}
}

func pkNotReady(p *corev1.Pod) {
	p.Status.Conditions[0].Status = corev1.ConditionFalse
	p.Status.ContainerStatuses[0].Ready = false
}

func pkLimits(cpu, mem string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	}
}

// pkEvent is a Warning event about a pod.
func pkEvent(name, pod, reason, msg string, count int32, at time.Time) *corev1.Event {
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: pkNS, CreationTimestamp: metav1.NewTime(at)},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: pkNS, Name: pod},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: msg, Count: count, LastTimestamp: metav1.NewTime(at)}
}

func pkSpec(kind model.CheckKind, signal model.Signal, sev model.Severity) model.CheckSpec {
	return model.CheckSpec{Name: string(kind) + " check", Kind: kind, Signal: signal, Target: "deployment/api",
		Severity: sev, Persistence: 1, MaxProbeErrors: 3}
}

func TestPodHealth(t *testing.T) {
	t.Parallel()
	spec := pkSpec(model.KindPods, model.SignalPods, model.SeverityCritical)
	ok := func(name string) model.Part { return model.Part{Name: name, OK: true} }
	tests := []struct {
		name    string
		pods    func(start time.Time) []runtime.Object
		rollout bool
		want    model.Measurement
	}{
		{"all_ready", func(start time.Time) []runtime.Object {
			return []runtime.Object{pkPod("api-a", start), pkPod("api-b", start)}
		}, true, model.Measurement{Value: "2/2 ready", Expected: "no unhealthy pod", Signal: model.SignalPods,
			Message: "2/2 pods of revision new2 ready", Parts: []model.Part{ok("api-a"), ok("api-b")}}},
		{"crash_loop_during_the_rollout", func(start time.Time) []runtime.Object {
			return []runtime.Object{pkPod("api-a", start, pkCrash(4, 1, "panic: nil map\n\ngoroutine 1")), pkPod("api-b", start),
				pkEvent("e1", "api-a", "BackOff", "Back-off restarting failed container", 6, start.Add(time.Minute)),
				pkEvent("e2", "api-a", "Unhealthy", "Readiness probe failed: connection refused", 3, start.Add(time.Minute))}
		}, false, model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalPods,
			Value: "1/2 unhealthy", Expected: "no unhealthy pod",
			Message: `pod api-a: container api in CrashLoopBackOff (restarted 4 times since the start; last exit 1: "panic: nil map goroutine 1"); probes failed 3 times ("Readiness probe failed: connection refused")`,
			Parts: []model.Part{{Name: "api-a", Detail: `container api in CrashLoopBackOff (restarted 4 times since the start; last exit 1: "panic: nil map goroutine 1"); BackOff ×6: Back-off restarting failed container; Unhealthy ×3: Readiness probe failed: connection refused`, Reason: "CrashLoopBackOff"},
				ok("api-b")}}},
		{"not_ready_during_the_rollout", func(start time.Time) []runtime.Object {
			return []runtime.Object{pkPod("api-a", start, pkNotReady), pkPod("api-b", start)}
		}, false, model.Measurement{Value: "1/2 ready", Expected: "no unhealthy pod", Signal: model.SignalPods,
			Message: "1/2 pods of revision new2 ready; rollout in progress", Parts: []model.Part{ok("api-a"), ok("api-b")}}},
		{"not_ready_after_the_rollout_and_grace", func(start time.Time) []runtime.Object {
			return []runtime.Object{pkPod("api-a", start, pkNotReady), pkPod("api-b", start, pkNotReady), pkPod("api-c", start)}
		}, true, model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalPods,
			Value: "2/3 unhealthy", Expected: "no unhealthy pod",
			Message: "pod api-a: not ready for 5m0s (container api not ready); and 1 more issue",
			Parts: []model.Part{{Name: "api-a", Detail: "not ready for 5m0s (container api not ready)", Reason: "NotReady"},
				{Name: "api-b", Detail: "not ready for 5m0s (container api not ready)", Reason: "NotReady"}, ok("api-c")}}},
		{"evicted", func(start time.Time) []runtime.Object {
			return []runtime.Object{pkPod("api-a", start), pkPod("api-b", start),
				pkEvent("e1", "api-b", "Evicted", "The node was low on resource: memory.", 1, start.Add(time.Minute))}
		}, false, model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalPods,
			Value: "1/2 unhealthy", Expected: "no unhealthy pod",
			Message: `pod api-b: evicted ("The node was low on resource: memory.")`,
			Parts:   []model.Part{ok("api-a"), {Name: "api-b", Detail: `evicted ("The node was low on resource: memory."); Evicted ×1: The node was low on resource: memory.`, Reason: "Evicted"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now().Add(-5 * time.Minute)
				pods := kube.NewPods(pkCluster(int32(len(tt.pods(start))), tt.pods(start)...), kube.PodSelection{Target: pkTarget, Start: start})
				c := NewPodHealth(spec, pods, func() bool { return tt.rollout }, time.Minute)
				got := probe(t, context.Background(), c)
				tt.want.Check = spec.Name
				assertMeasurement(t, got, tt.want)
			})
		})
	}
}

func TestPodHealthProbeFailuresWhileReady(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		// Two failures while starting up, then ready.
		cs := pkCluster(2, pkPod("api-a", start), pkPod("api-b", start),
			pkEvent("e1", "api-a", "Unhealthy", "Readiness probe failed: 503", 2, start))
		pods := kube.NewPods(cs, kube.PodSelection{Target: pkTarget, Start: start})
		c := NewPodHealth(pkSpec(model.KindPods, model.SignalPods, model.SeverityCritical), pods, func() bool { return true }, time.Minute)
		if m := probe(t, ctx, c); m.Breach || m.Value != "2/2 ready" {
			t.Errorf("startup failures: %+v", m)
		}
		time.Sleep(time.Minute)
		ev := pkEvent("e1", "api-a", "Unhealthy", "Readiness probe failed: 500", 5, time.Now())
		if _, err := cs.CoreV1().Events(pkNS).Update(ctx, ev, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		m := probe(t, ctx, c)
		want := model.Measurement{Check: "pods check", Breach: true, Severity: model.SeverityWarning, Signal: model.SignalPods,
			Value: "1/2 failing probes", Expected: "no unhealthy pod",
			Message: `pod api-a: probes failed 3 times while ready ("Readiness probe failed: 500")`,
			Parts:   []model.Part{{Name: "api-a", OK: true, Detail: "Unhealthy ×5: Readiness probe failed: 500"}, {Name: "api-b", OK: true}}}
		assertMeasurement(t, m, want)
	})
}

func TestPodHealthProbeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target kube.Target
		want   string
	}{
		{"missing_deployment", kube.Target{Kind: kube.KindDeployment, Name: "gone", Namespace: pkNS}, `get deployment/gone: deployments.apps "gone" not found`},
		{"no_new_pods_after_the_rollout", pkTarget, `no pod of the new version found (revision "new2"); check pod_selector`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pods := kube.NewPods(pkCluster(2), kube.PodSelection{Target: tt.target})
			m := probe(t, context.Background(), NewPodHealth(pkSpec(model.KindPods, model.SignalPods, model.SeverityCritical), pods, nil, 0))
			if m.ProbeError != tt.want {
				t.Errorf("ProbeError = %q, want %q", m.ProbeError, tt.want)
			}
		})
	}
}

func TestRestartsCheck(t *testing.T) {
	t.Parallel()
	spec := pkSpec(model.KindRestarts, model.SignalRestarts, model.SeverityNone)
	restarted := func(n int32) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount = n }
	}
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		pods []runtime.Object
		want model.Measurement
	}{
		{"within_the_limit", []runtime.Object{pkPod("api-a", start.Add(time.Second), restarted(2)), pkPod("api-b", start.Add(time.Second))},
			model.Measurement{Value: "2 restarts (api-a/api)", Expected: "≤ 2 since the start",
				Message: "no container of the new pods restarted more than 2 times since the start (most: 2 restarts (api-a/api))",
				Metric:  &model.MetricValue{Value: 2, HasValue: true, Limit: 2, Op: ">"}}},
		// api-b existed before the start with 40 restarts: only its 1 since counts.
		{"over_the_limit", []runtime.Object{pkPod("api-a", start.Add(time.Second), pkCrash(4, 1, "panic")),
			pkPod("api-b", start.Add(-time.Hour), restarted(40)), pkPod("api-c", start.Add(time.Second), pkCrash(3, 137, ""))},
			model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalRestarts,
				Value: "4 restarts (api-a/api), in a restart loop", Expected: "≤ 2 since the start",
				Message: "pod api-a: container api restarted 4 times since the start, in a restart loop (CrashLoopBackOff; last exit 1: Error); and 1 more container over 2 or in a restart loop",
				Parts: []model.Part{{Name: "api-a/api", Detail: "restarted 4 times since the start, in a restart loop (CrashLoopBackOff; last exit 1: Error)", Reason: "CrashLoopBackOff"},
					{Name: "api-c/api", Detail: "restarted 3 times since the start, in a restart loop (CrashLoopBackOff; last exit 137: Error)", Reason: "CrashLoopBackOff"}},
				Metric: &model.MetricValue{Value: 4, HasValue: true, Limit: 2, Op: ">"}}},
		// Restarts the kubelet was never seen backing off (each seen running): the count alone.
		{"restarts_without_back_off", []runtime.Object{pkPod("api-a", start.Add(time.Second), restarted(3)), pkPod("api-b", start.Add(time.Second))},
			model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalRestarts,
				Value: "3 restarts (api-a/api)", Expected: "≤ 2 since the start",
				Message: "pod api-a: container api restarted 3 times since the start",
				Parts:   []model.Part{{Name: "api-a/api", Detail: "restarted 3 times since the start"}},
				Metric:  &model.MetricValue{Value: 3, HasValue: true, Limit: 2, Op: ">"}}},
		// A crash loop breaches before its count passes the limit: the run stops at the first
		// one, and a loop is what the limit is there to catch. The busier pod is not the one named.
		{"crash_loop_within_the_limit", []runtime.Object{pkPod("api-a", start.Add(time.Second), pkCrash(1, 1, "panic")),
			pkPod("api-b", start.Add(time.Second), restarted(2))},
			model.Measurement{Breach: true, Severity: model.SeverityCritical, Signal: model.SignalRestarts,
				Value: "1 restart (api-a/api), in a restart loop", Expected: "≤ 2 since the start",
				Message: "pod api-a: container api restarted 1 time since the start, in a restart loop (CrashLoopBackOff; last exit 1: Error)",
				Parts:   []model.Part{{Name: "api-a/api", Detail: "restarted 1 time since the start, in a restart loop (CrashLoopBackOff; last exit 1: Error)", Reason: "CrashLoopBackOff"}},
				Metric:  &model.MetricValue{Value: 1, HasValue: true, Limit: 2, Op: ">"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pods := kube.NewPods(pkCluster(3, tt.pods...), kube.PodSelection{Target: pkTarget, Start: start})
			got := probe(t, context.Background(), NewRestarts(spec, pods, 2))
			tt.want.Check = spec.Name
			assertMeasurement(t, got, tt.want)
		})
	}
}

// pkLogs makes cs answer log requests with the given lines per container (the fake's
// request names the container, not the pod), or fail for a nil entry.
func pkLogs(cs *fake.Clientset, logs map[string][]string) {
	cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ga, ok := a.(k8stesting.GenericAction)
		if !ok || a.GetSubresource() != "log" {
			return false, nil, nil
		}
		opts := ga.GetValue().(*corev1.PodLogOptions)
		lines, ok := logs[opts.Container]
		if lines == nil {
			return true, nil, errors.New("container " + opts.Container + " is waiting to start: ContainerCreating")
		}
		return true, &runtime.Unknown{Raw: []byte(strings.Join(lines, "\n") + "\n")}, nil
	})
}

func TestLogErrorsCheck(t *testing.T) {
	t.Parallel()
	withContainer := func(name string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Containers[0].Name = name
			p.Status.ContainerStatuses[0].Name = name
		}
	}
	redact := func(s string) string { return strings.ReplaceAll(s, secretBearer, "REDACTED") }
	// Two minutes since the start: 2 matches a minute in all, 1 per pod.
	tests := []struct {
		name string
		max  int
		want model.Measurement
	}{
		{"over_the_limit", 3, model.Measurement{Breach: true, Value: "4 lines match (2.0/min)", Expected: "≤ 3 since the start",
			Message: `4 of 5 log lines of the new pods match /(?i)error/ since the start, 2.0/min over 2m0s (api-a: 2 at 1.0/min, api-b: 2 at 1.0/min); e.g. ` +
				`"api-a/api: error: upstream auth failed with Authorization: Bearer ***", "api-b/worker: Error: queue timeout", "api-b/worker: ERROR retrying"; ` +
				`unreadable: api-c/cron: container cron is waiting to start: ContainerCreating`,
			Parts:  []model.Part{{Name: "api-a", Detail: "2 matching lines, 1.0/min"}, {Name: "api-b", Detail: "2 matching lines, 1.0/min"}},
			Metric: &model.MetricValue{Value: 4, HasValue: true, Limit: 3, Op: ">", Query: "/(?i)error/"}}},
		{"within_the_limit", 10, model.Measurement{Value: "4 lines match (2.0/min)", Expected: "≤ 10 since the start",
			Message: `4 of 5 log lines of the new pods match /(?i)error/ since the start, 2.0/min over 2m0s (api-a: 2 at 1.0/min, api-b: 2 at 1.0/min); ` +
				`unreadable: api-c/cron: container cron is waiting to start: ContainerCreating`,
			Parts:  []model.Part{{Name: "api-a", Detail: "2 matching lines, 1.0/min"}, {Name: "api-b", Detail: "2 matching lines, 1.0/min"}},
			Metric: &model.MetricValue{Value: 4, HasValue: true, Limit: 10, Op: ">", Query: "/(?i)error/"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now().Add(-2 * time.Minute)
				at := func(s int) string { return start.Add(time.Duration(s) * time.Second).Format(time.RFC3339Nano) }
				logs := map[string][]string{
					"api": {at(1) + " ERROR payment declined", at(2) + " GET /health 200",
						at(3) + " error: upstream auth failed with Authorization: Bearer " + secretBearer},
					"worker": {at(1) + " Error: queue timeout", at(4) + " ERROR retrying"},
					"cron":   nil,
				}
				cs := pkCluster(3, pkPod("api-a", start), pkPod("api-b", start, withContainer("worker")), pkPod("api-c", start, withContainer("cron")))
				pkLogs(cs, logs)
				spec := pkSpec(model.KindLogs, model.SignalUnspecified, model.SeverityCritical)
				pods := kube.NewPods(cs, kube.PodSelection{Target: pkTarget, Start: start})
				w := kube.NewLogWatch(cs, pkNS, regexp.MustCompile(`(?i)error`), start, redact)
				c := NewLogErrors(spec, w, pods, tt.max)
				got := probe(t, context.Background(), c)
				tt.want.Check = spec.Name
				assertMeasurement(t, got, tt.want)
				// A minute later nothing new was logged: the count stays, the rate falls.
				time.Sleep(time.Minute)
				if again := probe(t, context.Background(), c); again.Value != "4 lines match (1.3/min)" {
					t.Errorf("a minute later Value = %q, want the same count at 1.3/min", again.Value)
				}
			})
		})
	}
}

func TestLogErrorsCheckUnreadable(t *testing.T) {
	t.Parallel()
	cs := pkCluster(1, pkPod("api-a", time.Now()))
	pkLogs(cs, map[string][]string{})
	w := kube.NewLogWatch(cs, pkNS, regexp.MustCompile("error"), time.Now(), nil)
	c := NewLogErrors(pkSpec(model.KindLogs, "", model.SeverityCritical), w, kube.NewPods(cs, kube.PodSelection{Target: pkTarget}), 0)
	m := probe(t, context.Background(), c)
	if want := "read logs: logs of api-a/api: container api is waiting to start: ContainerCreating"; m.ProbeError != want {
		t.Errorf("ProbeError = %q, want %q", m.ProbeError, want)
	}
}

// pkMetrics serves pod metrics: pod → cpu, memory of its api container. The fake files
// PodMetrics under the resource "pods", so they are added there.
func pkMetrics(t *testing.T, usage map[string][2]string) *metricsfake.Clientset {
	t.Helper()
	mc := metricsfake.NewSimpleClientset()
	for pod, u := range usage {
		pm := &metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: pkNS},
			Containers: []metricsv1beta1.ContainerMetrics{{Name: "api", Usage: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse(u[0]), corev1.ResourceMemory: resource.MustParse(u[1])}}}}
		if err := mc.Tracker().Create(metricsv1beta1.SchemeGroupVersion.WithResource("pods"), pm, pkNS); err != nil {
			t.Fatal(err)
		}
	}
	return mc
}

func TestPodResourcesCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	spec := pkSpec(model.KindMemory, model.SignalResources, model.SeverityNone)
	limited := []runtime.Object{pkPod("api-a", now, pkLimits("500m", "256Mi")), pkPod("api-b", now, pkLimits("1", "512Mi")), pkPod("api-c", now)}
	tests := []struct {
		name  string
		pods  []runtime.Object
		usage map[string][2]string
		want  model.Measurement
	}{
		{"cpu_and_memory_over", limited, map[string][2]string{"api-a": {"400m", "250Mi"}, "api-b": {"1", "100Mi"}, "api-c": {"2", "2Gi"}},
			model.Measurement{Breach: true, Severity: model.SeverityWarning, Signal: model.SignalResources,
				Value: "CPU 100% of limit (api-b/api)", Expected: "≤ 90% of the CPU limit",
				Message: "api-b/api uses 100% of its CPU limit (1 of 1), over 90%; and 1 more over their thresholds; skipped without limits: api-c/api",
				Parts: []model.Part{{Name: "api-a/api", Detail: "CPU 80% of 500m, memory 97.66% of 256Mi"},
					{Name: "api-b/api", Detail: "CPU 100% of 1, memory 19.53% of 512Mi"}},
				Metric: &model.MetricValue{Unit: model.UnitRatio, Value: 1, HasValue: true, Limit: 0.9, Op: ">"}}},
		{"within_limits", limited, map[string][2]string{"api-a": {"100m", "128Mi"}, "api-b": {"100m", "128Mi"}},
			model.Measurement{Value: "memory 50% of limit (api-a/api)", Expected: "≤ 95% of the memory limit",
				Message: "every container within its limits; highest: api-a/api uses 50% of its memory limit (128Mi of 256Mi)",
				Parts: []model.Part{{Name: "api-a/api", OK: true, Detail: "CPU 20% of 500m, memory 50% of 256Mi"},
					{Name: "api-b/api", OK: true, Detail: "CPU 10% of 1, memory 25% of 512Mi"}},
				Metric: &model.MetricValue{Unit: model.UnitRatio, Value: 0.5, HasValue: true, Limit: 0.95, Op: ">"}}},
		{"no_limits", []runtime.Object{pkPod("api-c", now)}, map[string][2]string{"api-c": {"2", "2Gi"}},
			model.Measurement{Message: "no container of the new pods has a CPU or memory limit to compare with; skipped without limits: api-c/api"}},
		{"no_metrics_yet", limited, nil,
			model.Measurement{Insufficient: true, Message: "no metrics yet for the pods of the new version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pods := kube.NewPods(pkCluster(int32(len(tt.pods)), tt.pods...), kube.PodSelection{Target: pkTarget, Start: now})
			got := probe(t, context.Background(), NewPodResources(spec, pkMetrics(t, tt.usage), pods, 0.9, 0.95))
			tt.want.Check = spec.Name
			assertMeasurement(t, got, tt.want)
		})
	}
}

func TestPodResourcesCheckMetricsUnavailable(t *testing.T) {
	t.Parallel()
	mc := metricsfake.NewSimpleClientset()
	mc.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("the server could not find the requested resource (get pods.metrics.k8s.io)")
	})
	pods := kube.NewPods(pkCluster(1, pkPod("api-a", time.Now())), kube.PodSelection{Target: pkTarget})
	m := probe(t, context.Background(), NewPodResources(pkSpec(model.KindCPU, model.SignalResources, model.SeverityWarning), mc, pods, 0.9, 0.95))
	want := "metrics API unavailable: read pod metrics (metrics.k8s.io) in shop: the server could not find the requested resource (get pods.metrics.k8s.io)"
	if m.ProbeError != want {
		t.Errorf("ProbeError = %q, want %q", m.ProbeError, want)
	}
}
