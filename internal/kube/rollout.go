package kube

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
)

// The rules below follow kubectl's pkg/polymorphichelpers/rollout_status.go (v0.36.3) branch
// for branch, with its wording minus the trailing newline, so users read what
// `kubectl rollout status` would have printed.

// RevisionAnnotation is where the Deployment controller records the rollout sequence on a
// Deployment and its ReplicaSets.
const RevisionAnnotation = "deployment.kubernetes.io/revision"

// timedOutReason is the Progressing condition's reason once progressDeadlineSeconds passed.
const progressDeadlineReason = "ProgressDeadlineExceeded"

// RolloutStatus is where a workload's rollout stands.
type RolloutStatus struct {
	// Done reports the rollout complete.
	Done bool
	// Failed reports the rollout stuck past its progress deadline (Deployments); terminal.
	Failed bool
	// Message is kubectl's line for this state.
	Message string
	// Desired, Updated, Ready and Available count replicas (pods for a DaemonSet).
	Desired, Updated, Ready, Available int32
	// Revision is the Deployment's revision annotation, the StatefulSet's update revision
	// or the DaemonSet's generation.
	Revision string
}

// DeploymentRollout is kubectl's DeploymentStatusViewer.
func DeploymentRollout(d *appsv1.Deployment) RolloutStatus {
	s := RolloutStatus{
		Desired:   rolloutReplicas(d.Spec.Replicas),
		Updated:   d.Status.UpdatedReplicas,
		Ready:     d.Status.ReadyReplicas,
		Available: d.Status.AvailableReplicas,
		Revision:  d.Annotations[RevisionAnnotation],
	}
	if d.Generation > d.Status.ObservedGeneration {
		s.Message = "Waiting for deployment spec update to be observed..."
		return s
	}
	if c := rolloutCondition(d.Status, appsv1.DeploymentProgressing); c != nil && c.Reason == progressDeadlineReason {
		s.Failed = true
		s.Message = fmt.Sprintf("deployment %q exceeded its progress deadline", d.Name)
		return s
	}
	switch {
	case d.Spec.Replicas != nil && d.Status.UpdatedReplicas < *d.Spec.Replicas:
		s.Message = fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...",
			d.Name, d.Status.UpdatedReplicas, *d.Spec.Replicas)
	case d.Status.Replicas > d.Status.UpdatedReplicas:
		s.Message = fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...",
			d.Name, d.Status.Replicas-d.Status.UpdatedReplicas)
	case d.Status.AvailableReplicas < d.Status.UpdatedReplicas:
		s.Message = fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...",
			d.Name, d.Status.AvailableReplicas, d.Status.UpdatedReplicas)
	default:
		s.Done = true
		s.Message = fmt.Sprintf("deployment %q successfully rolled out", d.Name)
	}
	return s
}

// StatefulSetRollout is kubectl's StatefulSetStatusViewer. Like kubectl, it reports a
// StatefulSet with a RollingUpdate block (the API server defaults one, partition 0) done
// once the updated pods reach replicas minus the partition, and one updated OnDelete as
// done with kubectl's "only available for RollingUpdate" text: nothing rolls it out.
func StatefulSetRollout(st *appsv1.StatefulSet) RolloutStatus {
	s := RolloutStatus{
		Desired:   rolloutReplicas(st.Spec.Replicas),
		Updated:   st.Status.UpdatedReplicas,
		Ready:     st.Status.ReadyReplicas,
		Available: st.Status.AvailableReplicas,
		Revision:  st.Status.UpdateRevision,
	}
	if st.Spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType {
		s.Done = true
		s.Message = fmt.Sprintf("rollout status is only available for %s strategy type", appsv1.RollingUpdateStatefulSetStrategyType)
		return s
	}
	if st.Status.ObservedGeneration == 0 || st.Generation > st.Status.ObservedGeneration {
		s.Message = "Waiting for statefulset spec update to be observed..."
		return s
	}
	if st.Spec.Replicas != nil && st.Status.ReadyReplicas < *st.Spec.Replicas {
		s.Message = fmt.Sprintf("Waiting for %d pods to be ready...", *st.Spec.Replicas-st.Status.ReadyReplicas)
		return s
	}
	if ru := st.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if st.Spec.Replicas != nil && ru.Partition != nil {
			if want := *st.Spec.Replicas - *ru.Partition; st.Status.UpdatedReplicas < want {
				s.Message = fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...",
					st.Status.UpdatedReplicas, want)
				return s
			}
		}
		s.Done = true
		s.Message = fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", st.Status.UpdatedReplicas)
		return s
	}
	if st.Status.UpdateRevision != st.Status.CurrentRevision {
		s.Message = fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...",
			st.Status.UpdatedReplicas, st.Status.UpdateRevision)
		return s
	}
	s.Done = true
	s.Message = fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...",
		st.Status.CurrentReplicas, st.Status.CurrentRevision)
	return s
}

// DaemonSetRollout is kubectl's DaemonSetStatusViewer. An OnDelete DaemonSet is reported
// done with kubectl's "only available for RollingUpdate" text, as for StatefulSets.
func DaemonSetRollout(ds *appsv1.DaemonSet) RolloutStatus {
	s := RolloutStatus{
		Desired:   ds.Status.DesiredNumberScheduled,
		Updated:   ds.Status.UpdatedNumberScheduled,
		Ready:     ds.Status.NumberReady,
		Available: ds.Status.NumberAvailable,
		// DaemonSets keep no revision on the object; the generation marks each spec change.
		Revision: fmt.Sprintf("generation %d", ds.Generation),
	}
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType {
		s.Done = true
		// kubectl names the StatefulSet constant here; both read "RollingUpdate".
		s.Message = fmt.Sprintf("rollout status is only available for %s strategy type", appsv1.RollingUpdateDaemonSetStrategyType)
		return s
	}
	if ds.Generation > ds.Status.ObservedGeneration {
		s.Message = "Waiting for daemon set spec update to be observed..."
		return s
	}
	switch {
	case ds.Status.UpdatedNumberScheduled < ds.Status.DesiredNumberScheduled:
		s.Message = fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...",
			ds.Name, ds.Status.UpdatedNumberScheduled, ds.Status.DesiredNumberScheduled)
	case ds.Status.NumberAvailable < ds.Status.DesiredNumberScheduled:
		s.Message = fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...",
			ds.Name, ds.Status.NumberAvailable, ds.Status.DesiredNumberScheduled)
	default:
		s.Done = true
		s.Message = fmt.Sprintf("daemon set %q successfully rolled out", ds.Name)
	}
	return s
}

// rolloutCondition returns the first condition of type ct, as deploymentutil does.
func rolloutCondition(st appsv1.DeploymentStatus, ct appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == ct {
			return &st.Conditions[i]
		}
	}
	return nil
}

// rolloutReplicas reads spec.replicas, which the API server defaults to 1.
func rolloutReplicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
