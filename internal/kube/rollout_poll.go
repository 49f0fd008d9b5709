package kube

import (
	"context"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// followPoll is how often the follower reads the workload besides its watch: a watch can
// stall without an error (a proxy holding it, a lost event), and a stale status would
// time a finished rollout out.
const followPoll = 5 * time.Second

// poll reads the workload every followPoll until ctx ends.
func (f *Follower) poll(ctx context.Context, api workloadAPI) {
	t := time.NewTicker(followPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		obj, err := api.get(ctx)
		switch {
		case apierrors.IsNotFound(err):
			f.fail(f.deletedErr())
		case err == nil:
			f.observe(api, obj)
		}
	}
}

// resourceVersion is the object's resourceVersion, "" when it has none.
func resourceVersion(obj any) string {
	if m, ok := obj.(metav1.Object); ok {
		return m.GetResourceVersion()
	}
	return ""
}

// olderVersion reports whether resourceVersion a is older than b. Versions are opaque to
// clients, but the API server's are etcd revisions: when both are numbers, a poll's
// answer that crossed a newer watch event is told apart and ignored.
func olderVersion(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	return errA == nil && errB == nil && x < y
}
