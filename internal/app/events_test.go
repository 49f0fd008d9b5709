package app

import (
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

func TestNotifierRegistryMatchesTheConfig(t *testing.T) {
	t.Parallel()
	if got, want := notifierTypes(), config.NotifierTypes(); !slices.Equal(got, want) {
		t.Errorf("registered notifier types %v, config accepts %v", got, want)
	}
}

// The config accepts exactly the Datadog sites the sink knows.
func TestDatadogSitesAgree(t *testing.T) {
	t.Parallel()
	for _, site := range config.DatadogSites {
		if _, err := notifiers[config.NotifierDatadog](config.Notifier{Type: config.NotifierDatadog, Token: "k", Site: site}, nil); err != nil {
			t.Errorf("site %q: %v", site, err)
		}
	}
}
