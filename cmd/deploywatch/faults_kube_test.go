package main_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
)

// Faults of the Kubernetes API: the binary reaches the real control plane through a
// reverse proxy on loopback that answers some requests with a 500, or holds them, and the
// Deployment may vanish under the run. The run still ends, in time, with a verdict the
// cluster's state deserves and a finding that says what went wrong.

// fkKubeAPI puts a fault injector in front of the cluster's API server and returns it with
// a kubeconfig that reaches the cluster through it (the proxy holds the credentials).
func fkKubeAPI(t *testing.T) (*fkFaults, string) {
	t.Helper()
	tr, err := rest.TransportFor(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(cluster.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:     tr,
		FlushInterval: -1, // watch events as they come
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	f := fkNewFaults(proxy)
	srv := fkServe(t, f)
	kubeconfig := proxyKubeconfig(srv.URL, "")
	return f, kubeconfig
}

// proxyKubeconfig is a kubeconfig for a plain-HTTP proxy in front of the test cluster
// (the proxy holds the credentials); namespace, when set, is the context's.
func proxyKubeconfig(server, namespace string) string {
	ns := ""
	if namespace != "" {
		ns = "\n    namespace: " + namespace
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: proxy
  cluster:
    server: %s
contexts:
- name: proxy
  context:
    cluster: proxy
    user: proxy%s
current-context: proxy
users:
- name: proxy
  user: {}
`, server, ns)
}

// fkInternalError is the API server's answer to a failure of its own.
const fkInternalError = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",` +
	`"message":"etcdserver: request timed out","reason":"InternalError","code":500}`

// fkPausedDeploy deploys the new image to a paused Deployment: its rollout starts when
// fkResume unpauses it, once the run is watching.
func fkPausedDeploy(t *testing.T, ns string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := cluster.Client.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Paused = true
		d.Spec.Template.Spec.Containers[0].Image = "registry.example/api:v2"
		_, err = cluster.Client.AppsV1().Deployments(ns).Update(t.Context(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fkResume(t *testing.T, ns string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := cluster.Client.AppsV1().Deployments(ns).Get(t.Context(), "api", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Paused = false
		_, err = cluster.Client.AppsV1().Deployments(ns).Update(t.Context(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fkDeleteDeployment(t *testing.T, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cluster.Client.AppsV1().Deployments(ns).Delete(ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// fkAwait waits until the log holds want, at most limit; a run that ends first (its
// report written) fails the test at once.
func fkAwait(t *testing.T, s *step, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		log := s.stdout.String()
		switch {
		case strings.Contains(log, want):
			return
		case strings.Contains(log, "\nreport: "), time.Now().After(deadline):
			t.Fatalf("no %q in the output (limit %s):\n%s", want, limit, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFaultKube(t *testing.T) {
	t.Parallel()
	const (
		pods          = "/api/v1/namespaces/*/pods"
		deploymentAPI = "/apis/apps/v1/namespaces/*/deployments/api"
		replicasets   = "/apis/apps/v1/namespaces/*/replicasets"
		reviews       = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
	)
	tests := []struct {
		name  string
		rules []fkRule
		with  map[string]string
		// during runs once the run follows the rollout (the Deployment paused until then).
		during     func(t *testing.T, ns string, s *step)
		wantExit   int
		wantStatus string
		// wantText must be in the log or the summary output: the finding says what happened.
		wantText []string
		// wantErrors names a check whose probes must have met the faults; with perRound,
		// every faulty request is one of its rounds.
		wantErrors string
		perRound   bool
	}{
		{name: "api_500s_on_reads",
			// Every other list of the pods fails, and one read of the ReplicaSets and of the
			// Deployment: never more probe errors in a row than the budget (3) allows.
			rules: []fkRule{
				{method: "GET", path: pods, notQuery: "watch", every: 2, status: http.StatusInternalServerError, body: fkInternalError},
				{method: "GET", path: replicasets, notQuery: "watch", times: 1, status: http.StatusInternalServerError, body: fkInternalError},
				{method: "GET", path: deploymentAPI, notQuery: "watch", times: 1, status: http.StatusInternalServerError, body: fkInternalError},
			},
			during:   func(t *testing.T, ns string, s *step) { fkResume(t, ns) },
			wantExit: 0, wantStatus: "healthy", wantErrors: "pods"},
		{name: "api_500_on_the_preflight",
			rules: []fkRule{
				{method: "POST", path: reviews, times: 1, status: http.StatusInternalServerError, body: fkInternalError},
				{method: "GET", path: deploymentAPI, times: 1, status: http.StatusServiceUnavailable, body: fkInternalError},
			},
			during:   func(t *testing.T, ns string, s *step) { fkResume(t, ns) },
			wantExit: 0, wantStatus: "healthy"},
		{name: "watch_requests_hang",
			rules:    []fkRule{{method: "GET", query: "watch=", hang: true}},
			with:     map[string]string{"rollout_timeout": "45s"},
			during:   func(t *testing.T, ns string, s *step) { fkResume(t, ns) },
			wantExit: 0, wantStatus: "healthy"},
		{name: "pod_lists_hang",
			rules:    []fkRule{{method: "GET", path: pods, notQuery: "watch", hang: true}},
			during:   func(t *testing.T, ns string, s *step) { fkResume(t, ns) },
			wantExit: 3, wantStatus: "inconclusive", wantText: []string{"list pods"}, wantErrors: "pods", perRound: true},
		{name: "deployment_deleted_mid_run",
			with: map[string]string{"schedule": "2s,10s", "cooldown": "5s"},
			during: func(t *testing.T, ns string, s *step) {
				fkResume(t, ns)
				fkAwait(t, s, "::group::Monitor", 45*time.Second)
				fkDeleteDeployment(t, ns)
			},
			wantExit: 3, wantStatus: "inconclusive", wantText: []string{"deployment api was deleted"}},
		{name: "deployment_deleted_during_the_rollout",
			with:     map[string]string{"rollout_timeout": "5m"},
			during:   func(t *testing.T, ns string, s *step) { fkDeleteDeployment(t, ns) },
			wantExit: 3, wantStatus: "inconclusive", wantText: []string{"deployment api was deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ns := cluster.Namespace(t)
			deployment(t, ns, "api", "registry.example/api:v1", 600)
			fkPausedDeploy(t, ns)
			faults, kubeconfig := fkKubeAPI(t)
			for _, r := range tt.rules {
				faults.add(r)
			}
			with := kubeInputs(ns)
			with["kubeconfig"] = kubeconfig
			for k, v := range tt.with {
				with[k] = v
			}
			s := newStep(t, with)
			s.start()
			fkAwait(t, s, "::group::Rollout", 45*time.Second)
			tt.during(t, ns, s)
			// The hang guard: every run here ends within a minute (the Deployment's rollout
			// timeout, when a case sets one, is longer than this).
			code := s.wait(2 * time.Minute)
			took := time.Since(s.started)
			log := s.stdout.String()
			outs := s.outputs()
			t.Logf("exited after %s; %d fault(s) served; summary %q", took.Round(time.Millisecond), faults.faults(), outs["summary"])
			if code != tt.wantExit || outs["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q; summary %q\n%s", code, outs["status"], tt.wantExit, tt.wantStatus, outs["summary"], log)
			}
			if len(tt.rules) > 0 && faults.faults() == 0 {
				t.Errorf("no request met the faults %+v", tt.rules)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(log+outs["summary"], want) {
					t.Errorf("neither the log nor the summary says %q:\n%s", want, log)
				}
			}
			if tt.wantErrors != "" {
				c, ok := fkReadReport(t, s).check(tt.wantErrors)
				if !ok || c.Errors == 0 {
					t.Errorf("check %s: %+v: want probe errors", tt.wantErrors, c)
				}
				t.Logf("%s: %d probe errors in %d runs", tt.wantErrors, c.Errors, c.Runs)
				// The checks of a round share one snapshot of the pods, a failed one too:
				// one request per round, never one per check.
				if n := faults.faults(); tt.perRound && n > c.Runs {
					t.Errorf("%d requests met a fault in %d rounds of %s", n, c.Runs, tt.wantErrors)
				}
			}
			if sum := s.summaryText(); !strings.Contains(sum, "deploywatch — "+tt.wantStatus) {
				t.Errorf("summary lacks the verdict:\n%s", sum)
			}
			if fkState(s.github) != map[string]string{"healthy": "success", "inconclusive": "error"}[tt.wantStatus] {
				t.Errorf("deployments %+v: the final status does not match the verdict", s.github.Deployments())
			}
		})
	}
}
