package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Secrets of the kubeconfigs below; no error may show them.
const (
	accessToken  = "kube-t0ken-5ecr3t-91"
	accessCAData = "c2VjcmV0LWNhLWRhdGEtbm90LXBlbQ==" // base64 of "secret-ca-data-not-pem"
)

// accessKubeconfig has two contexts: prod (current, namespace shop) and staging (no
// namespace).
const accessKubeconfig = `apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster:
    server: https://prod.example:6443
- name: staging
  cluster:
    server: https://staging.example:6443
users:
- name: ci
  user:
    token: ` + accessToken + `
contexts:
- name: prod
  context: {cluster: prod, user: ci, namespace: shop}
- name: staging
  context: {cluster: staging, user: ci}
`

func accessEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func accessWrite(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := accessWrite(t, dir, "cfg/kubeconfig", accessKubeconfig)
	home := filepath.Join(dir, "home")
	accessWrite(t, home, ".kube/config", strings.ReplaceAll(accessKubeconfig, "current-context: prod", "current-context: staging"))
	sa := filepath.Join(dir, "sa")
	accessWrite(t, sa, "token", accessToken+"\n")
	accessWrite(t, sa, "namespace", "ci-runners\n")
	inCluster := map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": home}
	json := `{"apiVersion":"v1","kind":"Config","current-context":"c","clusters":[{"name":"c","cluster":{"server":"https://json.example"}}],` +
		`"users":[{"name":"u","user":{"token":"` + accessToken + `"}}],"contexts":[{"name":"c","context":{"cluster":"c","user":"u"}}]}`

	tests := []struct {
		name     string
		opts     AccessOptions
		wantHost string
		wantNS   string
	}{
		{"content_current_context", AccessOptions{Kubeconfig: accessKubeconfig}, "https://prod.example:6443", "shop"},
		{"content_named_context", AccessOptions{Kubeconfig: accessKubeconfig, Context: "staging"}, "https://staging.example:6443", ""},
		{"content_json_one_line", AccessOptions{Kubeconfig: json}, "https://json.example", ""},
		{"path", AccessOptions{Kubeconfig: path}, "https://prod.example:6443", "shop"},
		{"path_with_spaces_around", AccessOptions{Kubeconfig: "  " + path + " "}, "https://prod.example:6443", "shop"},
		{"path_in_home", AccessOptions{Kubeconfig: "~/.kube/config", Getenv: accessEnv(map[string]string{"HOME": home})}, "https://staging.example:6443", ""},
		{"input_wins_over_in_cluster", AccessOptions{Kubeconfig: accessKubeconfig, Getenv: accessEnv(inCluster), saDir: sa}, "https://prod.example:6443", "shop"},
		{"in_cluster", AccessOptions{Getenv: accessEnv(inCluster), saDir: sa}, "https://10.0.0.1:443", "ci-runners"},
		{"context_rules_out_in_cluster", AccessOptions{Context: "prod", Getenv: accessEnv(inCluster), saDir: sa}, "https://prod.example:6443", "shop"},
		{"kubeconfig_env_list", AccessOptions{Getenv: accessEnv(map[string]string{
			"KUBECONFIG": filepath.Join(dir, "missing") + string(os.PathListSeparator) + path, "HOME": home})}, "https://prod.example:6443", "shop"},
		{"home_kube_config", AccessOptions{Getenv: accessEnv(map[string]string{"HOME": home})}, "https://staging.example:6443", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.opts)
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if c.Host != tt.wantHost || c.Namespace != tt.wantNS {
				t.Errorf("host %q namespace %q, want %q %q", c.Host, c.Namespace, tt.wantHost, tt.wantNS)
			}
			if c.Kube == nil || c.Metrics == nil {
				t.Error("a client is missing")
			}
		})
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emptySA := filepath.Join(dir, "empty-sa")
	if err := os.MkdirAll(emptySA, 0o700); err != nil {
		t.Fatal(err)
	}
	badCA := strings.Replace(accessKubeconfig, "    server: https://prod.example:6443",
		"    server: https://prod.example:6443\n    certificate-authority-data: "+accessCAData, 1)
	noServer := strings.Replace(accessKubeconfig, "    server: https://prod.example:6443\n", "    insecure-skip-tls-verify: true\n", 1)
	// A relative certificate path is read next to the kubeconfig, as kubectl does: the
	// error is about the file's content, not its absence.
	relCA := accessWrite(t, dir, "rel/kubeconfig", strings.Replace(accessKubeconfig, "    server: https://prod.example:6443",
		"    server: https://prod.example:6443\n    certificate-authority: ca.crt", 1))
	accessWrite(t, dir, "rel/ca.crt", "not a certificate")
	broken := "apiVersion: v1\nusers:\n- name: ci\n  user:\n    token: " + accessToken + "\n  : [\n"
	tests := []struct {
		name string
		opts AccessOptions
		want string // a fragment of the error
	}{
		{"missing_path", AccessOptions{Kubeconfig: filepath.Join(dir, "nope.yaml")}, "nope.yaml: file does not exist"},
		{"unknown_context", AccessOptions{Kubeconfig: accessKubeconfig, Context: "dev"}, `kubeconfig input: no context "dev"; it has: prod, staging`},
		{"unparsable_content", AccessOptions{Kubeconfig: broken}, "kubeconfig input: content is not a valid kubeconfig (YAML or JSON)"},
		{"no_current_context", AccessOptions{Kubeconfig: strings.Replace(accessKubeconfig, "current-context: prod\n", "", 1)},
			"no current-context; set kube_context to one of: prod, staging"},
		{"cluster_without_server", AccessOptions{Kubeconfig: noServer}, `context "prod"`},
		{"certificate_not_pem", AccessOptions{Kubeconfig: badCA}, "kubernetes client"},
		{"relative_ca_beside_kubeconfig", AccessOptions{Kubeconfig: relCA}, "unable to parse bytes as PEM block"},
		{"in_cluster_without_token", AccessOptions{saDir: emptySA, Getenv: accessEnv(map[string]string{
			"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"})}, "in-cluster config: service account token"},
		{"kubeconfig_env_all_missing", AccessOptions{Getenv: accessEnv(map[string]string{"KUBECONFIG": filepath.Join(dir, "a")})},
			"no such file or no cluster in it"},
		{"kubeconfig_env_unparsable", AccessOptions{Getenv: accessEnv(map[string]string{"KUBECONFIG": accessWrite(t, dir, "env/bad", broken)})},
			"a file is not a valid kubeconfig"},
		{"nothing_at_all", AccessOptions{Getenv: accessEnv(map[string]string{"HOME": dir})}, "no Kubernetes credentials"},
		{"no_getenv", AccessOptions{}, "no Kubernetes credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewClient(tt.opts)
			if err == nil {
				t.Fatal("NewClient succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
			for _, secret := range []string{accessToken, accessCAData, "secret-ca-data", "users:"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error shows a secret (%q): %s", secret, msg)
				}
			}
		})
	}
}
