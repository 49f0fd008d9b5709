package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
)

// The fault-injection suite (faults_*_test.go) runs the binary against real servers on
// loopback with a fault injector in front: the fakes of GitHub and GitLab, a Slack
// webhook, the deployment-event API, a health endpoint, the Kubernetes API server.

// fkInputs are the standard inputs with a request timeout that a loaded CI machine (two
// cores, other suites running) cannot mistake for a hung service.
func fkInputs(base string) map[string]string {
	with := standardInputs(base)
	with["http_timeout"] = "5s"
	return with
}

// fkRule is one fault: the requests it selects and what they get instead of an answer.
type fkRule struct {
	// method ("" for any) and path (a path.Match pattern on the escaped path, "" for any)
	// select the requests.
	method, path string
	// query, when set, must be in the raw query; notQuery must not be.
	query, notQuery string
	// every picks one matching request in every (0 or 1: each one); times is how many of
	// them get the fault (0: no limit).
	every, times int
	// status, header and body are the answer given instead.
	status int
	header http.Header
	body   string
	// hang holds the request until the client gives up instead of answering.
	hang bool
	// after passes the request on first, so the server carries it out and only the answer
	// is lost.
	after bool
}

// fkFaults is an http.Handler in front of next that applies its rules.
type fkFaults struct {
	next http.Handler
	stop chan struct{}
	// hung receives the path of every request that starts hanging (when nobody waits for
	// it, the notice is dropped).
	hung chan string

	mu      sync.Mutex
	rules   []*fkRule
	matched map[*fkRule]int
	used    map[*fkRule]int
	served  int
}

func fkNewFaults(next http.Handler) *fkFaults {
	return &fkFaults{next: next, stop: make(chan struct{}), hung: make(chan string, 16),
		matched: map[*fkRule]int{}, used: map[*fkRule]int{}}
}

// fkServe serves h on loopback until the test ends; hanging requests are released first,
// since closing the server waits for them.
func fkServe(t *testing.T, f *fkFaults) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(f.stop) })
	return srv
}

func (f *fkFaults) add(r fkRule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &r)
}

// faults returns how many requests got a fault so far.
func (f *fkFaults) faults() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

func (f *fkFaults) take(r *http.Request) *fkRule {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rule := range f.rules {
		if rule.method != "" && rule.method != r.Method {
			continue
		}
		if ok, err := path.Match(rule.path, r.URL.EscapedPath()); rule.path != "" && (err != nil || !ok) {
			continue
		}
		q := r.URL.RawQuery
		if rule.query != "" && !strings.Contains(q, rule.query) || rule.notQuery != "" && strings.Contains(q, rule.notQuery) {
			continue
		}
		if rule.times > 0 && f.used[rule] >= rule.times {
			continue
		}
		f.matched[rule]++
		if rule.every > 1 && f.matched[rule]%rule.every != 0 {
			continue
		}
		f.used[rule]++
		f.served++
		return rule
	}
	return nil
}

func (f *fkFaults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rule := f.take(r)
	if rule == nil {
		f.next.ServeHTTP(w, r)
		return
	}
	if rule.after {
		f.next.ServeHTTP(httptest.NewRecorder(), r)
	}
	if rule.hang {
		select {
		case f.hung <- r.Method + " " + r.URL.Path:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	for k, vs := range rule.header {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	w.WriteHeader(rule.status)
	_, _ = io.WriteString(w, rule.body)
}

// waitHung waits until a request starts hanging, at most limit, and returns it.
func (f *fkFaults) waitHung(t *testing.T, limit time.Duration) string {
	t.Helper()
	select {
	case p := <-f.hung:
		return p
	case <-time.After(limit):
		t.Fatalf("no request hung within %s", limit)
		return ""
	}
}

// fkWorld is every place a GitHub run reports to, behind one fault injector: the fake
// GitHub (on the real API paths), a Slack incoming webhook and the deployment-event API.
// It records what Slack and the event API received.
type fkWorld struct {
	url    string
	faults *fkFaults
	github *githubtest.Server

	mu      sync.Mutex
	slack   []string // the first words of each message
	webhook []string // the status of each event
}

const (
	fkSlackPath   = "/hooks/slack/T0/B0/fkS3cretPath"
	fkWebhookPath = "/cased/api/v1/deployments/"
	fkWebhookKey  = "cased-fk-t0ken"
)

func fkStartWorld(t *testing.T) *fkWorld {
	t.Helper()
	w := &fkWorld{github: githubtest.New()}
	w.github.AddPullRequest(42, newRelease.Commit, "open")
	mux := http.NewServeMux()
	mux.Handle("/", w.github)
	mux.HandleFunc("POST "+fkSlackPath, func(rw http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		w.mu.Lock()
		w.slack = append(w.slack, firstWords(m.Text, 1))
		w.mu.Unlock()
		_, _ = io.WriteString(rw, "ok")
	})
	mux.HandleFunc("POST "+fkWebhookPath, func(rw http.ResponseWriter, r *http.Request) {
		var m struct{ Status string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		w.mu.Lock()
		w.webhook = append(w.webhook, m.Status)
		w.mu.Unlock()
		_, _ = io.WriteString(rw, `{}`)
	})
	w.faults = fkNewFaults(mux)
	w.url = fkServe(t, w.faults).URL
	w.github.URL = w.url
	return w
}

func (w *fkWorld) slackMessages() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.slack...)
}

func (w *fkWorld) webhookStatuses() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.webhook...)
}

// fkStep is a GitHub step reporting to the world: the deployment, the sticky comment,
// the commit status, Slack and the deployment-event API.
func fkStep(t *testing.T, w *fkWorld, with map[string]string) *step {
	t.Helper()
	all := map[string]string{
		"commit_status": "true", "slack_webhook_url": w.url + fkSlackPath,
		"webhook_url": w.url + fkWebhookPath, "webhook_token": fkWebhookKey,
	}
	for k, v := range with {
		all[k] = v
	}
	s := newStep(t, all)
	s.github = w.github
	// A later value of a variable wins.
	s.cmd.Env = append(s.cmd.Env, "GITHUB_API_URL="+w.url)
	return s
}

// fkState is the state of the deployment's last status, "" when there is none.
func fkState(gh *githubtest.Server) string {
	deps := gh.Deployments()
	if len(deps) != 1 || len(deps[0].Statuses) == 0 {
		return ""
	}
	return deps[0].Statuses[len(deps[0].Statuses)-1].State
}

// fkCommitState is the state of the last commit status of the new release.
func fkCommitState(gh *githubtest.Server) string {
	st := gh.CommitStatuses(newRelease.Commit)
	if len(st) == 0 {
		return ""
	}
	return st[len(st)-1].State
}

// fkReport is the part of the JSON report the suite reads.
type fkReport struct {
	Status string
	Checks []fkCheck
	// Findings are every finding, with the check that raised it.
	Findings []struct{ Check, Message string }
}

type fkCheck struct {
	Name         string
	Runs, Errors int
}

func fkReadReport(t *testing.T, s *step) fkReport {
	t.Helper()
	var r fkReport
	fkJSON(t, filepath.Join(s.workspace, "deploywatch-report.json"), &r)
	return r
}

// check returns the check named name.
func (r fkReport) check(name string) (fkCheck, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return fkCheck{Name: name}, false
}

// fkJSON decodes the JSON file at path into v.
func fkJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
