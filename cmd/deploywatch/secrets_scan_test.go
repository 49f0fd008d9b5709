package main_test

import (
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
	"github.com/deploywatch/deploywatch/internal/testutil/promserver"
)

// TestSecretScan runs the binary with a distinct secret in every secret input at once
// (and a password in every URL input that takes one), drives every sink and several
// failure paths on the GitHub and the GitLab runner, then looks for every secret, in
// every common encoding, in everything the run printed, wrote or sent. A secret may only
// travel as the credential of its own service (the Authorization header of the request
// to Grafana carries grafana_token); no body carries one.
func TestSecretScan(t *testing.T) {
	t.Parallel()
	// Shared by the cases, read-only: a real Prometheus scraping the demo service, and a
	// Deployment in the real control plane with a service account allowed to watch it.
	svc, prom := promService(t)
	ns := cluster.Namespace(t)
	deployment(t, ns, "api", "registry.example/api:v1", 600)
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "deployer", Namespace: ns},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "deployer", Namespace: ns}},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "admin"}}
	if _, err := cluster.Client.RbacV1().RoleBindings(ns).Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := string(cluster.ServiceAccountKubeconfig(t, ns, "deployer"))

	tests := []struct {
		name     string
		gitlab   bool
		reject   bool // every sink refuses, echoing the credentials it was sent
		promDown bool // prometheus_url (with user:password) points at a closed port
		badKube  bool // the kubeconfig cannot be read
		wantExit int
	}{
		{name: "github_sinks_accept", wantExit: 1},
		{name: "github_sinks_reject_echoing_credentials", reject: true, wantExit: 1},
		{name: "github_prometheus_unreachable", promDown: true, wantExit: 3},
		{name: "github_invalid_kubeconfig", badKube: true, wantExit: 2},
		{name: "gitlab_sinks_accept", gitlab: true, wantExit: 1},
		{name: "gitlab_sinks_reject_echoing_credentials", gitlab: true, reject: true, wantExit: 1},
		{name: "gitlab_prometheus_unreachable", gitlab: true, promDown: true, wantExit: 3},
		{name: "gitlab_invalid_kubeconfig", gitlab: true, badKube: true, wantExit: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &ssRecorder{}
			sinks := ssStartSinks(t, rec, tt.reject)
			smtp := ssStartSMTP(t, rec, tt.reject)
			probe := ssStartProbe(t, rec, svc.URL())
			promProxy := ssStartProxy(t, rec, prom.URL)
			promURL := ssWithUser(promProxy.URL, "promuser", "pr0m-B4sic/Pass")
			if tt.promDown {
				promURL = ssWithUser("http://"+ssClosedAddr(t), "promuser", "pr0m-B4sic/Pass")
			}
			kc := kubeconfig
			if tt.badKube {
				kc = "apiVersion: v1\nkind: Config\nusers:\n- name: ss\n  user:\n    token: ssKub3-Inval1d-T0ken-9f8e7d\nclusters: [{name: ss, cluster: {server: https://127.0.0.1:1}\n"
			}
			with := map[string]string{
				"health_url":     ssWithUser(probe.URL+"/health", "healthuser", "h3alth/P@ss-secret"),
				"live_url":       probe.URL + "/live",
				"info_url":       ssWithUser(probe.URL+"/info", "infouser", "inf0+Pass!secret"),
				"smoke_tests":    "GET " + ssWithUser(probe.URL+"/echo", "smokeuser", "sm0ke-Pass-secret") + ` .authorization == "x"`,
				"metrics_url":    ssWithUser(probe.URL+"/metrics", "scrapeuser", "scr4pe-Pass-secret"),
				"http_headers":   "X-Probe-Token: ssProbeH3aderValue-0a1b\nX-Api-Key: ssApiK3yValue-2c3d",
				"prometheus_url": promURL, "prometheus_token": "ssPr0mBearer-T0ken-4e5f",
				"prometheus_headers": "X-Scope-OrgID: ssT3nantSecret-6a7b",
				"selector":           `job="` + promserver.Job + `"`,
				"kubeconfig":         kc, "deployment": "api", "namespace": ns, "rollout_timeout": "1m",
				"github_token": githubtest.Token, "gitlab_token": gitlabtest.Token,
				"slack_webhook_url": sinks.URL + "/hooks/slack/T0/B0/ssSl4ckS3cretPath",
				"webhook_url":       sinks.URL + "/cased/ssW3bhookS3cretPath/deployments",
				"webhook_token":     "ssW3bhookT0ken-8c9d",
				"grafana_url":       sinks.URL + "/grafana",
				"grafana_token":     "glsa_ssGr4fanaT0ken-0e1f", "grafana_dashboard_uid": "shop",
				"datadog_api_key": "ssD4tadogK3y-2a3b4c", "datadog_api_url": sinks.URL + "/datadog",
				"smtp_url":      ssWithUser("smtp://"+smtp.addr, "mailer", "sm7p-P4ss:secret"),
				"email_to":      "oncall@example.com",
				"commit_status": "true", "notify_on": "info",
				"summary_path": "out/summary.md", "junit_path": "out/junit.xml", "dotenv_path": "out/deploywatch.env",
				"schedule": "1s,3s", "interval": "500ms", "cooldown": "1s", "http_timeout": "2s", "baseline": "30m",
			}
			secrets := ssSecrets(with, tt.gitlab)
			var out ssOutputs
			var code int
			if tt.gitlab {
				sinks.gitlab.AddMergeRequest(41, newRelease.Commit, "opened")
				j := newGitLabJob(t, with, gitlabtest.Token)
				j.cmd.Env = append(j.cmd.Env, "CI_SERVER_URL="+sinks.URL, "CI_API_V4_URL="+sinks.URL+"/api/v4")
				code = j.run(t)
				out = ssOutputs{log: j.stdout.String(), dir: j.dir}
			} else {
				sinks.github.AddPullRequest(42, newRelease.Commit, "open")
				s := newStep(t, with)
				s.cmd.Env = append(s.cmd.Env, "GITHUB_API_URL="+sinks.URL)
				s.start()
				code = s.wait(90 * time.Second)
				out = ssOutputs{log: s.stdout.String(), dir: s.workspace, files: []string{s.output, s.summary}}
			}
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d:\n%s", code, tt.wantExit, out.log)
			}
			texts := out.read(t, tt.gitlab, tt.wantExit != 2)
			if !tt.gitlab {
				ssMaskedFirst(t, out.log, secrets)
			}
			reqs := rec.all()
			if !tt.badKube {
				ssReached(t, reqs, tt.gitlab, tt.reject, !tt.promDown)
			}
			// The refusals, credentials echoed in them, reached the log: the scan saw them.
			if tt.reject && (strings.Count(out.log, "refused") < 4 || !strings.Contains(out.log, "authenticate: 535")) {
				t.Errorf("the sinks' refusals are not in the log")
			}
			leaks := ssScan(secrets, texts, reqs)
			for _, l := range leaks {
				t.Error(l)
			}
			if t.Failed() {
				t.Log(out.log)
			}
			t.Logf("%d secrets (%d forms) scanned in %d outputs and %d requests; %d leaks", len(secrets), ssForms(secrets), len(texts), len(reqs), len(leaks))
		})
	}
}

// ssSecret is one secret, the forms it may take in text, and where it is a credential:
// the service it belongs to and the header (or "url") that carries it there.
