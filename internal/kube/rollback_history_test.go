package kube

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// hTemplate is the pod template of app running image.
func hTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: app, Image: image}}},
	}
}

// hRevision is a ControllerRevision as the StatefulSet and DaemonSet controllers write it:
// the literal patch replacing the template with one running image.
func hRevision(owner metav1.Object, kind, app, image string, rev int64) *appsv1.ControllerRevision {
	cr := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: app + "-" + image[len(app)+1:], Namespace: owner.GetNamespace(),
			Labels: map[string]string{"app": app}},
		Data: runtime.RawExtension{Raw: []byte(`{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"` +
			app + `"}},"spec":{"containers":[{"image":"` + image + `","name":"` + app + `","resources":{}}]}}}}`)},
		Revision: rev,
	}
	if kind != "" {
		cr.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, appsv1.SchemeGroupVersion.WithKind(kind))}
	}
	return cr
}

func hStatefulSet(image string) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", UID: "uid-db"},
		Spec: appsv1.StatefulSetSpec{Replicas: rolloutPtr(3), Template: hTemplate("db", image),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
	}
}

func hDaemonSet(image string) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "ops", UID: "uid-agent"},
		Spec: appsv1.DaemonSetSpec{Template: hTemplate("agent", image),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}}},
	}
}

// hObjects is a workload with revisions 1..3 (the last running current) and a stray
// revision with the same labels that another object owns.
func hObjects(obj metav1.Object, kind, app string, current int) []runtime.Object {
	out := []runtime.Object{obj.(runtime.Object)}
	for i, tag := range []string{"1", "2", "3"}[:current] {
		out = append(out, hRevision(obj, kind, app, app+":"+tag, int64(i+1)))
	}
	return append(out, hRevision(obj, "", app, app+":9", 9))
}

func TestUndoWithControllerRevisions(t *testing.T) {
	t.Parallel()
	type read func(cs *fake.Clientset) corev1.PodTemplateSpec
	readSTS := func(cs *fake.Clientset) corev1.PodTemplateSpec {
		s, _ := cs.AppsV1().StatefulSets("shop").Get(context.Background(), "db", metav1.GetOptions{})
		return s.Spec.Template
	}
	readDS := func(cs *fake.Clientset) corev1.PodTemplateSpec {
		d, _ := cs.AppsV1().DaemonSets("ops").Get(context.Background(), "agent", metav1.GetOptions{})
		return d.Spec.Template
	}
	tests := []struct {
		name         string
		target       Target
		objects      []runtime.Object
		dryRun       bool
		read         read
		want         RollbackResult
		wantTemplate corev1.PodTemplateSpec
		wantErr      string
	}{
		{name: "statefulset_rolls_back", target: Target{KindStatefulSet, "db", "shop"},
			objects: hObjects(hStatefulSet("db:3"), "StatefulSet", "db", 3), read: readSTS,
			want:         RollbackResult{FromRevision: 3, ToRevision: 2, Changed: true, Message: `statefulset "db" rolled back from revision 3 to revision 2`},
			wantTemplate: hTemplate("db", "db:2")},
		{name: "statefulset_dry_run", target: Target{KindStatefulSet, "db", "shop"},
			objects: hObjects(hStatefulSet("db:3"), "StatefulSet", "db", 3), dryRun: true, read: readSTS,
			want:         RollbackResult{FromRevision: 3, ToRevision: 2, Message: `dry run: statefulset "db" would roll back from revision 3 to revision 2 (db=db:2)`},
			wantTemplate: hTemplate("db", "db:3")},
		{name: "statefulset_already_at_previous", target: Target{KindStatefulSet, "db", "shop"},
			objects: hObjects(hStatefulSet("db:2"), "StatefulSet", "db", 3), read: readSTS,
			want: RollbackResult{FromRevision: 3, ToRevision: 2, NothingToUndo: true,
				Message: "nothing to roll back: the template already equals revision 2"},
			wantTemplate: hTemplate("db", "db:2")},
		{name: "statefulset_no_previous", target: Target{KindStatefulSet, "db", "shop"},
			objects: hObjects(hStatefulSet("db:1"), "StatefulSet", "db", 1), read: readSTS,
			wantErr: "statefulset db has no previous revision to roll back to", wantTemplate: hTemplate("db", "db:1")},
		{name: "daemonset_rolls_back", target: Target{KindDaemonSet, "agent", "ops"},
			objects: hObjects(hDaemonSet("agent:3"), "DaemonSet", "agent", 3), read: readDS,
			want:         RollbackResult{FromRevision: 3, ToRevision: 2, Changed: true, Message: `daemonset "agent" rolled back from revision 3 to revision 2`},
			wantTemplate: hTemplate("agent", "agent:2")},
		{name: "daemonset_already_at_previous", target: Target{KindDaemonSet, "agent", "ops"},
			objects: hObjects(hDaemonSet("agent:2"), "DaemonSet", "agent", 3), read: readDS,
			want: RollbackResult{FromRevision: 3, ToRevision: 2, NothingToUndo: true,
				Message: "nothing to roll back: the template already equals revision 2"},
			wantTemplate: hTemplate("agent", "agent:2")},
		{name: "daemonset_missing", target: Target{KindDaemonSet, "agent", "ops"}, read: readDS,
			wantErr: "daemonset agent not found in namespace ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset(tt.objects...)
			got, err := Undo(context.Background(), cs, tt.target, tt.dryRun)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("Undo error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Undo: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTemplate, tt.read(cs)); diff != "" {
				t.Errorf("template afterwards (-want +got):\n%s", diff)
			}
			if wantPatches := map[bool]int{true: 1, false: 0}[got.Changed]; patches(cs) != wantPatches {
				t.Errorf("%d patches, want %d", patches(cs), wantPatches)
			}
		})
	}
}
