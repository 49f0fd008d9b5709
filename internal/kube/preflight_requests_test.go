package kube

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"
)

// requested is the set of permissions the recorded requests used, as RBAC names them.
func requested(actions []k8stesting.Action) map[Permission]bool {
	out := map[Permission]bool{}
	for _, a := range actions {
		r := a.GetResource()
		out[Permission{Verb: a.GetVerb(), Group: r.Group, Resource: r.Resource, Subresource: a.GetSubresource()}] = true
	}
	return out
}

// TestPermissionsMatchRequests runs every feature's code over recording fake clientsets,
// for every kind of workload, and compares the requests it made with what Permissions
// asks for: each request is granted, and no permission is asked for that nothing uses.
func TestPermissionsMatchRequests(t *testing.T) {
	t.Parallel()
	workloads := []struct {
		target  Target
		objects []runtime.Object
	}{
		{Target{KindDeployment, "api", "shop"}, rbHistory(rbDeployment())},
		{Target{KindStatefulSet, "db", "shop"}, hObjects(hStatefulSet("db:3"), "StatefulSet", "db", 3)},
		{Target{KindDaemonSet, "agent", "ops"}, hObjects(hDaemonSet("agent:3"), "DaemonSet", "agent", 3)},
	}
	// A started container that restarted: both its logs are read.
	pod := PodState{Name: "p-1", UID: "uid-p-1", Containers: []ContainerState{{Name: "c", Running: true, Restarts: 1}}}
	run := map[Feature]func(t *testing.T, c *fake.Clientset, mc *metricsfake.Clientset, target Target){
		FeatureRollout: func(t *testing.T, c *fake.Clientset, _ *metricsfake.Clientset, target Target) {
			f, err := Follow(t.Context(), c, target)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Stop()
			// The informer lists, then watches: wait for the watch.
			deadline := time.Now().Add(30 * time.Second)
			for !requested(c.Actions())[Permission{"watch", "apps", workloadResource(target.Kind), ""}] {
				if time.Now().After(deadline) {
					t.Fatalf("no watch after 30s: %v", requested(c.Actions()))
				}
				time.Sleep(10 * time.Millisecond)
			}
		},
		FeaturePods: func(t *testing.T, c *fake.Clientset, _ *metricsfake.Clientset, target Target) {
			p := NewPods(c, PodSelection{Target: target, Start: fxStart})
			if _, err := p.Snapshot(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Events(t.Context(), []string{pod.Name}); err != nil {
				t.Fatal(err)
			}
		},
		FeatureLogs: func(t *testing.T, c *fake.Clientset, _ *metricsfake.Clientset, target Target) {
			w := NewLogWatch(c, target.Namespace, regexp.MustCompile("ERROR"), fxStart, nil)
			if _, err := w.Poll(t.Context(), []PodState{pod}); err != nil {
				t.Fatal(err)
			}
		},
		FeatureResources: func(t *testing.T, _ *fake.Clientset, mc *metricsfake.Clientset, target Target) {
			if _, err := Usage(t.Context(), mc, target.Namespace, []PodState{pod}); err != nil {
				t.Fatal(err)
			}
		},
		FeatureRollback: func(t *testing.T, c *fake.Clientset, _ *metricsfake.Clientset, target Target) {
			res, err := Undo(t.Context(), c, target, false)
			if err != nil || !res.Changed {
				t.Fatalf("Undo = %+v, %v; want a rollback performed", res, err)
			}
		},
	}
	for _, wl := range workloads {
		for _, f := range Features() {
			t.Run(wl.target.Kind+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				c := fake.NewClientset(wl.objects...)
				mc := metricsfake.NewSimpleClientset()
				c.ClearActions()
				run[f](t, c, mc, wl.target)
				got := requested(append(c.Actions(), mc.Actions()...))
				want := map[Permission]bool{}
				for _, p := range Permissions(wl.target, f) {
					want[p] = true
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Permissions (-) against the requests made (+):\n%s", diff)
				}
			})
		}
	}
}

func TestMetricsServed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		resources []*metav1.APIResourceList
		fail      bool
		want      bool
		wantErr   bool
	}{
		{name: "served", resources: []*metav1.APIResourceList{{GroupVersion: MetricsGroupVersion,
			APIResources: []metav1.APIResource{{Name: "pods", Namespaced: true, Kind: "PodMetrics"}}}}, want: true},
		{name: "not_served", resources: []*metav1.APIResourceList{{GroupVersion: "apps/v1"}}},
		{name: "discovery_fails", fail: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := fake.NewClientset()
			c.Discovery().(*fakediscovery.FakeDiscovery).Resources = tt.resources
			if tt.fail {
				c.PrependReactor("get", "resource", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, context.DeadlineExceeded
				})
			}
			got, err := MetricsServed(context.Background(), c)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("MetricsServed = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
