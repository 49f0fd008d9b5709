package kube

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func rolloutPtr(n int32) *int32 { return &n }

// rolloutDeploy is a Deployment at generation gen with the given replica counts.
func rolloutDeploy(replicas *int32, gen, observed int64, st appsv1.DeploymentStatus) *appsv1.Deployment {
	st.ObservedGeneration = observed
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", Generation: gen,
			Annotations: map[string]string{RevisionAnnotation: "7"}},
		Spec:   appsv1.DeploymentSpec{Replicas: replicas},
		Status: st,
	}
}

func rolloutCond(reason string) []appsv1.DeploymentCondition {
	return []appsv1.DeploymentCondition{
		{Type: appsv1.DeploymentAvailable, Status: "True", Reason: "MinimumReplicasAvailable"},
		{Type: appsv1.DeploymentProgressing, Status: "False", Reason: reason},
	}
}

func TestDeploymentRollout(t *testing.T) {
	t.Parallel()
	five := rolloutPtr(5)
	tests := []struct {
		name string
		d    *appsv1.Deployment
		want RolloutStatus
	}{
		{"spec_update_not_observed", rolloutDeploy(five, 8, 7, appsv1.DeploymentStatus{Replicas: 5, UpdatedReplicas: 5, ReadyReplicas: 5, AvailableReplicas: 5}),
			RolloutStatus{Message: "Waiting for deployment spec update to be observed...", Desired: 5, Updated: 5, Ready: 5, Available: 5, Revision: "7"}},
		{"deadline_ignored_until_observed", rolloutDeploy(five, 8, 7, appsv1.DeploymentStatus{Conditions: rolloutCond("ProgressDeadlineExceeded")}),
			RolloutStatus{Message: "Waiting for deployment spec update to be observed...", Desired: 5, Revision: "7"}},
		{"progress_deadline_exceeded", rolloutDeploy(five, 8, 8, appsv1.DeploymentStatus{Replicas: 6, UpdatedReplicas: 2, ReadyReplicas: 4, AvailableReplicas: 4, Conditions: rolloutCond("ProgressDeadlineExceeded")}),
			RolloutStatus{Failed: true, Message: `deployment "api" exceeded its progress deadline`, Desired: 5, Updated: 2, Ready: 4, Available: 4, Revision: "7"}},
		{"other_progressing_reason", rolloutDeploy(five, 8, 8, appsv1.DeploymentStatus{Replicas: 5, UpdatedReplicas: 5, ReadyReplicas: 5, AvailableReplicas: 5, Conditions: rolloutCond("NewReplicaSetAvailable")}),
			RolloutStatus{Done: true, Message: `deployment "api" successfully rolled out`, Desired: 5, Updated: 5, Ready: 5, Available: 5, Revision: "7"}},
		{"new_replicas_updating", rolloutDeploy(five, 8, 8, appsv1.DeploymentStatus{Replicas: 6, UpdatedReplicas: 3, ReadyReplicas: 4, AvailableReplicas: 4}),
			RolloutStatus{Message: `Waiting for deployment "api" rollout to finish: 3 out of 5 new replicas have been updated...`, Desired: 5, Updated: 3, Ready: 4, Available: 4, Revision: "7"}},
		{"old_replicas_terminating", rolloutDeploy(five, 8, 8, appsv1.DeploymentStatus{Replicas: 7, UpdatedReplicas: 5, ReadyReplicas: 7, AvailableReplicas: 7}),
			RolloutStatus{Message: `Waiting for deployment "api" rollout to finish: 2 old replicas are pending termination...`, Desired: 5, Updated: 5, Ready: 7, Available: 7, Revision: "7"}},
		{"updated_not_available", rolloutDeploy(five, 8, 8, appsv1.DeploymentStatus{Replicas: 5, UpdatedReplicas: 5, ReadyReplicas: 3, AvailableReplicas: 3}),
			RolloutStatus{Message: `Waiting for deployment "api" rollout to finish: 3 of 5 updated replicas are available...`, Desired: 5, Updated: 5, Ready: 3, Available: 3, Revision: "7"}},
		{"rolled_out", rolloutDeploy(five, 8, 8, appsv1.DeploymentStatus{Replicas: 5, UpdatedReplicas: 5, ReadyReplicas: 5, AvailableReplicas: 5}),
			RolloutStatus{Done: true, Message: `deployment "api" successfully rolled out`, Desired: 5, Updated: 5, Ready: 5, Available: 5, Revision: "7"}},
		{"replicas_unset_defaults_to_one", rolloutDeploy(nil, 2, 2, appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}),
			RolloutStatus{Done: true, Message: `deployment "api" successfully rolled out`, Desired: 1, Updated: 1, Ready: 1, Available: 1, Revision: "7"}},
		{"scaled_to_zero", rolloutDeploy(rolloutPtr(0), 3, 3, appsv1.DeploymentStatus{}),
			RolloutStatus{Done: true, Message: `deployment "api" successfully rolled out`, Revision: "7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, DeploymentRollout(tt.d)); diff != "" {
				t.Errorf("DeploymentRollout (-want +got):\n%s", diff)
			}
		})
	}
}

// rolloutSTS is a StatefulSet of 5 replicas; partition nil means no rollingUpdate block.
func rolloutSTS(strategy appsv1.StatefulSetUpdateStrategyType, partition *int32, gen, observed int64, st appsv1.StatefulSetStatus) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", Generation: gen},
		Spec: appsv1.StatefulSetSpec{Replicas: rolloutPtr(5),
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: strategy}},
	}
	if partition != nil {
		s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: partition}
	}
	st.ObservedGeneration = observed
	s.Status = st
	return s
}

func TestStatefulSetRollout(t *testing.T) {
	t.Parallel()
	rolling := appsv1.RollingUpdateStatefulSetStrategyType
	ready := appsv1.StatefulSetStatus{Replicas: 5, ReadyReplicas: 5, AvailableReplicas: 5, UpdatedReplicas: 2, CurrentReplicas: 3,
		CurrentRevision: "db-6f7", UpdateRevision: "db-8c9"}
	complete := appsv1.StatefulSetStatus{Replicas: 5, ReadyReplicas: 5, AvailableReplicas: 5, UpdatedReplicas: 5, CurrentReplicas: 5,
		CurrentRevision: "db-8c9", UpdateRevision: "db-8c9"}
	tests := []struct {
		name string
		s    *appsv1.StatefulSet
		want RolloutStatus
	}{
		{"on_delete", rolloutSTS(appsv1.OnDeleteStatefulSetStrategyType, nil, 4, 4, ready),
			RolloutStatus{Done: true, Message: "rollout status is only available for RollingUpdate strategy type", Desired: 5, Updated: 2, Ready: 5, Available: 5, Revision: "db-8c9"}},
		{"never_observed", rolloutSTS(rolling, nil, 1, 0, appsv1.StatefulSetStatus{}),
			RolloutStatus{Message: "Waiting for statefulset spec update to be observed...", Desired: 5}},
		{"spec_update_not_observed", rolloutSTS(rolling, nil, 4, 3, ready),
			RolloutStatus{Message: "Waiting for statefulset spec update to be observed...", Desired: 5, Updated: 2, Ready: 5, Available: 5, Revision: "db-8c9"}},
		{"pods_not_ready", rolloutSTS(rolling, rolloutPtr(0), 4, 4, appsv1.StatefulSetStatus{ReadyReplicas: 3, UpdatedReplicas: 1, UpdateRevision: "db-8c9"}),
			RolloutStatus{Message: "Waiting for 2 pods to be ready...", Desired: 5, Updated: 1, Ready: 3, Revision: "db-8c9"}},
		{"partition_waiting", rolloutSTS(rolling, rolloutPtr(2), 4, 4, ready),
			RolloutStatus{Message: "Waiting for partitioned roll out to finish: 2 out of 3 new pods have been updated...", Desired: 5, Updated: 2, Ready: 5, Available: 5, Revision: "db-8c9"}},
		{"partition_complete", rolloutSTS(rolling, rolloutPtr(3), 4, 4, ready),
			RolloutStatus{Done: true, Message: "partitioned roll out complete: 2 new pods have been updated...", Desired: 5, Updated: 2, Ready: 5, Available: 5, Revision: "db-8c9"}},
		{"defaulted_partition_zero_waiting", rolloutSTS(rolling, rolloutPtr(0), 4, 4, ready),
			RolloutStatus{Message: "Waiting for partitioned roll out to finish: 2 out of 5 new pods have been updated...", Desired: 5, Updated: 2, Ready: 5, Available: 5, Revision: "db-8c9"}},
		{"defaulted_partition_zero_complete", rolloutSTS(rolling, rolloutPtr(0), 4, 4, complete),
			RolloutStatus{Done: true, Message: "partitioned roll out complete: 5 new pods have been updated...", Desired: 5, Updated: 5, Ready: 5, Available: 5, Revision: "db-8c9"}},
		{"revisions_differ", rolloutSTS(rolling, nil, 4, 4, ready),
			RolloutStatus{Message: "waiting for statefulset rolling update to complete 2 pods at revision db-8c9...", Desired: 5, Updated: 2, Ready: 5, Available: 5, Revision: "db-8c9"}},
		{"rolling_update_complete", rolloutSTS(rolling, nil, 4, 4, complete),
			RolloutStatus{Done: true, Message: "statefulset rolling update complete 5 pods at revision db-8c9...", Desired: 5, Updated: 5, Ready: 5, Available: 5, Revision: "db-8c9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, StatefulSetRollout(tt.s)); diff != "" {
				t.Errorf("StatefulSetRollout (-want +got):\n%s", diff)
			}
		})
	}
}

func rolloutDS(strategy appsv1.DaemonSetUpdateStrategyType, gen, observed int64, desired, updated, ready, available int32) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "ops", Generation: gen},
		Spec:       appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: strategy}},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: observed, DesiredNumberScheduled: desired,
			UpdatedNumberScheduled: updated, NumberReady: ready, NumberAvailable: available},
	}
}

func TestDaemonSetRollout(t *testing.T) {
	t.Parallel()
	rolling := appsv1.RollingUpdateDaemonSetStrategyType
	tests := []struct {
		name string
		d    *appsv1.DaemonSet
		want RolloutStatus
	}{
		{"on_delete", rolloutDS(appsv1.OnDeleteDaemonSetStrategyType, 3, 3, 4, 1, 4, 4),
			RolloutStatus{Done: true, Message: "rollout status is only available for RollingUpdate strategy type", Desired: 4, Updated: 1, Ready: 4, Available: 4, Revision: "generation 3"}},
		{"spec_update_not_observed", rolloutDS(rolling, 3, 2, 4, 4, 4, 4),
			RolloutStatus{Message: "Waiting for daemon set spec update to be observed...", Desired: 4, Updated: 4, Ready: 4, Available: 4, Revision: "generation 3"}},
		{"pods_updating", rolloutDS(rolling, 3, 3, 4, 1, 4, 4),
			RolloutStatus{Message: `Waiting for daemon set "agent" rollout to finish: 1 out of 4 new pods have been updated...`, Desired: 4, Updated: 1, Ready: 4, Available: 4, Revision: "generation 3"}},
		{"updated_not_available", rolloutDS(rolling, 3, 3, 4, 4, 3, 2),
			RolloutStatus{Message: `Waiting for daemon set "agent" rollout to finish: 2 of 4 updated pods are available...`, Desired: 4, Updated: 4, Ready: 3, Available: 2, Revision: "generation 3"}},
		{"rolled_out", rolloutDS(rolling, 3, 3, 4, 4, 4, 4),
			RolloutStatus{Done: true, Message: `daemon set "agent" successfully rolled out`, Desired: 4, Updated: 4, Ready: 4, Available: 4, Revision: "generation 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, DaemonSetRollout(tt.d)); diff != "" {
				t.Errorf("DaemonSetRollout (-want +got):\n%s", diff)
			}
		})
	}
}
