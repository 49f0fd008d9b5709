package kubecluster

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxPrefix keeps generated namespace names well under the 63-character limit.
const maxPrefix = 40

// Namespace creates a fresh namespace for the test, named after it, and deletes it when
// the test ends. It returns once the namespace's default ServiceAccount exists (created by
// the controller manager), so pods can be created in it at once.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix(t.Name())}}
	ns, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubecluster: create namespace: %v", err)
	}
	name := ns.Name
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		// The namespace controller deletes the contents; nothing waits for it.
		err := c.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("kubecluster: delete namespace %s: %v", name, err)
		}
	})
	err = poll(ctx, apiTimeout, nil, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("kubecluster: default service account of namespace %s: %v", name, err)
	}
	return name
}

// namespacePrefix turns a test name into a GenerateName prefix: lower-case letters,
// digits and dashes, "dw-" first, ending with a dash.
func namespacePrefix(testName string) string {
	var b strings.Builder
	b.WriteString("dw-")
	dash := true // no leading or doubled dashes
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= maxPrefix {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	s := b.String()
	if !strings.HasSuffix(s, "-") {
		s += "-"
	}
	return s
}
