package main_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

// updateEvents rewrites the golden transcripts of TestReportsEverywhere.
var updateEvents = flag.Bool("update", false, "rewrite the golden call transcripts of TestReportsEverywhere")

// everywhere is one local server standing for every place a run reports to over HTTP:
// GitHub (the stateful fake, on the real API paths), a Slack incoming webhook, the
// deployment-event API, Grafana and Datadog. It records every call, GitHub's included;
// mail goes to the SMTP fake beside it.
type everywhere struct {
	*httptest.Server
	github *githubtest.Server
	smtp   *sinktest.SMTPServer

	mu    sync.Mutex
	calls []call
}

// call is one HTTP request as the transcript shows it.
type call struct {
	sink, method, path, auth string
	body                     []byte
}

func startEverywhere(t *testing.T) *everywhere {
	t.Helper()
	e := &everywhere{github: githubtest.New(), smtp: sinktest.NewSMTPServer(t, smtpUser, smtpPass, nil)}
	mux := http.NewServeMux()
	mux.Handle("/", e.github)
	mux.HandleFunc("POST /hooks/slack/T0/B0/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /cased/api/v1/deployments/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{}`)
	})
	mux.HandleFunc("GET /grafana/api/annotations", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `[]`)
	})
	mux.HandleFunc("POST /grafana/api/annotations", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"id":77,"message":"Annotation added"}`)
	})
	mux.HandleFunc("PATCH /grafana/api/annotations/77", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"message":"Annotation patched"}`)
	})
	mux.HandleFunc("POST /datadog/api/v1/events", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	e.Server = httptest.NewServer(e.record(mux))
	t.Cleanup(e.Close)
	e.github.URL = e.URL
	return e
}

// record keeps every request, named by the sink its path belongs to.
func (e *everywhere) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		c := call{sink: "github other", method: r.Method, path: r.URL.Path, auth: authScheme(r.Header), body: b}
		for prefix, name := range map[string]string{
			"/graphql": "github query", "/repos/acme/shop/deployments": "github deployment",
			"/repos/acme/shop/issues/": "github comment", "/repos/acme/shop/statuses/": "github status",
			"/hooks/slack/": "slack", "/cased/": "webhook", "/grafana/": "grafana", "/datadog/": "datadog",
		} {
			if strings.HasPrefix(r.URL.Path, prefix) {
				c.sink = name
			}
		}
		e.mu.Lock()
		e.calls = append(e.calls, c)
		e.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// authScheme names how a request authenticates, never with what.
func authScheme(h http.Header) string {
	if a := h.Get("Authorization"); a != "" {
		scheme, _, _ := strings.Cut(a, " ")
		return scheme
	}
	if h.Get("DD-API-KEY") != "" {
		return "DD-API-KEY"
	}
	return "none"
}

// The SMTP server's credentials; the password is a secret of the run.
const (
	smtpUser = "deploy@acme.example"
	smtpPass = "smtp-e2e-p4ssw0rd"
)

// transcriptFields are the body fields a transcript shows: what a sink decided (states,
// kinds, tags, flags), not the text around it, which the report golden files cover.
var transcriptFields = []string{
	"alert_type", "auto_merge", "context", "dashboardUID", "environment", "environment_url", "log_url",
	"production_environment", "ref", "required_contexts", "state", "status", "tags", "task", "text",
	"timeEnd", "transient_environment",
}

// transcript renders the calls of every sink, in order within each sink (sinks run side
// by side, so only their own order is fixed), and the SMTP session, normalised (ids,
// times and the commit replaced by fixed tokens), and no secret can show (only field names the
// list above allows, and the auth scheme alone). A run of identical calls shows once:
// how often a comment or a status is edited in place between checkpoints depends on
// timing, which the assertions after the transcript bound instead.
func (e *everywhere) transcript(norm func(string) string) string {
	e.mu.Lock()
	calls := slices.Clone(e.calls)
	e.mu.Unlock()
	var b strings.Builder
	for _, name := range []string{"github query", "github deployment", "github comment", "github status", "github other",
		"slack", "webhook", "grafana", "datadog"} {
		fmt.Fprintf(&b, "== %s\n", name)
		last := ""
		for _, c := range calls {
			if c.sink != name {
				continue
			}
			line := fmt.Sprintf("%s %s auth=%s%s\n", c.method, normPath(norm(c.path)), c.auth, bodyFields(c.body, norm))
			if line != last {
				b.WriteString(line)
			}
			last = line
		}
	}
	b.WriteString("== email\n")
	for _, cmd := range e.smtp.Commands() {
		b.WriteString(cmd + "\n")
	}
	for _, m := range e.smtp.Received() {
		fmt.Fprintf(&b, "mail from=%s to=%s\n", m.From, strings.Join(m.To, ","))
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			fmt.Fprintf(&b, "unreadable: %v\n", err)
			continue
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		fmt.Fprintf(&b, "subject: %s\n", norm(subject))
		fmt.Fprintf(&b, "auto-submitted: %s\n", msg.Header.Get("Auto-Submitted"))
	}
	return b.String()
}

// normPath replaces the numbers of a path (ids) by N.
func normPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			parts[i] = "N"
		}
	}
	return strings.Join(parts, "/")
}

// bodyFields shows a JSON body's transcript fields as " key=value", sorted; GraphQL
// queries by their operation.
func bodyFields(body []byte, norm func(string) string) string {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	var out []string
	if q, ok := doc["query"].(string); ok {
		f := strings.Fields(q)
		out = append(out, "query="+strings.Join(f[:min(2, len(f))], " "))
	}
	for _, k := range transcriptFields {
		v, ok := doc[k]
		if !ok {
			continue
		}
		var text string
		switch v := v.(type) {
		case string:
			text = v
		case float64:
			text = "<number>" // times and ids
		default:
			j, _ := json.Marshal(v)
			text = string(j)
		}
		if k == "text" {
			text = firstWords(text, 6)
		}
		out = append(out, k+"="+norm(text))
	}
	if len(out) == 0 {
		return ""
	}
	return " " + strings.Join(out, " ")
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

// TestReportsEverywhere runs the binary as the GitHub runner would, with every sink on,
// and compares the whole sequence of calls of each sink with a golden transcript: the
// deployment announced, the history read, the sticky comment created once then edited,
// the statuses, the start and the end on Slack, the deployment-event API, Grafana (a
// region) and Datadog, and the mail over STARTTLS with ca_cert trusting its server.
// Regenerate testdata/events_*.golden with: go test ./cmd/deploywatch -run TestReportsEverywhere -update
func TestReportsEverywhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      demo.Fault
		wantExit   int
		wantStatus string
	}{
		{name: "healthy", fault: demo.FaultNone, wantExit: 0, wantStatus: "healthy"},
		{name: "failed", fault: demo.FaultReadiness, wantExit: 1, wantStatus: "failed"},
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
			smtpURL := (&url.URL{Scheme: "smtp", User: url.UserPassword(smtpUser, smtpPass), Host: all.smtp.Addr}).String()
			for k, v := range map[string]string{
				"commit_status": "true", "environment_url": "https://shop.example.com",
				"slack_webhook_url": all.URL + "/hooks/slack/T0/B0/sl4ckS3cretPath",
				"webhook_url":       all.URL + "/cased/api/v1/deployments/", "webhook_token": "cased-e2e-t0ken",
				"grafana_url": all.URL + "/grafana", "grafana_token": "glsa_e2e_t0ken", "grafana_dashboard_uid": "shop",
				"datadog_api_key": "dd-e2e-k3y-0123456789", "datadog_api_url": all.URL + "/datadog",
				"smtp_url": smtpURL, "email_to": "oncall@acme.example", "ca_cert": all.smtp.PKI.CAPEM,
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

			norm := strings.NewReplacer(newRelease.Commit, "<sha>", newRelease.Commit[:7], "<sha7>", all.URL, "<server>",
				svc.URL(), "<service>", all.smtp.Addr, "<smtp>", "sl4ckS3cretPath", "<secret>").Replace
			got := all.transcript(func(v string) string { return normTime(norm(v)) })
			sinktest.CompareGolden(t, filepath.Join("testdata", "events_"+tt.name+".golden"), got, *updateEvents)

			// What the transcript cannot show: the state the calls left behind.
			calls := githubCalls(gh)
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
			if len(deps) != 2 || ours.SHA != newRelease.Commit {
				t.Errorf("deployments %+v: want ours for %s beside the previous one", deps, newRelease.Commit)
			}
			if last := ours.Statuses[len(ours.Statuses)-1]; last.EnvironmentURL != "https://shop.example.com" || last.LogURL != "https://github.com/acme/shop/actions/runs/9001" {
				t.Errorf("final status %+v: want the environment and run URLs", last)
			}
			cs := gh.IssueComments(42)
			if len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — "+tt.wantStatus) || !strings.Contains(cs[0].Body, "Previous deployments to production") {
				t.Errorf("comments %+v: want one, final, with the history", cs)
			}
			if outs["deployment_id"] != fmt.Sprint(ours.ID) || !strings.Contains(outs["comment_url"], "#issuecomment-") {
				t.Errorf("outputs deployment_id %q comment_url %q", outs["deployment_id"], outs["comment_url"])
			}
			if sum := s.summaryText(); !strings.Contains(sum, "Previous deployments to production (success rate 0%, 0 of the last 1)") || !strings.Contains(sum, "[Grafana dashboard](") {
				t.Errorf("summary lacks the history or the dashboard link:\n%s", sum)
			}
			s.noSecrets()
			for _, secret := range []string{"sl4ckS3cretPath", "cased-e2e-t0ken", "glsa_e2e_t0ken", "dd-e2e-k3y-0123456789", smtpPass} {
				if strings.Contains(withoutMasks(log)+s.summaryText()+readFile(s.output)+got, secret) {
					t.Errorf("secret %q printed, written or in the transcript", secret)
				}
			}
		})
	}
}

// githubCalls lists GitHub's calls as "METHOD path", numbers replaced by N.
func githubCalls(s *githubtest.Server) []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Method+" "+normPath(c.Path))
	}
	return out
}

// timePattern matches the times a body may hold (RFC 3339, with or without fractions).
var timePattern = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)

func normTime(s string) string { return timePattern.ReplaceAllString(s, "<time>") }
