package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Undo follows kubectl's pkg/polymorphichelpers/rollback.go (v0.36.3): DeploymentRollbacker
// for Deployments, StatefulSetRollbacker and DaemonSetRollbacker (rollback_history.go)
// for the others, always to the previous revision (kubectl's --to-revision=0).

// RollbackResult is what Undo did, or would do in a dry run.
type RollbackResult struct {
	// FromRevision is the revision being left, ToRevision the one restored.
	FromRevision, ToRevision int64
	// Changed is false in a dry run, or when the workload already has the previous
	// revision's template.
	Changed bool
	// NothingToUndo reports a workload that already has the previous revision's template
	// (in a dry run too): there is nothing to roll back, and nothing to verify.
	NothingToUndo bool
	// Message says what happened in one line, in kubectl's terms.
	Message string
}

// Undo rolls workload t back to its previous revision as `kubectl rollout undo` does. A
// Deployment gets the pod template and annotations of its ReplicaSet with the second
// highest revision; a paused one is refused. A StatefulSet or DaemonSet gets the
// ControllerRevision before the newest patched back. With dryRun it only describes the
// rollback; a paused Deployment is refused in a dry run too, since the real one would be.
func Undo(ctx context.Context, c kubernetes.Interface, t Target, dryRun bool) (RollbackResult, error) {
	switch t.Kind {
	case KindDeployment:
		return undoDeployment(ctx, c, t, dryRun)
	case KindStatefulSet:
		return undoStatefulSet(ctx, c, t, dryRun)
	case KindDaemonSet:
		return undoDaemonSet(ctx, c, t, dryRun)
	}
	return RollbackResult{}, fmt.Errorf("kind %q cannot be rolled back", t.Kind)
}

// rollbackSkipAnnotations are kept from the Deployment rather than copied from the
// ReplicaSet (kubectl's annotationsToSkip).
var rollbackSkipAnnotations = map[string]bool{
	corev1.LastAppliedConfigAnnotation:          true,
	RevisionAnnotation:                          true,
	"deployment.kubernetes.io/revision-history": true,
	"deployment.kubernetes.io/desired-replicas": true,
	"deployment.kubernetes.io/max-replicas":     true,
	appsv1.DeprecatedRollbackTo:                 true,
}

func undoDeployment(ctx context.Context, c kubernetes.Interface, t Target, dryRun bool) (RollbackResult, error) {
	d, err := c.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return RollbackResult{}, workloadReadErr(t, err)
	}
	if d.Spec.Paused {
		return RollbackResult{}, fmt.Errorf("deployment %s is paused; resume it before rolling back", t.Name)
	}
	latest, prev, err := rollbackDeploymentRevisions(ctx, c, d)
	if err != nil {
		return RollbackResult{}, err
	}
	res := RollbackResult{FromRevision: latest.revision, ToRevision: prev.revision}
	if v, err := strconv.ParseInt(d.Annotations[RevisionAnnotation], 10, 64); err == nil {
		res.FromRevision = v
	}
	if rollbackTemplateEqual(&prev.rs.Spec.Template, &d.Spec.Template) {
		res.NothingToUndo = true
		res.Message = nothingToUndo(prev.revision)
		return res, nil
	}
	template := prev.rs.Spec.Template.DeepCopy()
	delete(template.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	if dryRun {
		res.Message = fmt.Sprintf("dry run: deployment %q would roll back from revision %d to revision %d (%s)",
			d.Name, res.FromRevision, res.ToRevision, rollbackImages(template))
		return res, nil
	}
	annotations := map[string]string{}
	for k := range rollbackSkipAnnotations {
		if v, ok := d.Annotations[k]; ok {
			annotations[k] = v
		}
	}
	for k, v := range prev.rs.Annotations {
		if !rollbackSkipAnnotations[k] {
			annotations[k] = v
		}
	}
	// kubectl replaces both wholesale with a JSON patch.
	patch, err := json.Marshal([]map[string]any{
		{"op": "replace", "path": "/spec/template", "value": template},
		{"op": "replace", "path": "/metadata/annotations", "value": annotations},
	})
	if err != nil {
		return RollbackResult{}, fmt.Errorf("restore revision %d: %w", prev.revision, err)
	}
	if _, err := c.AppsV1().Deployments(t.Namespace).Patch(ctx, t.Name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		return RollbackResult{}, fmt.Errorf("restore revision %d of deployment %s: %w", prev.revision, t.Name, err)
	}
	res.Changed = true
	res.Message = fmt.Sprintf("deployment %q rolled back from revision %d to revision %d", d.Name, res.FromRevision, res.ToRevision)
	return res, nil
}

// rollbackRS is a ReplicaSet with its parsed revision.
type rollbackRS struct {
	rs       *appsv1.ReplicaSet
	revision int64
}

// rollbackDeploymentRevisions finds the newest and the second newest revisions among the
// ReplicaSets d controls, as kubectl's deploymentRevision does with toRevision 0. Like
// kubectl, a ReplicaSet without the annotation counts as revision 0 and one with an
// unreadable annotation is skipped.
func rollbackDeploymentRevisions(ctx context.Context, c kubernetes.Interface, d *appsv1.Deployment) (latest, prev rollbackRS, err error) {
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return latest, prev, fmt.Errorf("selector of deployment %s: %w", d.Name, err)
	}
	list, err := c.AppsV1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return latest, prev, fmt.Errorf("list the replica sets of deployment %s: %w", d.Name, err)
	}
	latest.revision, prev.revision = -1, -1
	for i := range list.Items {
		rs := &list.Items[i]
		if !metav1.IsControlledBy(rs, d) {
			continue
		}
		v, ok := rollbackRevisionOf(rs.Annotations)
		if !ok {
			continue
		}
		switch {
		case v > latest.revision:
			prev, latest = latest, rollbackRS{rs: rs, revision: v}
		case v > prev.revision:
			prev = rollbackRS{rs: rs, revision: v}
		}
	}
	if prev.rs == nil {
		return latest, prev, fmt.Errorf("deployment %s has no previous revision to roll back to", d.Name)
	}
	return latest, prev, nil
}

// rollbackRevisionOf reads the revision annotation: absent is 0, unreadable is skipped.
func rollbackRevisionOf(a map[string]string) (int64, bool) {
	s, ok := a[RevisionAnnotation]
	if !ok {
		return 0, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// rollbackTemplateEqual compares pod templates ignoring the pod-template-hash label, which the
// Deployment's own template never has.
func rollbackTemplateEqual(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return apiequality.Semantic.DeepEqual(a, b)
}

// nothingToUndo says why a rollback changed nothing (kubectl: "skipped rollback").
func nothingToUndo(rev int64) string {
	return fmt.Sprintf("nothing to roll back: the template already equals revision %d", rev)
}

// rollbackImages lists a template's containers and images: "api=ghcr.io/shop/api:1.4".
func rollbackImages(t *corev1.PodTemplateSpec) string {
	parts := make([]string, 0, len(t.Spec.Containers))
	for _, c := range t.Spec.Containers {
		parts = append(parts, c.Name+"="+c.Image)
	}
	return strings.Join(parts, ", ")
}

// workloadReadErr words a failed read of the workload.
func workloadReadErr(t Target, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s not found in namespace %s", workloadWord(t.Kind), t.Name, t.Namespace)
	}
	return fmt.Errorf("read %s: %w", t, err)
}
