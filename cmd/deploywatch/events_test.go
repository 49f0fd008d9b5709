package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
)

// everywhere is one local server standing for every place a run reports to: GitHub (the
// stateful fake, on the real API paths), a Slack incoming webhook, the deployment-event
// API, Grafana and Datadog. It records the calls that are not GitHub's.
type everywhere struct {
	*httptest.Server
	github *githubtest.Server

	mu    sync.Mutex
	calls []string
}

func startEverywhere(t *testing.T) *everywhere {
	t.Helper()
	e := &everywhere{github: githubtest.New()}
	mux := http.NewServeMux()
	mux.Handle("/", e.github)
	mux.HandleFunc("POST /hooks/slack/T0/B0/", func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		e.record(r, &m, func() string { return firstWords(m.Text, 6) })
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /cased/api/v1/deployments/", func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Status string }
		e.record(r, &m, func() string { return m.Status })
		_, _ = io.WriteString(w, `{}`)
	})
	mux.HandleFunc("POST /grafana/api/annotations", func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Tags []string }
		e.record(r, &m, func() string { return strings.Join(m.Tags, ",") })
		_, _ = io.WriteString(w, `{"id":77,"message":"Annotation added"}`)
	})
	mux.HandleFunc("PATCH /grafana/api/annotations/77", func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Tags []string }
		e.record(r, &m, func() string { return strings.Join(m.Tags, ",") })
		_, _ = io.WriteString(w, `{"message":"Annotation patched"}`)
	})
	mux.HandleFunc("POST /datadog/api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			AlertType string `json:"alert_type"`
		}
		e.record(r, &m, func() string { return m.AlertType })
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	e.Server = httptest.NewServer(mux)
	t.Cleanup(e.Close)
	e.github.URL = e.URL
	return e
}

// record keeps "METHOD path: gist" for a request whose JSON body decodes into m.
func (e *everywhere) record(r *http.Request, m any, gist func() string) {
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, m)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, gist()))
}

func (e *everywhere) got(prefix string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, c := range e.calls {
		if strings.Contains(c, " "+prefix) {
			out = append(out, c[strings.Index(c, ": ")+2:])
		}
	}
	return out
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

// githubCalls lists GitHub's calls as "METHOD path", numbers replaced by N.
func githubCalls(s *githubtest.Server) []string {
	var out []string
	for _, c := range s.Calls() {
		parts := strings.Split(c.Path, "/")
		for i, p := range parts {
			if p != "" && strings.Trim(p, "0123456789") == "" {
				parts[i] = "N"
			}
		}
		out = append(out, c.Method+" "+strings.Join(parts, "/"))
	}
	return out
}

// TestReportsEverywhere runs the binary as the GitHub runner would, with every sink on,
// and checks the whole sequence of calls: the deployment announced, reused history, the
// sticky comment created once then edited, the commit status, and the start and the end
// on Slack, the deployment-event API, Grafana (a region) and Datadog.
func TestReportsEverywhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       demo.Fault
		wantExit    int
		wantStatus  string
		wantState   string
		wantWebhook string
		wantDatadog []string
		wantSlack   []string
	}{
		{name: "healthy", fault: demo.FaultNone, wantExit: 0, wantStatus: "healthy", wantState: "success", wantWebhook: "success",
			wantDatadog: []string{"info", "success"}, wantSlack: []string{"🚀 Deploy of SHA7 to production", "✅ Deploy of SHA7 to production"}},
		{name: "failed", fault: demo.FaultReadiness, wantExit: 1, wantStatus: "failed", wantState: "failure", wantWebhook: "failure",
			wantDatadog: []string{"info", "error", "error"}, wantSlack: []string{"🚀 Deploy of SHA7 to production", "🔴 Deploy of SHA7 to production", "❌ Deploy of SHA7 to production"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			all := startEverywhere(t)
			gh := all.github
			gh.AddPullRequest(42, newRelease.Commit, "open")
			previous := gh.AddDeployment(githubtest.Deployment{SHA: strings.Repeat("a", 40), Environment: "production", Task: "deploy",
				Description: "Deploy aaaaaaa to production", CreatedAt: time.Now().Add(-3 * time.Hour),
				Statuses: []githubtest.DeploymentStatus{{State: "failure", Description: "failed: error rate"}}})
			svc := service(t)
			with := standardInputs(svc.URL())
			for k, v := range map[string]string{
				"commit_status": "true", "environment_url": "https://shop.example.com",
				"slack_webhook_url": all.URL + "/hooks/slack/T0/B0/sl4ckS3cretPath",
				"webhook_url":       all.URL + "/cased/api/v1/deployments/", "webhook_token": "cased-e2e-t0ken",
				"grafana_url": all.URL + "/grafana", "grafana_token": "glsa_e2e_t0ken", "grafana_dashboard_uid": "shop",
				"datadog_api_key": "dd-e2e-k3y-0123456789", "datadog_api_url": all.URL + "/datadog",
			} {
				with[k] = v
			}
			s := newStep(t, with)
			// This step's GitHub is the shared server (a later value of a variable wins).
			s.cmd.Env = append(s.cmd.Env, "GITHUB_API_URL="+all.URL)
			svc.SetFault(tt.fault)
			s.start()
			code := s.wait(30 * time.Second)
			log := s.stdout.String()
			outs := s.outputs()
			if code != tt.wantExit || outs["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q\n%s", code, outs["status"], tt.wantExit, tt.wantStatus, log)
			}
			if strings.Contains(log, "report not delivered") {
				t.Errorf("a sink failed:\n%s", log)
			}

			// GitHub: one query, the deployment created, its statuses, the comment created
			// once and edited, the commit status. Nothing else.
			calls := githubCalls(gh)
			t.Logf("%d GitHub calls: %q", len(calls), calls)
			if calls[0] != "POST /graphql" || calls[1] != "POST /repos/acme/shop/deployments" {
				t.Errorf("GitHub calls %q: want the one query, then the deployment", calls)
			}
			if n := count(calls, "POST /repos/acme/shop/issues/N/comments"); n != 1 {
				t.Errorf("%d comments created, want 1: %q", n, calls)
			}
			if n := count(calls, "PATCH /repos/acme/shop/issues/comments/N"); n < 1 {
				t.Errorf("the comment was never edited: %q", calls)
			}
			if len(calls) > 15 {
				t.Errorf("%d GitHub calls for one run", len(calls))
			}
			deps := gh.Deployments()
			var ours githubtest.Deployment
			for _, d := range deps {
				if d.ID != previous {
					ours = d
				}
			}
			var states []string
			for _, st := range ours.Statuses {
				states = append(states, st.State)
			}
			if len(deps) != 2 || ours.SHA != newRelease.Commit || states[0] != "in_progress" || states[len(states)-1] != tt.wantState {
				t.Errorf("deployments %+v: want ours for %s, in_progress … %s", deps, newRelease.Commit, tt.wantState)
			}
			if last := ours.Statuses[len(ours.Statuses)-1]; last.EnvironmentURL != "https://shop.example.com" || last.LogURL != "https://github.com/acme/shop/actions/runs/9001" {
				t.Errorf("final status %+v: want the environment and run URLs", last)
			}
			cs := gh.IssueComments(42)
			if len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — "+tt.wantStatus) || !strings.Contains(cs[0].Body, "Previous deployments to production") {
				t.Errorf("comments %+v: want one, final, with the history", cs)
			}
			if st := gh.CommitStatuses(newRelease.Commit); len(st) != 2 || st[0].State != "pending" || st[1].Context != "deploywatch/production" {
				t.Errorf("commit statuses %+v", st)
			}
			if outs["deployment_id"] != fmt.Sprint(ours.ID) || !strings.Contains(outs["comment_url"], "#issuecomment-") {
				t.Errorf("outputs deployment_id %q comment_url %q", outs["deployment_id"], outs["comment_url"])
			}
			if sum := s.summaryText(); !strings.Contains(sum, "Previous deployments to production (success rate 0%, 0 of the last 1)") || !strings.Contains(sum, "[Grafana dashboard](") {
				t.Errorf("summary lacks the history or the dashboard link:\n%s", sum)
			}

			// The others: the start and the end (and the failure, on a failed run).
			if got := all.got("/cased/"); !slices.Equal(got, []string{"running", tt.wantWebhook}) {
				t.Errorf("deployment-event API got %q", got)
			}
			if got := all.got("/grafana/api/annotations"); len(got) < 2 || !strings.Contains(got[len(got)-1], "verdict:"+tt.wantStatus) {
				t.Errorf("Grafana got %q: want the region opened then closed with the verdict", got)
			}
			if diff := cmp.Diff(tt.wantDatadog, all.got("/datadog/")); diff != "" {
				t.Errorf("Datadog alert types (-want +got):\n%s", diff)
			}
			var wantSlack []string
			for _, m := range tt.wantSlack {
				wantSlack = append(wantSlack, strings.Replace(m, "SHA7", newRelease.Commit[:7], 1))
			}
			if diff := cmp.Diff(wantSlack, all.got("/hooks/slack/")); diff != "" {
				t.Errorf("Slack messages (-want +got):\n%s", diff)
			}
			s.noSecrets()
			for _, secret := range []string{"sl4ckS3cretPath", "cased-e2e-t0ken", "glsa_e2e_t0ken", "dd-e2e-k3y-0123456789"} {
				if strings.Contains(withoutMasks(log)+s.summaryText()+readFile(s.output), secret) {
					t.Errorf("secret %q printed or written", secret)
				}
			}
		})
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
