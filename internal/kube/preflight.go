package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
)

// Feature is a part of deploywatch that needs Kubernetes permissions.
type Feature string

// Features, in the order their permissions are listed.
const (
	FeatureRollout   Feature = "rollout"
	FeaturePods      Feature = "pods"
	FeatureLogs      Feature = "logs"
	FeatureResources Feature = "resources"
	FeatureRollback  Feature = "rollback"
)

// Features lists every feature.
func Features() []Feature {
	return []Feature{FeatureRollout, FeaturePods, FeatureLogs, FeatureResources, FeatureRollback}
}

// purpose says what a feature does, for "needed to ..." messages.
func (f Feature) purpose() string {
	switch f {
	case FeatureRollout:
		return "follow the rollout"
	case FeaturePods:
		return "check the pods' health"
	case FeatureLogs:
		return "read the pods' logs"
	case FeatureResources:
		return "read the pods' CPU and memory"
	case FeatureRollback:
		return "roll back"
	}
	return string(f)
}

// Permission is one verb on one kind of object, as RBAC and SelfSubjectAccessReview name it.
type Permission struct {
	Verb, Group, Resource, Subresource string
}

// String names the permission as kubectl auth can-i does: "watch deployments.apps",
// "get pods/log".
func (p Permission) String() string {
	return p.Verb + " " + p.object()
}

// object is the resource with its group and subresource: "deployments.apps", "pods/log".
func (p Permission) object() string {
	s := p.Resource
	if p.Group != "" {
		s += "." + p.Group
	}
	if p.Subresource != "" {
		s += "/" + p.Subresource
	}
	return s
}

// workloadResource is the API resource of a workload kind.
func workloadResource(kind string) string {
	switch kind {
	case KindStatefulSet:
		return "statefulsets"
	case KindDaemonSet:
		return "daemonsets"
	}
	return "deployments"
}

// Permissions lists what feature f needs on target t, and nothing more: exactly the
// requests its code makes (TestPermissionsMatchRequests runs each feature over a recording
// clientset to keep it so).
func Permissions(t Target, f Feature) []Permission {
	workload := func(verbs ...string) []Permission {
		var ps []Permission
		for _, v := range verbs {
			ps = append(ps, Permission{Verb: v, Group: "apps", Resource: workloadResource(t.Kind)})
		}
		return ps
	}
	switch f {
	case FeatureRollout:
		// One read, then an informer (list and watch) and a poll by name.
		return workload("get", "list", "watch")
	case FeaturePods:
		// Each round lists the pods; nothing watches them.
		ps := []Permission{{Verb: "list", Resource: "pods"}}
		switch t.Kind {
		case KindDeployment, "":
			// The new version's pods are the new ReplicaSet's.
			ps = append(ps, Permission{Verb: "list", Group: "apps", Resource: "replicasets"})
		case KindDaemonSet:
			// A DaemonSet's new revision is its newest ControllerRevision.
			ps = append(ps, Permission{Verb: "list", Group: "apps", Resource: "controllerrevisions"})
		}
		// The pods are read by the workload's selector: the workload itself.
		ps = append(ps, Permission{Verb: "get", Group: "apps", Resource: workloadResource(t.Kind)})
		return append(ps, Permission{Verb: "list", Resource: "events"})
	case FeatureLogs:
		return []Permission{{Verb: "get", Resource: "pods", Subresource: "log"}}
	case FeatureResources:
		return []Permission{{Verb: "list", Group: "metrics.k8s.io", Resource: "pods"}}
	case FeatureRollback:
		// Undo reads the workload, lists its history (the revisions are read from the list,
		// never one by one) and patches the workload. Following the rollback and checking
		// its pods again needs what the rollout and pods features need.
		ps := workload("get", "patch")
		history := "controllerrevisions"
		if t.Kind == KindDeployment || t.Kind == "" {
			history = "replicasets"
		}
		return append(ps, Permission{Verb: "list", Group: "apps", Resource: history})
	}
	return nil
}

// preflightNeed is a permission and the features that need it, in feature order.
type preflightNeed struct {
	perm     Permission
	features []Feature
}

// preflightCollect merges the permissions of several features on several targets, keeping the
// order of first appearance.
func preflightCollect(targets []Target, features []Feature) []preflightNeed {
	var out []preflightNeed
	index := map[Permission]int{}
	for _, f := range features {
		for _, t := range targets {
			for _, p := range Permissions(t, f) {
				i, ok := index[p]
				if !ok {
					index[p] = len(out)
					out = append(out, preflightNeed{perm: p})
					i = len(out) - 1
				}
				if !slices.Contains(out[i].features, f) {
					out[i].features = append(out[i].features, f)
				}
			}
		}
	}
	return out
}

// preflightPurposes joins what the features do: "follow the rollout and roll back".
func preflightPurposes(fs []Feature) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.purpose()
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// Preflight proves the API answers, then asks the API server (SelfSubjectAccessReview)
// whether the credentials hold every permission the features need. It returns one line
// per missing permission naming what needs it; an unreachable API or a failed review is
// an error.
func Preflight(ctx context.Context, c kubernetes.Interface, t Target, features []Feature) ([]string, error) {
	if err := preflightReach(ctx, c); err != nil {
		return nil, fmt.Errorf("kubernetes API unreachable: %w", err)
	}
	var missing []string
	for _, n := range preflightCollect([]Target{t}, features) {
		attrs := &authorizationv1.ResourceAttributes{
			Namespace:   t.Namespace,
			Verb:        n.perm.Verb,
			Group:       n.perm.Group,
			Resource:    n.perm.Resource,
			Subresource: n.perm.Subresource,
		}
		if n.perm.Group == "apps" && n.perm.Resource == workloadResource(t.Kind) {
			// deploywatch only touches the target, so a Role scoped to it by
			// resourceNames is enough: ask about that object.
			attrs.Name = t.Name
		}
		review := &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attrs},
		}
		got, err := accessReview(ctx, c, review)
		if err != nil {
			return nil, fmt.Errorf("access review of %s: %w", n.perm, err)
		}
		if !got.Status.Allowed {
			missing = append(missing, fmt.Sprintf("cannot %s in namespace %s (needed to %s)",
				n.perm, t.Namespace, preflightPurposes(n.features)))
		}
	}
	return missing, nil
}

// preflightReach asks the server's version, giving up when ctx ends.
func preflightReach(ctx context.Context, c kubernetes.Interface) error {
	return discoveryCall(ctx, func() error {
		_, err := c.Discovery().ServerVersion()
		return err
	})
}

// discoveryCall runs a discovery request, giving up when ctx ends: discovery takes no
// context, and an API behind a black hole would hold the start for the dial timeout.
func discoveryCall(ctx context.Context, call func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- call() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// MetricsGroupVersion is the metrics API the resources feature reads.
const MetricsGroupVersion = "metrics.k8s.io/v1beta1"

// MetricsServed reports whether the cluster serves the metrics API (a metrics-server is
// installed). Without it the resources feature is off, and its permission is not asked
// for. A 404 is a plain no; any other failure is returned.
func MetricsServed(ctx context.Context, c kubernetes.Interface) (bool, error) {
	err := discoveryCall(ctx, func() error {
		_, err := c.Discovery().ServerResourcesForGroupVersion(MetricsGroupVersion)
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("discover %s: %w", MetricsGroupVersion, err)
}

// rbacVerbOrder is the order verbs are written in a rule, reads before writes.
var rbacVerbOrder = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

// RBAC renders the minimal Role granting the features' permissions on workloads of the
// given kinds in namespace, and the RoleBinding granting it to the ServiceAccount.
func RBAC(namespace, serviceAccount string, kinds []string, features []Feature) string {
	var targets []Target
	for _, k := range kinds {
		targets = append(targets, Target{Kind: rbacKind(k), Namespace: namespace})
	}
	type rule struct {
		group, resource string
		verbs           []string
		features        []Feature
	}
	var rules []*rule
	byObject := map[[2]string]*rule{}
	for _, n := range preflightCollect(targets, features) {
		res := n.perm.Resource
		if n.perm.Subresource != "" {
			res += "/" + n.perm.Subresource
		}
		key := [2]string{n.perm.Group, res}
		r, ok := byObject[key]
		if !ok {
			r = &rule{group: n.perm.Group, resource: res}
			byObject[key] = r
			rules = append(rules, r)
		}
		if !slices.Contains(r.verbs, n.perm.Verb) {
			r.verbs = append(r.verbs, n.perm.Verb)
		}
		for _, f := range n.features {
			if !slices.Contains(r.features, f) {
				r.features = append(r.features, f)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Minimal permissions for deploywatch in namespace %s (%s).\n", namespace, rbacFeatures(features))
	b.WriteString("# The preflight's SelfSubjectAccessReviews need no grant: every authenticated user may create them.\n")
	b.WriteString("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n")
	fmt.Fprintf(&b, "  name: deploywatch\n  namespace: %s\nrules:\n", namespace)
	for _, r := range rules {
		slices.SortFunc(r.verbs, func(a, b string) int { return slices.Index(rbacVerbOrder, a) - slices.Index(rbacVerbOrder, b) })
		fmt.Fprintf(&b, "  # to %s\n", preflightPurposes(r.features))
		fmt.Fprintf(&b, "  - apiGroups: [%q]\n    resources: [%q]\n    verbs: [%s]\n", r.group, r.resource, rbacQuoted(r.verbs))
	}
	b.WriteString("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n")
	fmt.Fprintf(&b, "  name: deploywatch\n  namespace: %s\n", namespace)
	fmt.Fprintf(&b, "subjects:\n  - kind: ServiceAccount\n    name: %s\n    namespace: %s\n", serviceAccount, namespace)
	b.WriteString("roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: deploywatch\n")
	return b.String()
}

// rbacKind reads a kind however it is spelled ("deployment", "StatefulSet").
func rbacKind(k string) string {
	for _, c := range []string{KindDeployment, KindStatefulSet, KindDaemonSet} {
		if strings.EqualFold(k, c) {
			return c
		}
	}
	return k
}

func rbacFeatures(fs []Feature) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = string(f)
	}
	return "features: " + strings.Join(parts, ", ")
}

func rbacQuoted(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(parts, ", ")
}
