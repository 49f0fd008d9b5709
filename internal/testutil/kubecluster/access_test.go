package kubecluster

import (
	"context"
	"errors"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// whoAmI asks the apiserver who the client is (kubectl auth whoami).
func whoAmI(ctx context.Context, cfg *rest.Config) (authenticationv1.UserInfo, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

func TestServiceAccountKubeconfigIsBoundByRBAC(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ns := cluster.Namespace(t)
	kc := cluster.ServiceAccountKubeconfig(t, ns, "deploywatch")

	raw, err := clientcmd.Load(kc)
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Contexts[raw.CurrentContext].Namespace; got != ns {
		t.Errorf("kubeconfig namespace = %q, want %q", got, ns)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		t.Fatal(err)
	}
	who, err := whoAmI(ctx, cfg)
	if err != nil {
		t.Fatalf("the token does not authenticate: %v", err)
	}
	if want := "system:serviceaccount:" + ns + ":deploywatch"; who.Username != want {
		t.Errorf("user = %q, want %q", who.Username, want)
	}
	sa, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sa.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("list pods without any Role: err = %v, want 403 Forbidden", err)
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Code != 403 {
		t.Errorf("list pods without any Role: status = %v, want code 403", err)
	}

	// The same account once granted a Role that allows it: RBAC, not the token, refused.
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}},
	}
	if _, err := cluster.Client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "deploywatch", Namespace: ns}},
	}
	if _, err := cluster.Client.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pods listable after the RoleBinding", func(ctx context.Context) (bool, string, error) {
		_, err := sa.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return true, "", nil
	})
	err = sa.CoreV1().Pods(ns).Delete(ctx, "anything", metav1.DeleteOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("delete pods with a get/list Role: err = %v, want 403 Forbidden", err)
	}
}

func TestNamespaceIsReadyAndDeletedAfterTheTest(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("uses_a_namespace", func(t *testing.T) {
		name = cluster.Namespace(t)
		if _, err := cluster.Client.CoreV1().ServiceAccounts(name).Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
			t.Fatalf("default service account: %v", err)
		}
		// A bare Pod needs the default ServiceAccount to be admitted.
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "bare"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1"}}},
		}
		if _, err := cluster.Client.CoreV1().Pods(name).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create a pod at once: %v", err)
		}
	})
	if name == "" {
		t.Fatal("no namespace")
	}
	// The namespace controller empties it (kwok deletes the pod) and then removes it.
	eventually(t, "namespace "+name+" deleted", func(ctx context.Context) (bool, string, error) {
		ns, err := cluster.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, err.Error(), nil
		}
		return false, "phase " + string(ns.Status.Phase), nil
	})
}

func TestNamespacePrefix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"simple", "TestFoo", "dw-testfoo-"},
		{"subtest", "TestFoo/crash_loop", "dw-testfoo-crash-loop-"},
		{"leading_symbols", "//x", "dw-x-"},
		{"long", "TestAVeryLongTestNameThatGoesOnAndOnForeverAndEver", "dw-testaverylongtestnamethatgoesonandonf-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := namespacePrefix(tc.in); got != tc.want {
				t.Errorf("namespacePrefix(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
