package kube

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// StatefulSets and DaemonSets keep their history as ControllerRevisions whose data is a
// strategic merge patch replacing spec.template. kubectl rolls back by applying the one
// before the newest; it skips the rollback when the current object would produce the
// same patch. The controllers encode the patch as below (StatefulSets through the apps/v1
// codec, DaemonSets with encoding/json), so the byte comparison holds.

// rollbackAppsCodec encodes apps/v1 objects as the StatefulSet controller does.
var rollbackAppsCodec = scheme.Codecs.LegacyCodec(appsv1.SchemeGroupVersion)

// historyUndo is the kind-specific part of a ControllerRevision rollback.
type historyUndo struct {
	obj      metav1.Object
	selector *metav1.LabelSelector
	// current is the object's own patch, to compare with the revision's.
	current func() ([]byte, error)
	// template applies a revision's patch to a copy of the object, for the dry run.
	template func(rev *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error)
	patch    func(ctx context.Context, data []byte) error
}

func undoStatefulSet(ctx context.Context, c kubernetes.Interface, t Target, dryRun bool) (RollbackResult, error) {
	api := c.AppsV1().StatefulSets(t.Namespace)
	s, err := api.Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return RollbackResult{}, workloadReadErr(t, err)
	}
	return undoHistory(ctx, c, t, dryRun, historyUndo{
		obj:      s,
		selector: s.Spec.Selector,
		current: func() ([]byte, error) {
			b, err := runtime.Encode(rollbackAppsCodec, s)
			if err != nil {
				return nil, err
			}
			return rollbackTemplatePatch(b)
		},
		template: func(rev *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
			var out appsv1.StatefulSet
			if err := rollbackApplyRevision(s, rev, &out); err != nil {
				return nil, err
			}
			return &out.Spec.Template, nil
		},
		patch: func(ctx context.Context, data []byte) error {
			_, err := api.Patch(ctx, t.Name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
			return err
		},
	})
}

func undoDaemonSet(ctx context.Context, c kubernetes.Interface, t Target, dryRun bool) (RollbackResult, error) {
	api := c.AppsV1().DaemonSets(t.Namespace)
	d, err := api.Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return RollbackResult{}, workloadReadErr(t, err)
	}
	return undoHistory(ctx, c, t, dryRun, historyUndo{
		obj:      d,
		selector: d.Spec.Selector,
		current: func() ([]byte, error) {
			b, err := json.Marshal(d)
			if err != nil {
				return nil, err
			}
			return rollbackTemplatePatch(b)
		},
		template: func(rev *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
			var out appsv1.DaemonSet
			if err := rollbackApplyRevision(d, rev, &out); err != nil {
				return nil, err
			}
			return &out.Spec.Template, nil
		},
		patch: func(ctx context.Context, data []byte) error {
			_, err := api.Patch(ctx, t.Name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
			return err
		},
	})
}

// undoHistory is kubectl's StatefulSetRollbacker/DaemonSetRollbacker with toRevision 0.
func undoHistory(ctx context.Context, c kubernetes.Interface, t Target, dryRun bool, h historyUndo) (RollbackResult, error) {
	kind := workloadWord(t.Kind)
	selector, err := metav1.LabelSelectorAsSelector(h.selector)
	if err != nil {
		return RollbackResult{}, fmt.Errorf("selector of %s %s: %w", kind, t.Name, err)
	}
	list, err := c.AppsV1().ControllerRevisions(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return RollbackResult{}, fmt.Errorf("list the controller revisions of %s %s: %w", kind, t.Name, err)
	}
	var history []*appsv1.ControllerRevision
	for i := range list.Items {
		if metav1.IsControlledBy(&list.Items[i], h.obj) {
			history = append(history, &list.Items[i])
		}
	}
	if len(history) <= 1 {
		return RollbackResult{}, fmt.Errorf("%s %s has no previous revision to roll back to", kind, t.Name)
	}
	slices.SortStableFunc(history, func(a, b *appsv1.ControllerRevision) int {
		return int(min(max(a.Revision-b.Revision, -1), 1))
	})
	to := history[len(history)-2]
	res := RollbackResult{FromRevision: history[len(history)-1].Revision, ToRevision: to.Revision}
	current, err := h.current()
	if err != nil {
		return RollbackResult{}, fmt.Errorf("encode %s %s: %w", kind, t.Name, err)
	}
	if bytes.Equal(current, to.Data.Raw) {
		res.NothingToUndo = true
		res.Message = nothingToUndo(to.Revision)
		return res, nil
	}
	if dryRun {
		tmpl, err := h.template(to)
		if err != nil {
			return RollbackResult{}, fmt.Errorf("apply revision %d of %s %s: %w", to.Revision, kind, t.Name, err)
		}
		res.Message = fmt.Sprintf("dry run: %s %q would roll back from revision %d to revision %d (%s)",
			kind, t.Name, res.FromRevision, res.ToRevision, rollbackImages(tmpl))
		return res, nil
	}
	if err := h.patch(ctx, to.Data.Raw); err != nil {
		return RollbackResult{}, fmt.Errorf("restore revision %d of %s %s: %w", to.Revision, kind, t.Name, err)
	}
	res.Changed = true
	res.Message = fmt.Sprintf("%s %q rolled back from revision %d to revision %d", kind, t.Name, res.FromRevision, res.ToRevision)
	return res, nil
}

// rollbackTemplatePatch turns an encoded object into the patch its controller records: its
// spec.template, marked to replace the whole template.
func rollbackTemplatePatch(encoded []byte) ([]byte, error) {
	var raw map[string]any
	if err := json.Unmarshal(encoded, &raw); err != nil {
		return nil, err
	}
	spec, _ := raw["spec"].(map[string]any)
	template, _ := spec["template"].(map[string]any)
	if template == nil {
		return nil, fmt.Errorf("no spec.template")
	}
	template["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": template}})
}

// rollbackApplyRevision applies a revision's patch to a copy of obj into out.
func rollbackApplyRevision(obj any, rev *appsv1.ControllerRevision, out any) error {
	original, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	patched, err := strategicpatch.StrategicMergePatch(original, rev.Data.Raw, obj)
	if err != nil {
		return err
	}
	return json.Unmarshal(patched, out)
}
