package kube

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// watchDeploy is the Deployment api in shop at generation 2, its status observed at
// observed with the given counts.
func watchDeploy(observed int64, updated, available int32) *appsv1.Deployment {
	d := rolloutDeploy(rolloutPtr(5), 2, observed, appsv1.DeploymentStatus{
		Replicas: max(5, updated), UpdatedReplicas: updated, ReadyReplicas: available, AvailableReplicas: available})
	d.ResourceVersion = ""
	return d
}

// pending reports whether ch holds a notice, consuming it.
func pending(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func closed(ch <-chan struct{}) bool { return pending(ch) }

// updateStatus writes d's status through the fake clientset, as the controller would.
func updateStatus(t *testing.T, cs *fake.Clientset, d *appsv1.Deployment) {
	t.Helper()
	if _, err := cs.AppsV1().Deployments(d.Namespace).UpdateStatus(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status: %v", err)
	}
}

func TestFollowDeployment(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		other := watchDeploy(1, 0, 0)
		other.Name = "web"
		cs := fake.NewClientset(watchDeploy(1, 0, 0), other)
		f, err := Follow(t.Context(), cs, Target{KindDeployment, "api", "shop"})
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		defer f.Stop()
		synctest.Wait()
		if got := f.Status().Message; got != "Waiting for deployment spec update to be observed..." {
			t.Errorf("initial message = %q", got)
		}
		if pending(f.Changed()) || closed(f.Done()) {
			t.Fatal("a notice before any change")
		}

		// Another Deployment changing is no change of ours.
		updateStatus(t, cs, func() *appsv1.Deployment { d := watchDeploy(2, 5, 5); d.Name = "web"; return d }())
		synctest.Wait()
		if pending(f.Changed()) {
			t.Error("Changed fired for another Deployment")
		}

		steps := []struct {
			d       *appsv1.Deployment
			message string
			done    bool
		}{
			{watchDeploy(2, 3, 2), `Waiting for deployment "api" rollout to finish: 3 out of 5 new replicas have been updated...`, false},
			{watchDeploy(2, 5, 3), `Waiting for deployment "api" rollout to finish: 3 of 5 updated replicas are available...`, false},
			{watchDeploy(2, 5, 5), `deployment "api" successfully rolled out`, true},
		}
		for _, s := range steps {
			updateStatus(t, cs, s.d)
			synctest.Wait()
			if !pending(f.Changed()) {
				t.Errorf("no change notice for %q", s.message)
			}
			if got := f.Status(); got.Message != s.message || got.Done != s.done {
				t.Errorf("status = %+v, want message %q done %v", got, s.message, s.done)
			}
			if closed(f.Done()) != s.done {
				t.Errorf("Done closed = %v, want %v at %q", !s.done, s.done, s.message)
			}
		}
		// The same status again is no change.
		updateStatus(t, cs, watchDeploy(2, 5, 5))
		synctest.Wait()
		if pending(f.Changed()) {
			t.Error("Changed fired without a status change")
		}
		if f.Err() != nil {
			t.Errorf("Err = %v", f.Err())
		}
	})
}

func TestFollowProgressDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		cs := fake.NewClientset(watchDeploy(2, 2, 4))
		f, err := Follow(t.Context(), cs, Target{KindDeployment, "api", "shop"})
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		defer f.Stop()
		stuck := watchDeploy(2, 2, 4)
		stuck.Status.Conditions = rolloutCond("ProgressDeadlineExceeded")
		updateStatus(t, cs, stuck)
		synctest.Wait()
		if !closed(f.Done()) || !f.Status().Failed {
			t.Fatalf("after the deadline: done %v, status %+v", closed(f.Done()), f.Status())
		}
		if got, want := f.Status().Message, `deployment "api" exceeded its progress deadline`; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
}

func TestFollowDeleted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		cs := fake.NewClientset(watchDeploy(2, 3, 3))
		f, err := Follow(t.Context(), cs, Target{KindDeployment, "api", "shop"})
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		defer f.Stop()
		synctest.Wait()
		if err := cs.AppsV1().Deployments("shop").Delete(t.Context(), "api", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !pending(f.Changed()) || !closed(f.Done()) {
			t.Error("deletion did not notify and end the wait")
		}
		if err := f.Err(); err == nil || err.Error() != "deployment api was deleted" {
			t.Errorf("Err = %v, want deployment api was deleted", err)
		}
	})
}

func TestFollowMissing(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	_, err := Follow(t.Context(), cs, Target{KindStatefulSet, "db", "shop"})
	if err == nil || err.Error() != "statefulset db not found in namespace shop" {
		t.Errorf("Follow = %v, want not found", err)
	}
}

// TestFollowRewatches cuts the watch stream and expires the next watch (410 Gone): the
// follower must list and watch again and still see the rollout finish.
func TestFollowRewatches(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		cs := fake.NewClientset(watchDeploy(2, 3, 3))
		var mu sync.Mutex
		var watches []watch.Interface
		cs.PrependWatchReactor("deployments", func(a k8stesting.Action) (bool, watch.Interface, error) {
			mu.Lock()
			defer mu.Unlock()
			if len(watches) == 1 {
				watches = append(watches, nil)
				return true, nil, apierrors.NewResourceExpired("too old resource version")
			}
			w, err := cs.Tracker().Watch(a.GetResource(), a.GetNamespace(), a.(k8stesting.WatchActionImpl).ListOptions)
			watches = append(watches, w)
			return true, w, err
		})
		f, err := Follow(t.Context(), cs, Target{KindDeployment, "api", "shop"})
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		defer f.Stop()
		synctest.Wait()
		mu.Lock()
		first := watches[0]
		mu.Unlock()
		first.Stop() // the server closes the stream
		// The informer retries with backoff; in the bubble, sleeping advances a fake clock.
		time.Sleep(time.Minute)
		synctest.Wait()
		updateStatus(t, cs, watchDeploy(2, 5, 5))
		synctest.Wait()
		mu.Lock()
		n := len(watches)
		mu.Unlock()
		if n < 3 {
			t.Errorf("%d watches, want a rewatch after the cut and one after the 410", n)
		}
		lists := 0
		for _, a := range cs.Actions() {
			if a.GetVerb() == "list" && a.GetResource().Resource == "deployments" {
				lists++
			}
		}
		if lists < 2 {
			t.Errorf("%d lists, want a relist after the 410", lists)
		}
		if !closed(f.Done()) || !f.Status().Done {
			t.Errorf("rollout end not seen after rewatching: %+v", f.Status())
		}
	})
}

func TestFollowOtherKinds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sts := rolloutSTS(appsv1.RollingUpdateStatefulSetStrategyType, nil, 4, 4, appsv1.StatefulSetStatus{
			ReadyReplicas: 5, UpdatedReplicas: 2, CurrentRevision: "db-1", UpdateRevision: "db-2"})
		ds := rolloutDS(appsv1.RollingUpdateDaemonSetStrategyType, 3, 3, 4, 1, 4, 4)
		cs := fake.NewClientset(sts, ds)
		fs, err := Follow(t.Context(), cs, Target{KindStatefulSet, "db", "shop"})
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Stop()
		fd, err := Follow(t.Context(), cs, Target{KindDaemonSet, "agent", "ops"})
		if err != nil {
			t.Fatal(err)
		}
		defer fd.Stop()
		synctest.Wait()

		sts.Status = appsv1.StatefulSetStatus{ObservedGeneration: 4, ReadyReplicas: 5, UpdatedReplicas: 5, CurrentReplicas: 5,
			CurrentRevision: "db-2", UpdateRevision: "db-2"}
		if _, err := cs.AppsV1().StatefulSets("shop").UpdateStatus(t.Context(), sts, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		ds.Status.UpdatedNumberScheduled = 4
		if _, err := cs.AppsV1().DaemonSets("ops").UpdateStatus(t.Context(), ds, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := fs.Status().Message; !closed(fs.Done()) || got != "statefulset rolling update complete 5 pods at revision db-2..." {
			t.Errorf("statefulset: %q", got)
		}
		if got := fd.Status().Message; !closed(fd.Done()) || got != `daemon set "agent" successfully rolled out` {
			t.Errorf("daemon set: %q", got)
		}
	})
}

func TestFollowStopsWithContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		cs := fake.NewClientset(watchDeploy(2, 3, 3))
		ctx, cancel := context.WithCancel(t.Context())
		f, err := Follow(ctx, cs, Target{KindDeployment, "api", "shop"})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		f.Stop() // returns once the watch wound down; a second Stop is harmless
		f.Stop()
		if closed(f.Done()) || f.Err() != nil {
			t.Errorf("stopping is neither done nor an error: done %v err %v", closed(f.Done()), f.Err())
		}
	})
}
