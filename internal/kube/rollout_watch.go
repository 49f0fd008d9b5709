package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// Follower follows a workload's rollout through a watch on that one object. An informer
// does the watching: it lists, watches from the list's resourceVersion, relists when the
// watch expires (410 Gone) and retries failed requests with backoff.
type Follower struct {
	target  Target
	mu      sync.Mutex
	status  RolloutStatus
	rv      string // resourceVersion of the object status was read from
	err     error
	changed chan struct{}
	done    chan struct{}
	endOnce sync.Once
	cancel  context.CancelFunc
	stopped chan struct{}
}

// workloadAPI reads one kind of workload.
type workloadAPI struct {
	get    func(ctx context.Context) (runtime.Object, error)
	list   func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error)
	watch  func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error)
	object runtime.Object
	status func(obj runtime.Object) (RolloutStatus, bool)
}

// workloadFor returns the API of t's kind.
func workloadFor(c kubernetes.Interface, t Target) (workloadAPI, error) {
	ns, name := t.Namespace, t.Name
	switch t.Kind {
	case KindDeployment:
		api := c.AppsV1().Deployments(ns)
		return workloadAPI{
			get:    func(ctx context.Context) (runtime.Object, error) { return api.Get(ctx, name, metav1.GetOptions{}) },
			list:   func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return api.List(ctx, o) },
			watch:  api.Watch,
			object: &appsv1.Deployment{},
			status: func(obj runtime.Object) (RolloutStatus, bool) {
				d, ok := obj.(*appsv1.Deployment)
				if !ok {
					return RolloutStatus{}, false
				}
				return DeploymentRollout(d), true
			},
		}, nil
	case KindStatefulSet:
		api := c.AppsV1().StatefulSets(ns)
		return workloadAPI{
			get:    func(ctx context.Context) (runtime.Object, error) { return api.Get(ctx, name, metav1.GetOptions{}) },
			list:   func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return api.List(ctx, o) },
			watch:  api.Watch,
			object: &appsv1.StatefulSet{},
			status: func(obj runtime.Object) (RolloutStatus, bool) {
				s, ok := obj.(*appsv1.StatefulSet)
				if !ok {
					return RolloutStatus{}, false
				}
				return StatefulSetRollout(s), true
			},
		}, nil
	case KindDaemonSet:
		api := c.AppsV1().DaemonSets(ns)
		return workloadAPI{
			get:    func(ctx context.Context) (runtime.Object, error) { return api.Get(ctx, name, metav1.GetOptions{}) },
			list:   func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return api.List(ctx, o) },
			watch:  api.Watch,
			object: &appsv1.DaemonSet{},
			status: func(obj runtime.Object) (RolloutStatus, bool) {
				d, ok := obj.(*appsv1.DaemonSet)
				if !ok {
					return RolloutStatus{}, false
				}
				return DaemonSetRollout(d), true
			},
		}, nil
	}
	return workloadAPI{}, fmt.Errorf("kind %q is not followed", t.Kind)
}

// Follow reads the workload once (so a missing one or a denied read is an error at once),
// then follows its rollout until Stop or until ctx ends.
func Follow(ctx context.Context, c kubernetes.Interface, t Target) (*Follower, error) {
	api, err := workloadFor(c, t)
	if err != nil {
		return nil, err
	}
	// A busy API server's 5xx is tried again, within the budget of a preflight.
	var obj runtime.Object
	rctx, cancel := context.WithTimeout(ctx, 2*requestTimeout)
	err = retryTransient(rctx, func() (err error) { obj, err = api.get(rctx); return err })
	cancel()
	if err != nil {
		return nil, workloadReadErr(t, err)
	}
	st, _ := api.status(obj)
	f := &Follower{
		target:  t,
		status:  st,
		rv:      resourceVersion(obj),
		changed: make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if st.Done || st.Failed {
		f.end()
	}

	// The informer's own logging would land in the CI log; its errors are retried anyway.
	runCtx, cancel := context.WithCancel(klog.NewContext(ctx, logr.Discard()))
	f.cancel = cancel
	byName := fields.OneTermEqualSelector("metadata.name", t.Name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return api.list(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return api.watch(ctx, o)
		},
	}
	discard := logr.Discard()
	store, ctrl := cache.NewInformerWithOptions(cache.InformerOptions{
		Logger:        &discard,
		ListerWatcher: cache.ToListWatcherWithWatchListSemantics(lw, c),
		ObjectType:    api.object,
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { f.observe(api, obj) },
			UpdateFunc: func(_, obj any) { f.observe(api, obj) },
			DeleteFunc: func(obj any) { f.deleted(obj) },
		},
	})
	var wg sync.WaitGroup
	wg.Go(func() { ctrl.RunWithContext(runCtx) })
	wg.Go(func() {
		// Deleted between the read above and the informer's first list: no delete event
		// will come, so notice the absence.
		if cache.WaitFor(runCtx, "", ctrl.HasSyncedChecker()) {
			if _, ok, _ := store.GetByKey(t.Namespace + "/" + t.Name); !ok {
				f.fail(f.deletedErr())
			}
		}
	})
	wg.Go(func() { f.poll(runCtx, api) })
	go func() {
		wg.Wait()
		close(f.stopped)
	}()
	return f, nil
}

// observe takes in a new version of the object.
func (f *Follower) observe(api workloadAPI, obj any) {
	o, ok := obj.(runtime.Object)
	if !ok || !f.isTarget(obj) {
		return
	}
	st, ok := api.status(o)
	if !ok {
		return
	}
	rv := resourceVersion(obj)
	f.mu.Lock()
	if f.err != nil || olderVersion(rv, f.rv) {
		f.mu.Unlock()
		return
	}
	f.rv = rv
	if st == f.status {
		f.mu.Unlock()
		return
	}
	f.status = st
	f.mu.Unlock()
	f.notify()
	if st.Done || st.Failed {
		f.end()
	}
}

// deleted handles a delete event, including one inferred on relist.
func (f *Follower) deleted(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if f.isTarget(obj) {
		f.fail(f.deletedErr())
	}
}

func (f *Follower) deletedErr() error {
	return fmt.Errorf("%s %s was deleted", workloadWord(f.target.Kind), f.target.Name)
}

// isTarget filters by name in case the server (or a fake) ignores the field selector.
func (f *Follower) isTarget(obj any) bool {
	m, ok := obj.(metav1.Object)
	return ok && m.GetName() == f.target.Name && m.GetNamespace() == f.target.Namespace
}

// fail records a terminal error once and ends the wait.
func (f *Follower) fail(err error) {
	f.mu.Lock()
	if f.err != nil {
		f.mu.Unlock()
		return
	}
	f.err = err
	f.mu.Unlock()
	f.notify()
	f.end()
}

func (f *Follower) notify() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *Follower) end() { f.endOnce.Do(func() { close(f.done) }) }

// Status returns the latest rollout status.
func (f *Follower) Status() RolloutStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// Changed receives after every change of the status or of Err; a slow reader sees one
// pending notice, not one per change.
func (f *Follower) Changed() <-chan struct{} { return f.changed }

// Done is closed when the rollout is done or failed, or when following it failed for good
// (Err is then set). The follower keeps watching until Stop, so Status stays current.
func (f *Follower) Done() <-chan struct{} { return f.done }

// Err returns the terminal error that ended the following, such as the workload's deletion.
func (f *Follower) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Stop ends the watch and waits for it to wind down. It is safe to call more than once.
func (f *Follower) Stop() {
	f.cancel()
	<-f.stopped
}

// workloadWord is the kind as kubectl writes it in messages: "deployment".
func workloadWord(kind string) string { return strings.ToLower(kind) }
