package main_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
)

// The secret scan's secrets, their encodings and the scan of every output.

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
