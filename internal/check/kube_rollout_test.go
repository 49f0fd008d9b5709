package check

import (
	"context"
	"testing"
	"testing/synctest"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// rolloutDeployment is Deployment api (5 replicas) with its status observed.
func rolloutDeployment(updated, available int32, deadlineExceeded bool) *appsv1.Deployment {
	five := int32(5)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", Generation: 3},
		Spec:       appsv1.DeploymentSpec{Replicas: &five},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 5, UpdatedReplicas: updated,
			ReadyReplicas: available, AvailableReplicas: available},
	}
	if deadlineExceeded {
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: "False",
			Reason: "ProgressDeadlineExceeded"}}
	}
	return d
}

func rolloutSpec() model.CheckSpec {
	return model.CheckSpec{Name: "rollout deployment/api", Kind: model.KindRollout, Signal: model.SignalPods,
		Target: "deployment/api", Severity: model.SeverityCritical, Persistence: 1, MaxProbeErrors: 3}
}

func TestRolloutCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    *appsv1.Deployment
		want model.Measurement
	}{
		{"progressing_is_pending", rolloutDeployment(5, 3, false), model.Measurement{Check: "rollout deployment/api", Insufficient: true,
			Value: "5/5 updated", Message: `Waiting for deployment "api" rollout to finish: 3 of 5 updated replicas are available...`}},
		{"rolled_out_passes", rolloutDeployment(5, 5, false), model.Measurement{Check: "rollout deployment/api",
			Value: "5/5", Message: `deployment "api" successfully rolled out`}},
		{"deadline_exceeded_is_critical", rolloutDeployment(2, 4, true), model.Measurement{Check: "rollout deployment/api", Breach: true,
			Severity: model.SeverityCritical, Signal: model.SignalPods, Value: "2/5 updated, 4 available",
			Expected: "progress within the progress deadline", Message: `deployment "api" exceeded its progress deadline`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := kube.Follow(t.Context(), fake.NewClientset(tt.d), kube.Target{Kind: kube.KindDeployment, Name: "api", Namespace: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Stop()
			c := NewRollout(rolloutSpec(), f)
			var _ Check = c
			assertMeasurement(t, probe(t, context.Background(), c), tt.want)
			if c.Spec() != rolloutSpec() {
				t.Errorf("Spec = %+v", c.Spec())
			}
		})
	}
}

// TestRolloutCheckFollows drives the Deployment through the fake API: the check's Changed
// and Done are the follower's, and a deleted Deployment is a probe error.
func TestRolloutCheckFollows(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		cs := fake.NewClientset(rolloutDeployment(3, 3, false))
		f, err := kube.Follow(t.Context(), cs, kube.Target{Kind: kube.KindDeployment, Name: "api", Namespace: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Stop()
		c := NewRollout(rolloutSpec(), f)
		synctest.Wait()
		if m := probe(t, t.Context(), c); !m.Insufficient || m.Value != "3/5 updated" {
			t.Errorf("while rolling out: %+v", m)
		}

		if _, err := cs.AppsV1().Deployments("shop").UpdateStatus(t.Context(), rolloutDeployment(5, 5, false), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		select {
		case <-c.Changed():
		default:
			t.Error("Changed did not fire")
		}
		select {
		case <-c.Done():
		default:
			t.Error("Done not closed after the rollout finished")
		}
		if m := probe(t, t.Context(), c); m.Insufficient || m.Breach || m.Value != "5/5" {
			t.Errorf("after the rollout: %+v", m)
		}

		if err := cs.AppsV1().Deployments("shop").Delete(t.Context(), "api", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		assertMeasurement(t, probe(t, t.Context(), c), model.Measurement{Check: "rollout deployment/api",
			ProbeError: "deployment api was deleted", Message: "deployment api was deleted"})
	})
}
