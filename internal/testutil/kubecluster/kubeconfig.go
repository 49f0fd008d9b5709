package kubecluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// contextName names the cluster, user and context in every kubeconfig made here.
const contextName = "deploywatch-test"

// tokenLifetime is how long a service-account token lasts: longer than any test.
const tokenLifetime = 3600

// kubeconfig renders a kubeconfig for the cluster with the given user and default
// namespace (empty: none).
func (c *Cluster) kubeconfig(user *clientcmdapi.AuthInfo, namespace string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: c.server, CertificateAuthorityData: c.caPEM}
	cfg.AuthInfos[contextName] = user
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName, Namespace: namespace}
	cfg.CurrentContext = contextName
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("write kubeconfig: %w", err)
	}
	return data, nil
}

// writeAdminKubeconfig fills Kubeconfig, KubeconfigPath, Config and Client for the admin.
func (c *Cluster) writeAdminKubeconfig(p pki) error {
	data, err := c.kubeconfig(&clientcmdapi.AuthInfo{
		ClientCertificateData: p.adminCrt,
		ClientKeyData:         p.adminKey,
	}, "")
	if err != nil {
		return err
	}
	c.Kubeconfig = data
	c.KubeconfigPath = filepath.Join(c.dir, "admin.kubeconfig")
	if err := os.WriteFile(c.KubeconfigPath, data, 0o600); err != nil {
		return fmt.Errorf("admin kubeconfig: %w", err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return fmt.Errorf("admin rest config: %w", err)
	}
	// Tests create and poll many objects; client-side throttling would only slow them.
	cfg.QPS, cfg.Burst = 200, 400
	c.Config = cfg
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	c.Client = client
	return nil
}

// ServiceAccountKubeconfig returns a kubeconfig that authenticates as the ServiceAccount
// namespace/serviceAccount with a bearer token from the TokenRequest API, its default
// namespace set to namespace. The ServiceAccount is created when missing; it has no
// permissions beyond the ones the test grants it, which is the point: RBAC preflight
// checks can be tested against a Role that is too small.
func (c *Cluster) ServiceAccountKubeconfig(t testing.TB, namespace, serviceAccount string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: serviceAccount}}
	_, err := c.Client.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("kubecluster: create service account %s/%s: %v", namespace, serviceAccount, err)
	}
	lifetime := int64(tokenLifetime)
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &lifetime}}
	tok, err := c.Client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, serviceAccount, req, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubecluster: token for %s/%s: %v", namespace, serviceAccount, err)
	}
	data, err := c.kubeconfig(&clientcmdapi.AuthInfo{Token: tok.Status.Token}, namespace)
	if err != nil {
		t.Fatalf("kubecluster: kubeconfig for %s/%s: %v", namespace, serviceAccount, err)
	}
	return data
}
