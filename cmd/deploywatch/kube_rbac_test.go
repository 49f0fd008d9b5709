package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/deploywatch/deploywatch/internal/kube"
)

// The shipped Role is enough: a ServiceAccount bound to exactly the Role the README lists
// (kube.RBAC for the test's namespace) runs every feature — rollout, pods, logs and
// rollback — against the real control plane, and the preflight finds nothing missing.

// rbBindShippedRole creates the README's Role and RoleBinding in ns for ServiceAccount
// "deploywatch" and returns a kubeconfig of that ServiceAccount.
func rbBindShippedRole(t *testing.T, ns string) []byte {
	t.Helper()
	kinds := []string{kube.KindDeployment, kube.KindStatefulSet, kube.KindDaemonSet}
	// The README shows the Role for namespace shop; this is the same Role in ns.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), kube.RBAC("shop", "deploywatch", kinds, kube.Features())) {
		t.Fatal("README.md does not ship kube.RBAC's Role (see TestREADMERole)")
	}
	kc := cluster.ServiceAccountKubeconfig(t, ns, "deploywatch")
	docs := strings.Split(kube.RBAC(ns, "deploywatch", kinds, kube.Features()), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("RBAC renders %d documents, want a Role and a RoleBinding", len(docs))
	}
	decode := scheme.Codecs.UniversalDeserializer().Decode
	roleObj, _, err := decode([]byte(docs[0]), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bindingObj, _, err := decode([]byte(docs[1]), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	role, ok1 := roleObj.(*rbacv1.Role)
	binding, ok2 := bindingObj.(*rbacv1.RoleBinding)
	if !ok1 || !ok2 {
		t.Fatalf("RBAC renders %T and %T", roleObj, bindingObj)
	}
	if _, err := cluster.Client.RbacV1().Roles(ns).Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Client.RbacV1().RoleBindings(ns).Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return kc
}

// rbDenied matches what a run says of a permission it lacks.
var rbDenied = regexp.MustCompile(`missing permissions|cannot \S+ \S+ in namespace|is forbidden`)

// rbLogLine is what every container "logs": an error quoting a password, which must be
// masked wherever the run quotes it.
const rbLogLine = "ERROR login to db failed: password=hunter2 user=app"

// rbProxy fronts the API server with the ServiceAccount's credentials. kwok fakes no
// container logs, so a pod log request is answered here with rbLogLine — after asking the
// API server (SelfSubjectAccessReview, as the ServiceAccount) whether the ServiceAccount
// may read that log, so RBAC still decides.
type rbProxy struct {
	next   http.Handler
	client kubernetes.Interface

	mu     sync.Mutex
	served int
	denied []string
}

func (p *rbProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// api/v1/namespaces/NS/pods/POD/log
	if len(parts) != 7 || parts[0] != "api" || parts[4] != "pods" || parts[6] != "log" || r.Method != http.MethodGet {
		p.next.ServeHTTP(w, r)
		return
	}
	ns, pod := parts[3], parts[5]
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "get", Resource: "pods", Subresource: "log", Name: pod}}}
	got, err := p.client.AuthorizationV1().SelfSubjectAccessReviews().Create(r.Context(), review, metav1.CreateOptions{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !got.Status.Allowed {
		p.denied = append(p.denied, ns+"/"+pod)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(metav1.Status{Status: metav1.StatusFailure, Reason: metav1.StatusReasonForbidden, Code: http.StatusForbidden,
			Message: fmt.Sprintf("pods %q is forbidden: cannot get resource \"pods/log\"", pod)})
		return
	}
	p.served++
	now := time.Now().UTC()
	fmt.Fprintf(w, "%s listening on :8080\n%s %s\n", now.Add(-time.Millisecond).Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), rbLogLine)
}

// rbServe starts the proxy and returns it with a kubeconfig that reaches the cluster
// through it (the proxy holds the ServiceAccount's token).
func rbServe(t *testing.T, saKubeconfig []byte) (*rbProxy, string) {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(saKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	p := &rbProxy{client: client, next: &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:     tr,
		FlushInterval: -1, // watch events as they come
		ErrorLog:      log.New(io.Discard, "", 0),
	}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, proxyKubeconfig(srv.URL, "default")
}

func TestKubernetesShippedRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		labels     map[string]string
		with       map[string]string
		wantExit   int
		wantStatus string
	}{
		// The log lines are counted but allowed: the rollout is healthy.
		{name: "healthy_rollout", with: map[string]string{"max_log_errors": "1000000"}, wantExit: 0, wantStatus: "healthy"},
		{name: "failing_rollout_rolled_back", labels: map[string]string{"deploywatch.test/crashloop": "true"}, wantExit: 1, wantStatus: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ns := cluster.Namespace(t)
			kc := rbBindShippedRole(t, ns)
			proxy, proxied := rbServe(t, kc)
			deployment(t, ns, "api", "registry.example/api:v1", 600)
			deploy(t, ns, "api", "registry.example/api:v2", tt.labels)
			with := kubeInputs(ns)
			with["kubeconfig"], with["rollback"], with["log_error_pattern"] = proxied, "true", "ERROR"
			for k, v := range tt.with {
				with[k] = v
			}
			s := newStep(t, with)
			s.start()
			code := s.wait(2 * time.Minute)
			out := s.stdout.String()
			outs := s.outputs()
			// The preflight's words for a missing permission, and the API server's.
			if bad := rbDenied.FindString(out + outs["summary"]); bad != "" {
				t.Errorf("the run says %q with the shipped Role:\n%s", bad, out)
			}
			if code != tt.wantExit || outs["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q; summary %q\n%s", code, outs["status"], tt.wantExit, tt.wantStatus, outs["summary"], out)
			}
			proxy.mu.Lock()
			served, denied := proxy.served, proxy.denied
			proxy.mu.Unlock()
			if served == 0 || len(denied) > 0 {
				t.Errorf("pod logs: %d served, denied for %v; want logs read with the shipped Role", served, denied)
			}
			rbNoPassword(t, s)
			if tt.wantStatus != "failed" {
				if outs["rolled_back"] == "true" {
					t.Error("a healthy rollout was rolled back")
				}
				return
			}
			if outs["rolled_back"] != "true" || outs["rollback_from_revision"] != "2" || outs["rollback_to_revision"] != "1" {
				t.Fatalf("rollback outputs: rolled_back %q from %q to %q\n%s", outs["rolled_back"], outs["rollback_from_revision"], outs["rollback_to_revision"], out)
			}
			waitRolledOut(t, ns, "api", "registry.example/api:v1")
			// The log line is quoted as evidence, its password masked.
			report := readFile(s.workspace + "/deploywatch-report.json")
			if !strings.Contains(report, "password=***") {
				t.Errorf("the report quotes no masked log line:\n%s", report)
			}
		})
	}
}

// rbNoPassword fails when the password of rbLogLine shows anywhere the run wrote or sent:
// log, outputs, summary, report, and every request to GitHub (comment, deployment statuses).
func rbNoPassword(t *testing.T, s *step) {
	t.Helper()
	places := map[string]string{
		"log": s.stdout.String(), "outputs": readFile(s.output), "summary": readFile(s.summary),
		"report": readFile(s.workspace + "/deploywatch-report.json"),
	}
	for _, c := range s.github.Calls() {
		places["GitHub "+c.Method+" "+c.Path] += c.Body
	}
	for where, text := range places {
		if strings.Contains(text, "hunter2") {
			t.Errorf("the log line's password leaks into the %s", where)
		}
	}
}
