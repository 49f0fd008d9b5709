package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
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
type ssSecret struct {
	name   string
	masks  []string // the values ::add-mask:: must register
	forms  []string
	own    string
	header []string
}

// ssSecrets lists the secrets of the inputs, each with its encodings: raw, URL-escaped
// (query, path, userinfo), JSON-escaped, and for a user:password the base64 of the Basic
// credentials (and of SMTP's AUTH PLAIN).
func ssSecrets(with map[string]string, gitlab bool) []ssSecret {
	plain := func(name, v, own string, header ...string) ssSecret {
		return ssSecret{name: name, masks: []string{v}, forms: ssEncodings(v), own: own, header: header}
	}
	// A part of a secret is masked with it, not on its own.
	derived := func(s ssSecret) ssSecret { s.masks = nil; return s }
	out := []ssSecret{
		plain("github_token", with["github_token"], "github", "Authorization"),
		plain("gitlab_token", with["gitlab_token"], "gitlab", "Private-Token", "Authorization"),
		plain("webhook_token", with["webhook_token"], "webhook", "Authorization"),
		plain("grafana_token", with["grafana_token"], "grafana", "Authorization"),
		plain("datadog_api_key", with["datadog_api_key"], "datadog", "Dd-Api-Key"),
		plain("prometheus_token", with["prometheus_token"], "prometheus", "Authorization"),
		plain("prometheus_headers", "ssT3nantSecret-6a7b", "prometheus", "X-Scope-Orgid"),
		plain("http_headers X-Probe-Token", "ssProbeH3aderValue-0a1b", "probe", "X-Probe-Token"),
		plain("http_headers X-Api-Key", "ssApiK3yValue-2c3d", "probe", "X-Api-Key"),
		plain("slack_webhook_url", with["slack_webhook_url"], "", ""),
		derived(plain("slack_webhook_url path", "ssSl4ckS3cretPath", "slack", "url")),
		plain("webhook_url", with["webhook_url"], "", ""),
		derived(plain("webhook_url path", "ssW3bhookS3cretPath", "webhook", "url")),
		plain("smtp_url", with["smtp_url"], "", ""),
	}
	if gitlab {
		out = append(out, plain("CI_JOB_TOKEN", gitlabtest.JobToken, "gitlab", "Job-Token"))
	}
	for _, in := range []struct{ name, own string }{{"health_url", "probe"}, {"info_url", "probe"}, {"smoke_tests", "probe"},
		{"metrics_url", "probe"}, {"prometheus_url", ""}, {"smtp_url", "smtp"}} {
		raw := with[in.name]
		if in.name == "smoke_tests" {
			raw = strings.Fields(raw)[1]
		}
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			panic("no user:password in " + in.name)
		}
		user := u.User.Username()
		pass, _ := u.User.Password()
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		// The Basic credentials are masked too: a later step's curl -v prints them.
		s := ssSecret{name: in.name + " password", masks: []string{pass, basic}, forms: ssEncodings(pass), own: in.own, header: []string{"Authorization"}}
		s.forms = append(s.forms, strings.TrimPrefix(url.UserPassword(user, pass).String(), user+":"), basic)
		if in.name == "smtp_url" {
			s.masks = s.masks[:1]
			s.forms = append(s.forms, base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass)))
			s.header = []string{"Auth"}
		}
		out = append(out, s)
	}
	// The kubeconfig's secret is its content, and in it the credential: the service
	// account token (or the token line of the broken one).
	out = append(out, ssSecret{name: "kubeconfig", masks: []string{strings.TrimSpace(with["kubeconfig"])}, forms: ssEncodings(with["kubeconfig"])})
	for l := range strings.Lines(with["kubeconfig"]) {
		if _, tok, ok := strings.Cut(strings.TrimSpace(l), "token: "); ok {
			out = append(out, ssSecret{name: "kubeconfig token", masks: []string{tok}, forms: ssEncodings(tok)})
		}
	}
	return out
}

func ssEncodings(v string) []string {
	j, _ := json.Marshal(v)
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v), string(j[1 : len(j)-1])}
	slices.Sort(forms)
	return slices.Compact(forms)
}

func ssForms(secrets []ssSecret) int {
	n := 0
	for _, s := range secrets {
		n += len(s.forms)
	}
	return n
}

// ssOutputs is what a run left: its log, the runner's files, the workspace.
type ssOutputs struct {
	log   string
	dir   string
	files []string
}

// read returns every output by name: the log and every file of the workspace and of the
// runner. withReports requires the reports a judged run writes.
func (o ssOutputs) read(t *testing.T, gitlab, withReports bool) map[string]string {
	t.Helper()
	log := o.log
	if !gitlab {
		log = withoutMasks(log) // the masks themselves are checked by ssMaskedFirst
	}
	texts := map[string]string{"stdout+stderr": log}
	for _, f := range o.files {
		texts[filepath.Base(f)] = readFile(f)
	}
	err := filepath.WalkDir(o.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			texts[strings.TrimPrefix(path, o.dir+"/")] = readFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The inputs put the Markdown, JUnit and dotenv reports under out/ on both hosts.
	for _, name := range []string{"deploywatch-report.json", "out/summary.md", "out/junit.xml", "out/deploywatch.env"} {
		if withReports && texts[name] == "" {
			t.Errorf("%s not written; the scan would miss it", name)
		}
	}
	return texts
}

// ssMaskedFirst checks the GitHub log opens with an ::add-mask:: for every secret.
func ssMaskedFirst(t *testing.T, log string, secrets []ssSecret) {
	t.Helper()
	masked := map[string]bool{}
	for l := range strings.Lines(log) {
		v, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), "::add-mask::")
		if !ok {
			break
		}
		// A workflow command escapes %, CR and LF.
		masked[strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(v)] = true
	}
	for _, s := range secrets {
		for _, m := range s.masks {
			if !masked[m] {
				t.Errorf("%s (as %q) is not masked (::add-mask::) before the first line of the log", s.name, m)
			}
		}
	}
}

// ssReached proves the scan is not vacuous: every service got requests.
func ssReached(t *testing.T, reqs []ssRequest, gitlab, reject, judged bool) {
	t.Helper()
	got := map[string]int{}
	for _, r := range reqs {
		got[r.service]++
	}
	want := []string{"slack", "webhook", "grafana", "datadog", "github"}
	if gitlab {
		want[4] = "gitlab"
	}
	if judged {
		want = append(want, "probe", "prometheus", "smtp")
	}
	for _, s := range want {
		if got[s] == 0 {
			t.Errorf("%s got no request (reject %v): %v", s, reject, got)
		}
	}
}

// ssScan lists every place a secret shows: any output, any request body, and any header
// or URL of a request other than the one credential of its own service.
func ssScan(secrets []ssSecret, texts map[string]string, reqs []ssRequest) []string {
	var leaks []string
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, s := range secrets {
		for _, f := range s.forms {
			for _, n := range names {
				if i := strings.Index(texts[n], f); i >= 0 {
					leaks = append(leaks, fmt.Sprintf("%s (as %q) leaks into %s: …%s…", s.name, f, n, ssAround(texts[n], i, len(f))))
				}
			}
			for _, r := range reqs {
				own := func(where string) bool { return s.own == r.service && slices.Contains(s.header, where) }
				where := r.service + " " + r.method + " " + r.path
				if i := strings.Index(r.body, f); i >= 0 {
					leaks = append(leaks, fmt.Sprintf("%s (as %q) leaks into the body of %s: …%s…", s.name, f, where, ssAround(r.body, i, len(f))))
				}
				if strings.Contains(r.path, f) && !own("url") {
					leaks = append(leaks, fmt.Sprintf("%s (as %q) leaks into the URL of %s", s.name, f, where))
				}
				for h, vs := range r.header {
					if strings.Contains(strings.Join(vs, "\n"), f) && !own(h) {
						leaks = append(leaks, fmt.Sprintf("%s (as %q) leaks into header %s of %s", s.name, f, h, where))
					}
				}
			}
		}
	}
	return leaks
}

func ssAround(text string, i, n int) string {
	return strings.ReplaceAll(text[max(0, i-60):min(len(text), i+n+20)], "\n", "⏎")
}

// ssRequest is one request a service received; for SMTP, the AUTH argument is its
// header "Auth" and the mail its body.
type ssRequest struct {
	service, method, path string
	header                http.Header
	body                  string
}

// ssRecorder records the requests of every server of one run.
type ssRecorder struct {
	mu   sync.Mutex
	reqs []ssRequest
}

func (rec *ssRecorder) add(r ssRequest) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, r)
}

func (rec *ssRecorder) all() []ssRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// record wraps h: each request is recorded under service(path) with its body.
func (rec *ssRecorder) record(service func(path string) string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		rec.add(ssRequest{service: service(r.URL.Path), method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: string(body)})
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// ssSinks is one server for every HTTP sink, as in events_test.go: the fake GitHub at
// the root, the fake GitLab under /api/v4, Slack, the deployment-event API, Grafana,
// Datadog. With reject, each service answers its first request 500 (retried, and logged)
// and the others 401 (the sink turns itself off, with a warning), quoting the credentials
// and the path it was sent.
type ssSinks struct {
	*httptest.Server
	github *githubtest.Server
	gitlab *gitlabtest.Server

	mu     sync.Mutex
	failed map[string]bool // services that answered their 500
}

func ssSinkService(path string) string {
	for prefix, s := range map[string]string{"/api/v4/": "gitlab", "/hooks/slack/": "slack", "/cased/": "webhook", "/grafana/": "grafana", "/datadog/": "datadog"} {
		if strings.HasPrefix(path, prefix) {
			return s
		}
	}
	return "github"
}

func ssStartSinks(t *testing.T, rec *ssRecorder, reject bool) *ssSinks {
	t.Helper()
	s := &ssSinks{github: githubtest.New(), gitlab: gitlabtest.New(), failed: map[string]bool{}}
	s.Server = httptest.NewServer(rec.record(ssSinkService, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc := ssSinkService(r.URL.Path)
		if reject {
			echo := []string{r.URL.RequestURI()}
			for _, h := range []string{"Authorization", "Dd-Api-Key", "Private-Token", "Job-Token"} {
				if v := r.Header.Get(h); v != "" {
					echo = append(echo, h+": "+v)
				}
			}
			status := http.StatusUnauthorized
			s.mu.Lock()
			if !s.failed[svc] {
				status = http.StatusInternalServerError
				s.failed[svc] = true
			}
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "refused " + strings.Join(echo, " ")})
			return
		}
		switch svc {
		case "github":
			s.github.ServeHTTP(w, r)
		case "gitlab":
			s.gitlab.ServeHTTP(w, r)
		case "grafana":
			if r.Method == http.MethodPost {
				_, _ = io.WriteString(w, `{"id":77,"message":"Annotation added"}`)
				return
			}
			_, _ = io.WriteString(w, `{"message":"Annotation patched"}`)
		case "datadog":
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		case "webhook":
			_, _ = io.WriteString(w, `{}`)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})))
	t.Cleanup(s.Close)
	s.github.URL, s.gitlab.URL = s.URL, s.URL
	return s
}

// ssStartProbe is the service under test as the HTTP checks see it, echoing the request's
// headers back: /health answers 503 with each header as a failing dependency, /info
// reports the Authorization header as its version, /echo returns the headers as JSON,
// /metrics passes the demo service's metrics on.
func ssStartProbe(t *testing.T, rec *ssRecorder, demoURL string) *httptest.Server {
	t.Helper()
	headers := func(r *http.Request) map[string]string {
		m := map[string]string{}
		for k, vs := range r.Header {
			m[strings.ToLower(k)] = strings.Join(vs, ", ")
		}
		return m
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		deps := map[string]any{}
		for k, v := range headers(r) {
			deps[k] = map[string]string{"status": "down", "error": "rejected " + k + ": " + v}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "down", "checks": deps})
	})
	mux.HandleFunc("/live", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/info", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"commit": r.Header.Get("Authorization"), "headers": headers(r)})
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) { _ = json.NewEncoder(w).Encode(headers(r)) })
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(demoURL + "/metrics")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		_, _ = io.Copy(w, resp.Body)
	})
	srv := httptest.NewServer(rec.record(func(string) string { return "probe" }, mux))
	t.Cleanup(srv.Close)
	return srv
}

// ssStartProxy records the requests to the real Prometheus at target.
func ssStartProxy(t *testing.T, rec *ssRecorder, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rec.record(func(string) string { return "prometheus" }, httputil.NewSingleHostReverseProxy(u)))
	t.Cleanup(srv.Close)
	return srv
}

func ssWithUser(raw, user, pass string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.User = url.UserPassword(user, pass)
	return u.String()
}

// ssClosedAddr is a loopback address nothing listens on.
func ssClosedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// ssSMTP is an SMTP server on loopback offering AUTH PLAIN. With reject it refuses the
// credentials quoting them back, decoded, as a careless server might.
type ssSMTP struct {
	addr   string
	rec    *ssRecorder
	reject bool
	wg     sync.WaitGroup
}

func ssStartSMTP(t *testing.T, rec *ssRecorder, reject bool) *ssSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ssSMTP{addr: ln.Addr().String(), rec: rec, reject: reject}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.session(c) })
		}
	})
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *ssSMTP) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) { _ = tp.PrintfLine(format, args...) }
	reply("220 ss.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply("250-ss.test\r\n250 AUTH PLAIN")
		case "AUTH":
			_, resp, _ := strings.Cut(arg, " ")
			s.rec.add(ssRequest{service: "smtp", method: "AUTH", header: http.Header{"Auth": {resp}}})
			if s.reject {
				dec, _ := base64.StdEncoding.DecodeString(resp)
				reply("535 5.7.8 credentials %s rejected: %s", resp, strings.ReplaceAll(string(dec), "\x00", " "))
				continue
			}
			reply("235 2.7.0 accepted")
		case "DATA":
			reply("354 end with .")
			body, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			// Scanned as sent and decoded: quoted-printable may break a secret over lines.
			decoded, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
			s.rec.add(ssRequest{service: "smtp", method: "DATA", body: string(body) + "\n" + string(decoded)})
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}
