package check

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// pkOn makes an event about one container of its pod, as the kubelet writes it.
func pkOn(ev *corev1.Event, container string) *corev1.Event {
	ev.InvolvedObject.FieldPath = "spec.containers{" + container + "}"
	return ev
}

// TestPodHealthNamesTheProbedContainer: failed probes are reported per container, the
// container named, in the finding and in the pod's part.
func TestPodHealthNamesTheProbedContainer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now().Add(-5 * time.Minute)
		cs := pkCluster(2, pkPod("api-a", start, pkCrash(4, 1, "panic")), pkPod("api-b", start),
			pkOn(pkEvent("e1", "api-a", "Unhealthy", "Readiness probe failed: connection refused", 3, start.Add(time.Minute)), "api"),
			pkOn(pkEvent("e2", "api-a", "Unhealthy", "Liveness probe failed: timeout", 2, start.Add(time.Minute)), "proxy"))
		pods := kube.NewPods(cs, kube.PodSelection{Target: pkTarget, Start: start})
		spec := pkSpec(model.KindPods, model.SignalPods, model.SeverityCritical)
		got := probe(t, context.Background(), NewPodHealth(spec, pods, func() bool { return false }, time.Minute))
		want := model.Measurement{Check: spec.Name, Breach: true, Severity: model.SeverityCritical, Signal: model.SignalPods,
			Value: "1/2 unhealthy", Expected: "no unhealthy pod",
			Message: `pod api-a: container api in CrashLoopBackOff (restarted 4 times since the start; last exit 1: "panic")` +
				`; container api: probes failed 3 times ("Readiness probe failed: connection refused")` +
				`; container proxy: probes failed 2 times ("Liveness probe failed: timeout")`,
			Parts: []model.Part{{Name: "api-a", Detail: `container api in CrashLoopBackOff (restarted 4 times since the start; last exit 1: "panic")` +
				`; container api: Unhealthy ×3: Readiness probe failed: connection refused; container proxy: Unhealthy ×2: Liveness probe failed: timeout`, Reason: "CrashLoopBackOff"},
				{Name: "api-b", OK: true}}}
		assertMeasurement(t, got, want)
	})
}

// TestPodHealthProbeFlapsPerContainer: failures while ready are counted per container from
// the moment the pod was first seen ready; the container that flaps is named.
func TestPodHealthProbeFlapsPerContainer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		// api failed twice while starting; proxy had not failed yet.
		cs := pkCluster(1, pkPod("api-a", start),
			pkOn(pkEvent("e1", "api-a", "Unhealthy", "Readiness probe failed: 503", 2, start), "api"))
		pods := kube.NewPods(cs, kube.PodSelection{Target: pkTarget, Start: start})
		c := NewPodHealth(pkSpec(model.KindPods, model.SignalPods, model.SeverityCritical), pods, func() bool { return true }, time.Minute)
		if m := probe(t, ctx, c); m.Breach {
			t.Fatalf("startup failures breach: %+v", m)
		}
		time.Sleep(time.Minute)
		// api fails once more (3 in all, 1 while ready); proxy fails 3 times, all while ready.
		if _, err := cs.CoreV1().Events(pkNS).Update(ctx, pkOn(pkEvent("e1", "api-a", "Unhealthy", "Readiness probe failed: 503", 3, time.Now()), "api"), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Events(pkNS).Create(ctx, pkOn(pkEvent("e2", "api-a", "Unhealthy", "Liveness probe failed: timeout", 3, time.Now()), "proxy"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		m := probe(t, ctx, c)
		if want := `pod api-a: container proxy: probes failed 3 times while ready ("Liveness probe failed: timeout")`; !m.Breach ||
			m.Severity != model.SeverityWarning || m.Message != want {
			t.Errorf("flap: breach %v severity %v message %q, want a warning %q", m.Breach, m.Severity, m.Message, want)
		}
	})
}
