package kube

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

const lastApplied = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"api"}}`

// rbTemplate is the pod template of image api:<tag>, as written in the Deployment.
func rbTemplate(tag string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}, Annotations: map[string]string{"tag": tag}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "registry.example/api:" + tag,
			Env: []corev1.EnvVar{{Name: "RELEASE", Value: tag}}}}},
	}
}

// rbDeployment is Deployment api at revision 7 running tag v7.
func rbDeployment() *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop", UID: "uid-api", Generation: 9,
			Annotations: map[string]string{
				RevisionAnnotation:                 "7",
				corev1.LastAppliedConfigAnnotation: lastApplied,
				"kubernetes.io/change-cause":       "deploy v7",
				"only-on-deployment":               "dropped by kubectl",
			}},
		Spec: appsv1.DeploymentSpec{Replicas: rolloutPtr(3), Template: rbTemplate("v7"),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}},
	}
}

// rbReplicaSet is the ReplicaSet of revision rev running tag, owned by owner when set.
func rbReplicaSet(owner *appsv1.Deployment, hash, tag, rev string) *appsv1.ReplicaSet {
	tpl := rbTemplate(tag)
	tpl.Labels = map[string]string{"app": "api", appsv1.DefaultDeploymentUniqueLabelKey: hash}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "api-" + hash, Namespace: "shop", UID: types.UID("uid-" + hash),
			Labels: tpl.Labels,
			Annotations: map[string]string{
				RevisionAnnotation:                          rev,
				"deployment.kubernetes.io/desired-replicas": "3",
				"deployment.kubernetes.io/max-replicas":     "4",
				"kubernetes.io/change-cause":                "deploy " + tag,
			}},
		Spec: appsv1.ReplicaSetSpec{Replicas: rolloutPtr(0), Template: tpl},
	}
	if owner != nil {
		rs.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, appsv1.SchemeGroupVersion.WithKind("Deployment"))}
	}
	return rs
}

func rbHistory(d *appsv1.Deployment) []runtime.Object {
	stray := rbReplicaSet(nil, "stray9", "v9", "9") // same labels, another owner: not history
	return []runtime.Object{d, rbReplicaSet(d, "h5", "v5", "5"), rbReplicaSet(d, "h6", "v6", "6"),
		rbReplicaSet(d, "h7", "v7", "7"), stray}
}

// patches counts the patch requests the clientset saw.
func patches(cs *fake.Clientset) int {
	n := 0
	for _, a := range cs.Actions() {
		if a.GetVerb() == "patch" {
			n++
		}
	}
	return n
}

func TestUndoDeployment(t *testing.T) {
	t.Parallel()
	d := rbDeployment()
	cs := fake.NewClientset(rbHistory(d)...)
	got, err := Undo(context.Background(), cs, Target{KindDeployment, "api", "shop"}, false)
	if err != nil {
		t.Fatalf("Undo: %v", err)
	}
	want := RollbackResult{FromRevision: 7, ToRevision: 6, Changed: true,
		Message: `deployment "api" rolled back from revision 7 to revision 6`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	after, err := cs.AppsV1().Deployments("shop").Get(context.Background(), "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The template of revision 6 without the hash label; the Deployment's own bookkeeping
	// annotations kept, the ReplicaSet's others copied, anything else dropped.
	if diff := cmp.Diff(rbTemplate("v6"), after.Spec.Template); diff != "" {
		t.Errorf("template (-want +got):\n%s", diff)
	}
	wantAnn := map[string]string{
		RevisionAnnotation:                 "7",
		corev1.LastAppliedConfigAnnotation: lastApplied,
		"kubernetes.io/change-cause":       "deploy v6",
	}
	if diff := cmp.Diff(wantAnn, after.Annotations); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if n := patches(cs); n != 1 {
		t.Errorf("%d patches, want 1", n)
	}
}

func TestUndoDeploymentRefusals(t *testing.T) {
	t.Parallel()
	paused := rbDeployment()
	paused.Spec.Paused = true
	onlyOne := rbDeployment()
	tests := []struct {
		name    string
		objects []runtime.Object
		dryRun  bool
		wantErr string
	}{
		{"paused", rbHistory(paused), false, "deployment api is paused; resume it before rolling back"},
		{"paused_dry_run", rbHistory(paused), true, "deployment api is paused; resume it before rolling back"},
		{"no_previous_revision", []runtime.Object{onlyOne, rbReplicaSet(onlyOne, "h7", "v7", "7"), rbReplicaSet(nil, "stray9", "v9", "9")},
			false, "deployment api has no previous revision to roll back to"},
		{"not_found", nil, false, "deployment api not found in namespace shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset(tt.objects...)
			_, err := Undo(context.Background(), cs, Target{KindDeployment, "api", "shop"}, tt.dryRun)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Undo error = %v, want %q", err, tt.wantErr)
			}
			if n := patches(cs); n != 0 {
				t.Errorf("%d patches after a refusal", n)
			}
		})
	}
}

func TestUndoDeploymentWithoutChange(t *testing.T) {
	t.Parallel()
	matching := rbDeployment()
	matching.Spec.Template = rbTemplate("v6")
	tests := []struct {
		name   string
		d      *appsv1.Deployment
		dryRun bool
		want   RollbackResult
	}{
		{"dry_run", rbDeployment(), true, RollbackResult{FromRevision: 7, ToRevision: 6,
			Message: `dry run: deployment "api" would roll back from revision 7 to revision 6 (api=registry.example/api:v6)`}},
		{"already_at_previous_template", matching, false, RollbackResult{FromRevision: 7, ToRevision: 6,
			NothingToUndo: true,
			Message:       "nothing to roll back: the template already equals revision 6"}},
		// A dry run must not promise a rollback that would change nothing.
		{"dry_run_already_at_previous_template", matching, true, RollbackResult{FromRevision: 7, ToRevision: 6,
			NothingToUndo: true,
			Message:       "nothing to roll back: the template already equals revision 6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset(rbHistory(tt.d)...)
			before, _ := cs.AppsV1().Deployments("shop").Get(context.Background(), "api", metav1.GetOptions{})
			got, err := Undo(context.Background(), cs, Target{KindDeployment, "api", "shop"}, tt.dryRun)
			if err != nil {
				t.Fatalf("Undo: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			after, _ := cs.AppsV1().Deployments("shop").Get(context.Background(), "api", metav1.GetOptions{})
			if diff := cmp.Diff(before, after); diff != "" || patches(cs) != 0 {
				t.Errorf("the Deployment changed (%d patches):\n%s", patches(cs), diff)
			}
		})
	}
}
