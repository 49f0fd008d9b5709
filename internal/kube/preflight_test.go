package kube

import (
	"context"
	"errors"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestPermissions(t *testing.T) {
	t.Parallel()
	p := func(verb, group, resource, sub string) Permission { return Permission{verb, group, resource, sub} }
	deploy := Target{KindDeployment, "api", "shop"}
	sts := Target{KindStatefulSet, "db", "shop"}
	ds := Target{KindDaemonSet, "agent", "ops"}
	tests := []struct {
		name    string
		target  Target
		feature Feature
		want    []Permission
	}{
		{"rollout_deployment", deploy, FeatureRollout, []Permission{p("get", "apps", "deployments", ""), p("list", "apps", "deployments", ""), p("watch", "apps", "deployments", "")}},
		{"rollout_statefulset", sts, FeatureRollout, []Permission{p("get", "apps", "statefulsets", ""), p("list", "apps", "statefulsets", ""), p("watch", "apps", "statefulsets", "")}},
		{"pods_deployment", deploy, FeaturePods, []Permission{p("list", "", "pods", ""), p("list", "apps", "replicasets", ""),
			p("get", "apps", "deployments", ""), p("list", "", "events", "")}},
		{"pods_daemonset", ds, FeaturePods, []Permission{p("list", "", "pods", ""), p("list", "apps", "controllerrevisions", ""),
			p("get", "apps", "daemonsets", ""), p("list", "", "events", "")}},
		{"pods_statefulset", sts, FeaturePods, []Permission{p("list", "", "pods", ""),
			p("get", "apps", "statefulsets", ""), p("list", "", "events", "")}},
		{"logs", deploy, FeatureLogs, []Permission{p("get", "", "pods", "log")}},
		{"resources", sts, FeatureResources, []Permission{p("list", "metrics.k8s.io", "pods", "")}},
		{"rollback_deployment", deploy, FeatureRollback, []Permission{p("get", "apps", "deployments", ""), p("patch", "apps", "deployments", ""),
			p("list", "apps", "replicasets", "")}},
		{"rollback_daemonset", ds, FeatureRollback, []Permission{p("get", "apps", "daemonsets", ""), p("patch", "apps", "daemonsets", ""),
			p("list", "apps", "controllerrevisions", "")}},
		{"unknown_feature", deploy, Feature("telepathy"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Permissions(tt.target, tt.feature)); diff != "" {
				t.Errorf("Permissions (-want +got):\n%s", diff)
			}
		})
	}
}

// reviewer answers SelfSubjectAccessReviews, denying the permissions in deny, and keeps
// what it was asked.
type reviewer struct {
	mu    sync.Mutex
	deny  map[string]bool // "verb object" as Permission.String writes it
	asked []authorizationv1.ResourceAttributes
}

func (r *reviewer) react(a k8stesting.Action) (bool, runtime.Object, error) {
	review := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
	attrs := *review.Spec.ResourceAttributes
	r.mu.Lock()
	r.asked = append(r.asked, attrs)
	r.mu.Unlock()
	key := Permission{attrs.Verb, attrs.Group, attrs.Resource, attrs.Subresource}.String()
	out := review.DeepCopy()
	out.Status.Allowed = !r.deny[key]
	if !out.Status.Allowed {
		out.Status.Reason = "RBAC: no rule grants it"
	}
	return true, out, nil
}

func TestPreflight(t *testing.T) {
	t.Parallel()
	target := Target{KindDeployment, "api", "shop"}
	tests := []struct {
		name     string
		features []Feature
		deny     []string
		want     []string
	}{
		{"all_granted", Features(), nil, nil},
		{"one_line_per_missing_permission", Features(),
			[]string{"watch deployments.apps", "get pods/log", "list pods.metrics.k8s.io"},
			[]string{
				"cannot watch deployments.apps in namespace shop (needed to follow the rollout)",
				"cannot get pods/log in namespace shop (needed to read the pods' logs)",
				"cannot list pods.metrics.k8s.io in namespace shop (needed to read the pods' CPU and memory)",
			}},
		{"shared_permission_names_every_feature", Features(),
			[]string{"get deployments.apps", "list replicasets.apps"},
			[]string{
				"cannot get deployments.apps in namespace shop (needed to follow the rollout, check the pods' health and roll back)",
				"cannot list replicasets.apps in namespace shop (needed to check the pods' health and roll back)",
			}},
		{"only_enabled_features_asked", []Feature{FeatureRollout},
			[]string{"patch deployments.apps", "get pods/log"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &reviewer{deny: map[string]bool{}}
			for _, d := range tt.deny {
				r.deny[d] = true
			}
			cs := fake.NewClientset()
			cs.PrependReactor("create", "selfsubjectaccessreviews", r.react)
			got, err := Preflight(context.Background(), cs, target, tt.features)
			if err != nil {
				t.Fatalf("Preflight: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			var wantAsked int
			seen := map[Permission]bool{}
			for _, f := range tt.features {
				for _, p := range Permissions(target, f) {
					if !seen[p] {
						seen[p] = true
						wantAsked++
					}
				}
			}
			if len(r.asked) != wantAsked {
				t.Errorf("%d reviews, want one per distinct permission (%d)", len(r.asked), wantAsked)
			}
			for _, a := range r.asked {
				if a.Namespace != "shop" {
					t.Errorf("review in namespace %q", a.Namespace)
				}
				// Questions about the workload name it, so a resourceNames-scoped Role passes.
				if onTarget := a.Resource == "deployments"; onTarget != (a.Name == "api") {
					t.Errorf("review of %s %s names %q", a.Verb, a.Resource, a.Name)
				}
			}
		})
	}
}

func TestPreflightFailures(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nil)
	srv.Close()
	closed, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	reviewsFail := fake.NewClientset()
	reviewsFail.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("the server is on fire")
	})
	tests := []struct {
		name   string
		client kubernetes.Interface
		want   string
	}{
		{"api_unreachable", closed, "kubernetes API unreachable: "},
		{"review_fails", reviewsFail, "access review of get deployments.apps: the server is on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			missing, err := Preflight(context.Background(), tt.client, Target{KindDeployment, "api", "shop"}, Features())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || missing != nil {
				t.Errorf("Preflight = %v, %v; want one error starting %q", missing, err, tt.want)
			}
		})
	}
}

func TestRBAC(t *testing.T) {
	t.Parallel()
	got := RBAC("shop", "deploywatch", []string{KindDeployment, "statefulset", KindDaemonSet}, Features())
	golden := filepath.Join("testdata", "rbac.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/kube -run TestRBAC -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("RBAC differs from %s (-want +got):\n%s", golden, diff)
	}

	// The YAML is two valid documents whose rules grant exactly what Permissions lists.
	type rule struct {
		APIGroups []string `yaml:"apiGroups"`
		Resources []string `yaml:"resources"`
		Verbs     []string `yaml:"verbs"`
	}
	var role struct {
		Kind  string `yaml:"kind"`
		Rules []rule `yaml:"rules"`
	}
	dec := yaml.NewDecoder(strings.NewReader(got))
	if err := dec.Decode(&role); err != nil || role.Kind != "Role" {
		t.Fatalf("first document: kind %q, %v", role.Kind, err)
	}
	granted := map[Permission]bool{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				name, sub, _ := strings.Cut(res, "/")
				for _, v := range r.Verbs {
					granted[Permission{v, g, name, sub}] = true
				}
			}
		}
	}
	wantGranted := map[Permission]bool{}
	for _, k := range []string{KindDeployment, KindStatefulSet, KindDaemonSet} {
		for _, f := range Features() {
			for _, p := range Permissions(Target{Kind: k, Name: "x", Namespace: "shop"}, f) {
				wantGranted[p] = true
			}
		}
	}
	if diff := cmp.Diff(wantGranted, granted); diff != "" {
		t.Errorf("granted permissions (-want +got):\n%s", diff)
	}
	var binding struct {
		Kind     string `yaml:"kind"`
		Subjects []struct {
			Kind, Name, Namespace string
		} `yaml:"subjects"`
	}
	if err := dec.Decode(&binding); err != nil || binding.Kind != "RoleBinding" || len(binding.Subjects) != 1 ||
		binding.Subjects[0].Name != "deploywatch" || binding.Subjects[0].Kind != "ServiceAccount" {
		t.Errorf("second document: %+v, %v", binding, err)
	}
}

// TestREADMERole: the Role the README ships is the golden RBAC output, byte for byte, so
// the documented Role is the one the code needs (and the one the real-cluster test binds).
func TestREADMERole(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const intro = "The minimal Role for all features:\n\n```yaml\n"
	_, rest, ok := strings.Cut(string(readme), intro)
	block, _, closed := strings.Cut(rest, "```\n")
	if !ok || !closed {
		t.Fatalf("README.md has no yaml block after %q", strings.TrimSpace(intro))
	}
	want, err := os.ReadFile(filepath.Join("testdata", "rbac.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), block); diff != "" {
		t.Errorf("README Role differs from testdata/rbac.golden.yaml (-golden +README):\n%s", diff)
	}
}

// TestPreflightHungAPI: an API that never answers fails the preflight when ctx ends.
func TestPreflightHungAPI(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		cs := fake.NewClientset()
		cs.PrependReactor("get", "version", func(k8stesting.Action) (bool, runtime.Object, error) {
			<-release
			return true, nil, errors.New("too late")
		})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err := Preflight(ctx, cs, Target{KindDeployment, "api", "shop"}, Features())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Preflight = %v, want the deadline", err)
		}
	})
}
