package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// podClass sorts a listed pod: of the new version, of an older one, or of neither (a pod
// the pod_selector matches that the workload does not own).
type podClass int

const (
	podOther podClass = iota
	podNew
	podOld
)

// podVersion describes how to tell the new version's pods from the others.
type podVersion struct {
	selector labels.Selector
	revision string
	desired  int32
	// label is the pod label holding the revision.
	label string
	// oldRevisions are the revisions of a Deployment's older ReplicaSets.
	oldRevisions map[string]bool
	// owner controls the old pods of a StatefulSet or DaemonSet.
	owner types.UID
	// all makes every listed pod new: no workload was named, only a pod_selector.
	all bool
}

// classify tells which version pod belongs to.
func (v podVersion) classify(pod *corev1.Pod) podClass {
	rev, labelled := pod.Labels[v.label]
	switch {
	case v.all:
		return podNew
	case v.revision != "" && labelled && rev == v.revision:
		return podNew
	case v.oldRevisions[rev]:
		return podOld
	case v.owner != "":
		if ref := metav1.GetControllerOf(pod); ref != nil && ref.UID == v.owner {
			return podOld
		}
	}
	return podOther
}

// resolve reads the workload and finds its new revision.
func (p *Pods) resolve(ctx context.Context) (podVersion, error) {
	t := p.sel.Target
	switch {
	case t.Name == "" && p.sel.Selector == "":
		return podVersion{}, errors.New("no workload and no pod_selector: nothing selects the pods")
	case t.Name == "":
		return podVersion{all: true}, nil
	}
	switch t.Kind {
	case KindDeployment, "":
		return p.deploymentVersion(ctx)
	case KindStatefulSet:
		return p.statefulSetVersion(ctx)
	case KindDaemonSet:
		return p.daemonSetVersion(ctx)
	}
	return podVersion{}, fmt.Errorf("kind %q is not followed", t.Kind)
}

// deploymentVersion finds the new ReplicaSet: the one owned by the Deployment whose pod
// template equals the Deployment's, ignoring the pod-template-hash label (the deployment
// controller's own rule). Until the controller has created it there are no new pods.
func (p *Pods) deploymentVersion(ctx context.Context) (podVersion, error) {
	t := p.sel.Target
	d, err := p.c.AppsV1().Deployments(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return podVersion{}, fmt.Errorf("get %s: %w", t, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return podVersion{}, fmt.Errorf("selector of %s: %w", t, err)
	}
	rss, err := p.c.AppsV1().ReplicaSets(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return podVersion{}, fmt.Errorf("list replicasets of %s: %w", t, err)
	}
	v := podVersion{selector: sel, desired: podsReplicas(d.Spec.Replicas), label: appsv1.DefaultDeploymentUniqueLabelKey,
		oldRevisions: map[string]bool{}}
	var newRS *appsv1.ReplicaSet
	for i := range rss.Items {
		rs := &rss.Items[i]
		if !metav1.IsControlledBy(rs, d) {
			continue
		}
		if podsTemplateEqual(rs.Spec.Template, d.Spec.Template) &&
			(newRS == nil || rs.CreationTimestamp.Before(&newRS.CreationTimestamp)) {
			if newRS != nil {
				v.oldRevisions[podsTemplateHash(newRS)] = true
			}
			newRS = rs
			continue
		}
		v.oldRevisions[podsTemplateHash(rs)] = true
	}
	if newRS != nil {
		v.revision = podsTemplateHash(newRS)
		delete(v.oldRevisions, v.revision)
	}
	return v, nil
}

// podsTemplateHash is the pod-template-hash of a ReplicaSet.
func podsTemplateHash(rs *appsv1.ReplicaSet) string {
	if h := rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; h != "" {
		return h
	}
	return rs.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
}

// podsTemplateEqual compares two pod templates ignoring the pod-template-hash label.
func podsTemplateEqual(a, b corev1.PodTemplateSpec) bool {
	strip := func(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
		t = *t.DeepCopy()
		delete(t.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
		if len(t.Labels) == 0 {
			t.Labels = nil
		}
		return t
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}

// statefulSetVersion takes status.updateRevision, once the controller has observed the
// current spec (before, the update revision is the previous one).
func (p *Pods) statefulSetVersion(ctx context.Context) (podVersion, error) {
	t := p.sel.Target
	s, err := p.c.AppsV1().StatefulSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return podVersion{}, fmt.Errorf("get %s: %w", t, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(s.Spec.Selector)
	if err != nil {
		return podVersion{}, fmt.Errorf("selector of %s: %w", t, err)
	}
	v := podVersion{selector: sel, desired: podsReplicas(s.Spec.Replicas), label: appsv1.StatefulSetRevisionLabel, owner: s.UID}
	if s.Status.ObservedGeneration >= s.Generation {
		v.revision = s.Status.UpdateRevision
	}
	return v, nil
}

// daemonSetVersion takes the newest ControllerRevision the DaemonSet owns, once the
// controller has observed the current spec.
func (p *Pods) daemonSetVersion(ctx context.Context) (podVersion, error) {
	t := p.sel.Target
	ds, err := p.c.AppsV1().DaemonSets(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	if err != nil {
		return podVersion{}, fmt.Errorf("get %s: %w", t, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return podVersion{}, fmt.Errorf("selector of %s: %w", t, err)
	}
	v := podVersion{selector: sel, desired: ds.Status.DesiredNumberScheduled, label: appsv1.DefaultDaemonSetUniqueLabelKey, owner: ds.UID}
	if ds.Status.ObservedGeneration < ds.Generation {
		return v, nil
	}
	crs, err := p.c.AppsV1().ControllerRevisions(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return podVersion{}, fmt.Errorf("list controllerrevisions of %s: %w", t, err)
	}
	var newest *appsv1.ControllerRevision
	for i := range crs.Items {
		cr := &crs.Items[i]
		if metav1.IsControlledBy(cr, ds) && (newest == nil || cr.Revision > newest.Revision) {
			newest = cr
		}
	}
	if newest != nil {
		v.revision = newest.Labels[appsv1.DefaultDaemonSetUniqueLabelKey]
		if v.revision == "" {
			v.revision = strings.TrimPrefix(newest.Name, ds.Name+"-")
		}
	}
	return v, nil
}

// podsReplicas reads a replica count, 1 when unset (the API's default).
func podsReplicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}
