package main_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
)

// Faults of the places a run reports to. A sink failure is a warning, never the verdict:
// the exit code and the status output stay what the service deserves, the sticky comment
// (or merge request note) exists once, the other sinks get their final event, and a sink
// that gave up is named in the summary. A sink that recovered on a retry is named in the
// log only; the summary has nothing to warn about then.

// fkBadGitHubToken is a token the fake GitHub refuses (401 Bad credentials).
const fkBadGitHubToken = "ghs_expiredT0kenValue0000000000000000"

func TestFaultSinksGitHub(t *testing.T) {
	t.Parallel()
	const (
		deployments = "/repos/acme/shop/deployments"
		comments    = "/repos/acme/shop/issues/42/comments"
		editComment = "/repos/acme/shop/issues/comments/*"
		statuses    = "/repos/acme/shop/deployments/*/statuses"
		slack       = fkSlackPath
		webhook     = fkWebhookPath
	)
	serverError := `{"message":"Server Error"}`
	retryAfter := http.Header{"Retry-After": {"1"}}
	tests := []struct {
		name  string
		rule  *fkRule
		token string // github_token; "" keeps the one the fake accepts
		fault demo.Fault
		// off is the sink that cannot get its final event: github, slack or webhook.
		off         string
		wantStatus  string
		wantExit    int
		wantRetry   string // in the log
		wantWarning string // in the summary; "" means no warning at all
	}{
		{name: "github_502_then_success", fault: demo.FaultReadiness, wantStatus: "failed", wantExit: 1,
			rule:      &fkRule{method: "POST", path: deployments, times: 2, status: http.StatusBadGateway, body: serverError},
			wantRetry: "github deployment: started event failed (create deployment: 502 Bad Gateway"},
		{name: "github_429_retry_after", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0,
			rule: &fkRule{method: "POST", path: comments, times: 1, status: http.StatusTooManyRequests, header: retryAfter,
				body: `{"message":"Too many requests"}`},
			wantRetry: "github comment: started event failed (create pull request comment: 429 Too Many Requests"},
		{name: "github_403_secondary_rate_limit", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0,
			rule: &fkRule{method: "POST", path: statuses, times: 1, status: http.StatusForbidden,
				header: githubtest.SecondaryRateLimitHeaders(time.Second), body: githubtest.SecondaryRateLimitBody},
			wantRetry: "secondary rate limit"},
		{name: "github_401_bad_token", fault: demo.FaultReadiness, wantStatus: "failed", wantExit: 1, token: fkBadGitHubToken, off: "github",
			wantWarning: "invalid or expired"},
		{name: "github_timeout_answer_lost", fault: demo.FaultReadiness, wantStatus: "failed", wantExit: 1,
			rule:      &fkRule{method: "POST", path: comments, times: 1, hang: true, after: true},
			wantRetry: "github comment: started event failed"},
		{name: "slack_502_then_success", fault: demo.FaultReadiness, wantStatus: "failed", wantExit: 1,
			rule:      &fkRule{method: "POST", path: slack, times: 2, status: http.StatusBadGateway, body: "bad gateway"},
			wantRetry: "slack: started event failed"},
		{name: "slack_429_retry_after", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0,
			rule:      &fkRule{method: "POST", path: slack, times: 1, status: http.StatusTooManyRequests, header: retryAfter, body: "rate_limited"},
			wantRetry: "slack: started event failed"},
		{name: "slack_403_invalid_token", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0, off: "slack",
			rule:        &fkRule{method: "POST", path: slack, status: http.StatusForbidden, body: "invalid_token"},
			wantWarning: "slack: turned off for the rest of this run"},
		{name: "slack_timeout", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0,
			rule:      &fkRule{method: "POST", path: slack, times: 1, hang: true},
			wantRetry: "slack: started event failed"},
		{name: "webhook_502_then_success", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0,
			rule:      &fkRule{method: "POST", path: webhook, times: 2, status: http.StatusBadGateway, body: serverError},
			wantRetry: "webhook: started event failed"},
		{name: "webhook_429_retry_after", fault: demo.FaultReadiness, wantStatus: "failed", wantExit: 1,
			rule:      &fkRule{method: "POST", path: webhook, times: 1, status: http.StatusTooManyRequests, header: retryAfter, body: `{}`},
			wantRetry: "webhook: started event failed"},
		{name: "webhook_401_bad_token", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0, off: "webhook",
			rule:        &fkRule{method: "POST", path: webhook, status: http.StatusUnauthorized, body: `{"error":"invalid token"}`},
			wantWarning: "webhook: turned off for the rest of this run"},
		{name: "webhook_timeout", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0,
			rule:      &fkRule{method: "POST", path: webhook, times: 1, hang: true},
			wantRetry: "webhook: started event failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := fkStartWorld(t)
			if tt.rule != nil {
				w.faults.add(*tt.rule)
			}
			svc := service(t)
			svc.SetFault(tt.fault)
			with := fkInputs(svc.URL())
			if tt.token != "" {
				with["github_token"] = tt.token
			}
			if tt.rule != nil && tt.rule.hang && !tt.rule.after {
				// The start hangs for the sinks' 10 s timeout, and the step's end waits for
				// the sinks 5 s at most: the run lasts long enough for the retry to land.
				with["cooldown"] = "10s"
			}
			s := fkStep(t, w, with)
			s.start()
			// The hang guard: a request that hangs costs the sinks' 10 s timeout.
			code := s.wait(60 * time.Second)
			log := s.stdout.String()
			outs := s.outputs()
			sum := s.summaryText()
			t.Logf("exited after %s; %d fault(s) served", time.Since(s.started).Round(time.Millisecond), w.faults.faults())
			if code != tt.wantExit || outs["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q: a sink fault changed the verdict\n%s", code, outs["status"], tt.wantExit, tt.wantStatus, log)
			}
			if tt.rule != nil && w.faults.faults() == 0 {
				t.Errorf("no request met the fault %+v", *tt.rule)
			}
			fkCheckGitHub(t, w.github, tt.off == "github", tt.wantStatus, outs)
			finalSlack := map[string]string{"healthy": "✅", "failed": "❌"}[tt.wantStatus]
			if got := w.slackMessages(); tt.off != "slack" && (len(got) < 2 || got[0] != "🚀" || got[len(got)-1] != finalSlack) {
				t.Errorf("Slack got %q: want the start first, %s last", got, finalSlack)
			}
			finalHook := map[string]string{"healthy": "success", "failed": "failure"}[tt.wantStatus]
			if got := w.webhookStatuses(); tt.off != "webhook" && !slices.Equal(got, []string{"running", finalHook}) {
				t.Errorf("deployment-event API got %q, want running then %s, each once", got, finalHook)
			}
			if tt.wantRetry != "" && (!strings.Contains(log, tt.wantRetry) || !strings.Contains(log, "retrying in")) {
				t.Errorf("log lacks the retry %q:\n%s", tt.wantRetry, log)
			}
			fkCheckWarning(t, sum, outs["summary"], log, annotation("warning", "deploywatch: report not delivered"), tt.wantWarning)
			for _, secret := range []string{fkBadGitHubToken, "fkS3cretPath", fkWebhookKey, "probe-secret-value-42"} {
				if strings.Contains(withoutMasks(log)+sum+readFile(s.output), secret) {
					t.Errorf("secret %q printed or written", secret)
				}
			}
			if tt.token == "" {
				s.noSecrets()
			}
		})
	}
}

// fkCheckGitHub checks what GitHub shows after the run: one deployment ending in the
// verdict's state, one sticky comment saying the verdict, the commit status; or, with a
// refused token, nothing at all. outs are the step's outputs, nil when there are none.
func fkCheckGitHub(t *testing.T, gh *githubtest.Server, refused bool, status string, outs map[string]string) {
	t.Helper()
	cs := gh.IssueComments(42)
	if refused {
		if len(cs) != 0 || len(gh.Deployments()) != 0 || outs["deployment_id"] != "" || outs["comment_url"] != "" {
			t.Errorf("a refused token made comments %+v, deployments %+v, outputs deployment_id %q comment_url %q",
				cs, gh.Deployments(), outs["deployment_id"], outs["comment_url"])
		}
		return
	}
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — "+status) {
		t.Errorf("pull request comments %+v, want exactly one saying %s", cs, status)
	}
	wantState := map[string]string{"healthy": "success", "failed": "failure"}[status]
	if got := fkState(gh); got != wantState {
		t.Errorf("deployments %+v: want one ending %s", gh.Deployments(), wantState)
	}
	if got := fkCommitState(gh); got != wantState {
		t.Errorf("commit statuses %+v: want the last %s", gh.CommitStatuses(newRelease.Commit), wantState)
	}
	if outs != nil && (outs["deployment_id"] == "" || !strings.Contains(outs["comment_url"], "#issuecomment-")) {
		t.Errorf("outputs deployment_id %q comment_url %q", outs["deployment_id"], outs["comment_url"])
	}
}

// fkCheckWarning checks that a sink that gave up is named in the summary, the outputs'
// one-line summary untouched, and that a run whose sinks all delivered warns of nothing.
func fkCheckWarning(t *testing.T, sum, summaryOutput, log, logMark, want string) {
	t.Helper()
	const header = "deploywatch warnings"
	if want == "" {
		if strings.Contains(sum, header) || strings.Contains(log, "report not delivered") {
			t.Errorf("a warning, yet every sink delivered in the end:\n%s", sum)
		}
		return
	}
	if !strings.Contains(sum, header) || !strings.Contains(sum, want) {
		t.Errorf("summary lacks the warning %q:\n%s", want, sum)
	}
	if !strings.Contains(log, logMark) {
		t.Errorf("no warning %q in the log:\n%s", logMark, log)
	}
	if strings.Contains(summaryOutput, want) {
		t.Errorf("the summary output %q speaks of a sink: it is about the deploy", summaryOutput)
	}
}

// fkBadGitLabToken is an access token the fake GitLab refuses (401).
const fkBadGitLabToken = "glpat-revokedT0kenValue00000"

func TestFaultSinksGitLab(t *testing.T) {
	t.Parallel()
	const (
		notes       = "/api/v4/projects/*/merge_requests/41/notes"
		deployments = "/api/v4/projects/*/deployments"
	)
	tests := []struct {
		name        string
		rule        *fkRule
		token       string
		fault       demo.Fault
		refused     bool
		wantStatus  string
		wantExit    int
		wantRetry   string
		wantWarning string
	}{
		{name: "gitlab_502_then_success", fault: demo.FaultReadiness, wantStatus: "failed", wantExit: 1,
			rule:      &fkRule{method: "POST", path: notes, times: 2, status: http.StatusBadGateway, body: `{"message":"502 Bad Gateway"}`},
			wantRetry: "gitlab note: started event failed"},
		{name: "gitlab_429_retry_after", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0,
			rule: &fkRule{method: "POST", path: deployments, times: 1, status: http.StatusTooManyRequests,
				header: gitlabtest.RateLimitHeaders(time.Second, time.Now()), body: gitlabtest.RateLimitBody},
			wantRetry: "started event failed"},
		{name: "gitlab_401_bad_token", fault: demo.FaultNone, wantStatus: "healthy", wantExit: 0, token: fkBadGitLabToken, refused: true,
			wantWarning: "turned off for the rest of this run"},
		{name: "gitlab_timeout_answer_lost", fault: demo.FaultReadiness, wantStatus: "failed", wantExit: 1,
			rule:      &fkRule{method: "POST", path: notes, times: 1, hang: true, after: true},
			wantRetry: "gitlab note: started event failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			svc.SetFault(tt.fault)
			inputs := fkInputs(svc.URL())
			inputs["commit_status"] = "true"
			token := gitlabtest.Token
			if tt.token != "" {
				token = tt.token
			}
			j := newGitLabJob(t, inputs, token)
			api, faults := fkGitLab(t, j)
			if tt.rule != nil {
				faults.add(*tt.rule)
			}
			start := time.Now()
			code := j.run(t)
			log := j.stdout.String()
			t.Logf("exited after %s; %d fault(s) served", time.Since(start).Round(time.Millisecond), faults.faults())
			env := j.dotenv(t)
			if code != tt.wantExit || env["status"] != tt.wantStatus {
				t.Fatalf("exit %d status %q, want %d %q: a sink fault changed the verdict\n%s", code, env["status"], tt.wantExit, tt.wantStatus, log)
			}
			if tt.rule != nil && faults.faults() == 0 {
				t.Errorf("no request met the fault %+v", *tt.rule)
			}
			notesNow := api.MergeRequestNotes(41)
			deps := api.Deployments()
			wantDeploy := map[string]string{"healthy": "success", "failed": "failed"}[tt.wantStatus]
			switch {
			case tt.refused:
				if len(notesNow) != 0 || len(deps) != 0 {
					t.Errorf("a refused token made notes %+v, deployments %+v", notesNow, deps)
				}
			default:
				if len(notesNow) != 1 || !strings.Contains(notesNow[0].Body, "deploywatch — "+tt.wantStatus) {
					t.Errorf("merge request notes %+v, want exactly one saying %s", notesNow, tt.wantStatus)
				}
				if len(deps) != 1 || deps[0].Status != wantDeploy {
					t.Errorf("deployments %+v, want one ending %s", deps, wantDeploy)
				}
				st := api.CommitStatuses(newRelease.Commit)
				if len(st) == 0 || st[len(st)-1].Status != wantDeploy {
					t.Errorf("commit statuses %+v, want the last %s", st, wantDeploy)
				}
			}
			if tt.wantRetry != "" && (!strings.Contains(log, tt.wantRetry) || !strings.Contains(log, "retrying in")) {
				t.Errorf("log lacks the retry %q:\n%s", tt.wantRetry, log)
			}
			sum := readFile(j.dir + "/deploywatch-summary.md")
			if !strings.Contains(sum, "deploywatch — "+tt.wantStatus) {
				t.Errorf("summary file lacks the verdict:\n%s", sum)
			}
			fkCheckWarning(t, sum, env["summary"], log, "report not delivered", tt.wantWarning)
			for _, secret := range []string{gitlabtest.Token, gitlabtest.JobToken, fkBadGitLabToken} {
				if strings.Contains(log+sum+readFile(j.dir+"/deploywatch.env"), secret) {
					t.Errorf("secret %q printed or written", secret)
				}
			}
		})
	}
}

// fkGitLab puts the job's API behind a fault injector: a fresh fake GitLab with the
// merge request of the job, which the job then reports to.
func fkGitLab(t *testing.T, j *gitlabJob) (*gitlabtest.Server, *fkFaults) {
	t.Helper()
	api := gitlabtest.New()
	api.AddMergeRequest(41, newRelease.Commit, "opened")
	faults := fkNewFaults(api)
	api.URL = fkServe(t, faults).URL
	j.api = api
	j.cmd.Env = append(j.cmd.Env, "CI_SERVER_URL="+api.URL, "CI_API_V4_URL="+api.URL+"/api/v4")
	return api, faults
}
