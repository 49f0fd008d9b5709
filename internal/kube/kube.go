// Package kube is deploywatch's Kubernetes library, over client-go: access and preflight,
// the rollout status of a workload (kubectl rollout status semantics, as pure functions of
// the objects plus a watch), the health of the new version's pods (restarts since the
// start, waiting reasons, events), their logs and resource use, and rollback (kubectl
// rollout undo semantics). The checks in internal/check wrap it; only internal/app wires it.
package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Kinds of workload deploywatch follows.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindDaemonSet   = "DaemonSet"
)

// Target is the workload being deployed.
type Target struct {
	Kind      string
	Name      string
	Namespace string
}

func (t Target) String() string { return strings.ToLower(t.Kind) + "/" + t.Name }

// ParseTarget reads the deployment input: "api" (a Deployment) or "kind/name" with kind
// deployment, statefulset or daemonset (case-insensitive, short names deploy, sts, ds).
func ParseTarget(s, namespace string) (Target, error) {
	s = strings.TrimSpace(s)
	kind, name, ok := strings.Cut(s, "/")
	if !ok {
		kind, name = KindDeployment, s
	} else {
		switch strings.ToLower(kind) {
		case "deployment", "deployments", "deploy":
			kind = KindDeployment
		case "statefulset", "statefulsets", "sts":
			kind = KindStatefulSet
		case "daemonset", "daemonsets", "ds":
			kind = KindDaemonSet
		default:
			return Target{}, fmt.Errorf("kind %q is not followed; allowed: deployment, statefulset, daemonset", kind)
		}
	}
	if !validName(name) {
		return Target{}, fmt.Errorf("%q is not a Kubernetes object name (lowercase letters, digits, '-' and '.')", name)
	}
	if namespace == "" {
		namespace = "default"
	}
	return Target{Kind: kind, Name: name, Namespace: namespace}, nil
}

// validName checks an RFC 1123 subdomain, the rule for workload names.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '-' || r == '.') && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// retryTransient calls fn until it succeeds, fails in a way another try cannot change, or
// ctx ends: one 5xx or 429 from a busy API server must not stop a run that has barely
// started.
func retryTransient(ctx context.Context, fn func() error) error {
	wait := 200 * time.Millisecond
	for {
		err := fn()
		if err == nil || !transientAPIError(err) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// transientAPIError reports an answer of the API server worth another try: a 5xx or a 429.
func transientAPIError(err error) bool {
	var s apierrors.APIStatus
	if !errors.As(err, &s) {
		return false
	}
	code := s.Status().Code
	return code >= http.StatusInternalServerError || code == http.StatusTooManyRequests
}
