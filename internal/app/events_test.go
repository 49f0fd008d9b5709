package app

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

// eventRecorder is a deployment-event API on loopback: it records the status of every
// event posted, and answers with status (200 when zero).
type eventRecorder struct {
	mu       sync.Mutex
	statuses []string
	auth     []string
	status   int
}

func (r *eventRecorder) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Status string `json:"status"`
		}
		b, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(b, &body)
		r.mu.Lock()
		r.statuses = append(r.statuses, body.Status)
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		code := r.status
		r.mu.Unlock()
		if code != 0 {
			w.WriteHeader(code)
			_, _ = io.WriteString(w, `{"message":"deployment_request is required"}`)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v1/deployments/"
}

func (r *eventRecorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.statuses)
}

func healthyService(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fast is a run of about a second.
var fast = []string{"--schedule", "300ms,600ms", "--interval", "100ms", "--cooldown", "0s"}

func TestRunAnnouncesAndFinishesOnTheSinks(t *testing.T) {
	t.Parallel()
	var rec eventRecorder
	hook := rec.start(t)
	e := newTestEnv(t, map[string]string{"INPUT_WEBHOOK_URL": hook, "INPUT_WEBHOOK_TOKEN": "cased-s3cret-token"})
	outputs := e.github(t)
	code := e.run(t.Context(), append([]string{"run", "--health-url", healthyService(t)}, fast...)...)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, e.stdout.String())
	}
	if got := rec.got(); !slices.Equal(got, []string{"running", "success"}) {
		t.Errorf("events posted %v, want running then success", got)
	}
	for _, a := range rec.auth {
		if a != "Bearer cased-s3cret-token" {
			t.Errorf("Authorization = %q", a)
		}
	}
	if outputs()["status"] != "healthy" || !strings.Contains(e.stdout.String(), "reporting to webhook") {
		t.Errorf("outputs %v\n%s", outputs(), e.stdout.String())
	}
}

func TestASinkFailureIsAWarningNotAVerdict(t *testing.T) {
	t.Parallel()
	rec := eventRecorder{status: http.StatusBadRequest}
	hook := rec.start(t)
	e := newTestEnv(t, map[string]string{"INPUT_WEBHOOK_URL": hook})
	outputs := e.github(t)
	code := e.run(t.Context(), append([]string{"run", "--health-url", healthyService(t)}, fast...)...)
	if code != ExitOK || outputs()["status"] != "healthy" {
		t.Fatalf("exit %d, status %q: a sink failure changed the verdict", code, outputs()["status"])
	}
	want := "webhook: finished event not delivered after 1 attempt(s): post deployment event: 400 Bad Request: deployment_request is required"
	if !strings.Contains(e.stdout.String(), "::warning title=deploywatch%3A report not delivered::"+want) {
		t.Errorf("no warning annotation for the failed sink:\n%s", e.stdout.String())
	}
	summary, _ := os.ReadFile(filepath.Join(e.dir, "summary"))
	if !strings.Contains(string(summary), "⚠️ webhook: finished event not delivered after 1 attempt(s)") {
		t.Errorf("summary lacks the sink warning:\n%s", summary)
	}
	var printed []string
	for _, l := range strings.Split(e.stdout.String(), "\n") {
		if !strings.HasPrefix(l, "::add-mask::") { // how the runner learns to hide it
			printed = append(printed, l)
		}
	}
	if strings.Contains(strings.Join(printed, "\n"), strings.TrimPrefix(hook, "http://")) {
		t.Errorf("the webhook URL (a secret) was printed:\n%s", e.stdout.String())
	}
}

func TestModesReportToTheSinks(t *testing.T) {
	t.Parallel()
	var rec eventRecorder
	hook := rec.start(t)
	vars := map[string]string{"INPUT_WEBHOOK_URL": hook}
	if code := newTestEnv(t, vars).run(t.Context(), "start"); code != ExitOK {
		t.Fatalf("start: exit %d", code)
	}
	if code := newTestEnv(t, vars).run(t.Context(), "finish", "--status", "cancelled"); code != ExitOK {
		t.Fatalf("finish: exit %d", code)
	}
	if got := rec.got(); !slices.Equal(got, []string{"running", "cancelled"}) {
		t.Errorf("events posted %v, want running (start) then cancelled (finish)", got)
	}
}

// In modes start and finish too, a sink failure is a warning twice over: an annotation
// and a line of the job summary; the step still succeeds.
func TestStartAndFinishSummariseSinkWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		headline string
		warning  string
	}{
		{name: "start", args: []string{"start"}, headline: "🚀 deployment",
			warning: "webhook: started event not delivered after 1 attempt(s): post deployment event: 400 Bad Request"},
		{name: "finish", args: []string{"finish", "--status", "failed"}, headline: "failed: final status of",
			warning: "webhook: finished event not delivered after 1 attempt(s): post deployment event: 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := eventRecorder{status: http.StatusBadRequest}
			e := newTestEnv(t, map[string]string{"INPUT_WEBHOOK_URL": rec.start(t)})
			e.github(t)
			if code := e.run(t.Context(), tt.args...); code != ExitOK {
				t.Fatalf("exit %d: a sink failure changed the outcome\n%s", code, e.stdout.String())
			}
			if !strings.Contains(e.stdout.String(), "::warning title=deploywatch%3A report not delivered::"+tt.warning) {
				t.Errorf("no annotation %q:\n%s", tt.warning, e.stdout.String())
			}
			b, err := os.ReadFile(filepath.Join(e.dir, "summary"))
			if err != nil {
				t.Fatal(err)
			}
			summary := string(b)
			if !strings.Contains(summary, "### deploywatch: production") || !strings.Contains(summary, tt.headline) {
				t.Errorf("summary lacks the step's line %q:\n%s", tt.headline, summary)
			}
			if !strings.Contains(summary, "- ⚠️ "+tt.warning) {
				t.Errorf("summary lacks the warning line %q:\n%s", tt.warning, summary)
			}
		})
	}
}

// The config can check every registered type (and its schema's enum lists them), and
// every notifier an input turns on has a factory.
func TestNotifierRegistryMatchesTheConfig(t *testing.T) {
	t.Parallel()
	if got, want := notifierTypes(), config.NotifierTypes(); !slices.Equal(got, want) {
		t.Errorf("registered notifier types %v, config checks %v", got, want)
	}
}

// The registry is what a `sinks` item may name: the error for an unknown type lists its
// names, from the registry handed to the config.
func TestUnknownSinkTypeListsTheRegistry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "deploywatch.yml")
	if err := os.WriteFile(file, []byte("sinks:\n  - type: pagerduty\n    url: https://events.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, map[string]string{"INPUT_CONFIG": file})
	code := e.run(t.Context(), "run", "--health-url", "http://127.0.0.1:1/health")
	want := `"pagerduty" is not a sink type; valid types: ` + strings.Join(notifierTypes(), ", ")
	if out := e.stdout.String() + e.stderr.String(); code != ExitInvalid || !strings.Contains(out, "sinks[0].type") || !strings.Contains(out, want) {
		t.Errorf("exit %d, want %d and %q:\n%s%s", code, ExitInvalid, want, e.stdout.String(), e.stderr.String())
	}
}

// Every HTTP notifier gets a client of its own, each sending the User-Agent.
func TestEachNotifierHasItsOwnClient(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	agents := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents[r.URL.Path] = r.Header.Get("User-Agent")
		mu.Unlock()
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, `[]`) // Grafana: no annotation of this run yet
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"id":1,"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	cfg := &config.Config{Sinks: config.Sinks{Notifiers: []config.Notifier{
		{Type: config.NotifierSlack, URL: srv.URL + "/slack", Source: "slack_webhook_url"},
		{Type: config.NotifierWebhook, URL: srv.URL + "/hook", Source: "webhook_url"},
		{Type: config.NotifierGrafana, URL: srv.URL + "/grafana", Token: "t", Source: "grafana_url"},
		{Type: config.NotifierDatadog, Token: "k", Site: "datadoghq.com", APIURL: srv.URL + "/datadog", Source: "datadog_api_key"},
	}}}
	sinks, warnings, tr := buildSinks(Env{Version: "9.9.9"}, cfg, model.RunContext{})
	defer tr.CloseIdleConnections()
	if len(warnings) > 0 || len(sinks) != 4 {
		t.Fatalf("%d sinks, warnings %q", len(sinks), warnings)
	}
	for _, s := range sinks {
		if _, err := s.Send(t.Context(), sinktest.Finished()); err != nil {
			t.Errorf("%s: %v", s.Name(), err)
		}
	}
	if len(agents) != 4 {
		t.Errorf("requests to %v, want one per sink", agents)
	}
	for path, ua := range agents {
		if ua != userAgent("9.9.9") {
			t.Errorf("%s: User-Agent %q, want %q", path, ua, userAgent("9.9.9"))
		}
	}
}

// The config accepts exactly the Datadog sites the sink knows.
func TestDatadogSitesAgree(t *testing.T) {
	t.Parallel()
	for _, site := range config.DatadogSites {
		if _, err := notifiers[config.NotifierDatadog](config.Notifier{Type: config.NotifierDatadog, Token: "k", Site: site}, sinkDeps{}); err != nil {
			t.Errorf("site %q: %v", site, err)
		}
	}
}

// ca_cert reaches the email sink: a mail server whose certificate a private CA signed is
// trusted with ca_cert, over STARTTLS, and refused without it.
func TestEmailTrustsCACert(t *testing.T) {
	t.Parallel()
	for _, withCA := range []bool{true, false} {
		t.Run(map[bool]string{true: "with_ca_cert", false: "without"}[withCA], func(t *testing.T) {
			t.Parallel()
			srv := sinktest.NewSMTPServer(t, "deploy", "smtp-s3cret", nil)
			cfg := &config.Config{Sinks: config.Sinks{Notifiers: []config.Notifier{{Type: config.NotifierEmail,
				URL: "smtp://deploy:smtp-s3cret@" + srv.Addr, To: []string{"oncall@acme.example"}, Source: "smtp_url"}}}}
			if withCA {
				cfg.CACerts = []*x509.Certificate{srv.PKI.CA}
			}
			sinks, warnings, tr := buildSinks(Env{Version: "9.9.9"}, cfg, model.RunContext{})
			defer tr.CloseIdleConnections()
			if len(warnings) > 0 || len(sinks) != 1 {
				t.Fatalf("%d sinks, warnings %q", len(sinks), warnings)
			}
			_, err := sinks[0].Send(t.Context(), sinktest.Finished())
			if withCA != (err == nil) || withCA != (len(srv.Received()) == 1) {
				t.Errorf("err %v, %d mails; want delivered: %v", err, len(srv.Received()), withCA)
			}
			if cmds := srv.Commands(); len(cmds) < 2 || cmds[1] != "STARTTLS" {
				t.Errorf("commands %q: want STARTTLS before anything else", cmds)
			}
		})
	}
}
