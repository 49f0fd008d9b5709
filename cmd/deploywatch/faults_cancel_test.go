package main_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
)

// Cancellation as the runner does it, with real signals to the process, at the awkward
// moments: while a sink's API call hangs, while a check hangs, during warm-up, and with a
// SIGTERM following the SIGINT. Whatever is under way, the final statuses are posted and
// the outputs written within 5 s of the first signal.

// fkCancelLimit is the contract: the runner sends SIGTERM 7.5 s after SIGINT and kills
// the container 2.5 s later; design.md asks for everything final within 5 s. It is
// measured from just before the test sends the first signal, so it includes the time
// the machine takes to deliver it: generous to the binary, never to a user.
const fkCancelLimit = 5 * time.Second

// fkSignal sends the signals 100 ms apart and returns when the first was sent.
func fkSignal(t *testing.T, s *step, sigs ...syscall.Signal) time.Time {
	t.Helper()
	sent := time.Now()
	for i, sig := range sigs {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if err := s.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	return sent
}

// fkWait waits for the process at most limit and returns its exit code and how long it
// took from since. The limit is a guard against a hang; callers assert the time.
func fkWait(t *testing.T, s *step, since time.Time, limit time.Duration) (int, time.Duration) {
	t.Helper()
	code := s.wait(limit)
	return code, time.Since(since)
}

func TestFaultCancelGitHub(t *testing.T) {
	t.Parallel()
	type setup struct {
		w   *fkWorld
		svc *demo.Service
		s   *step
	}
	tests := []struct {
		name string
		with map[string]string
		rule *fkRule
		// until waits for the moment to cancel.
		until       func(t *testing.T, x setup)
		signals     []syscall.Signal
		wantWebhook string // the last status the event API got; "" means none
		wantWarning string // in the summary
	}{
		{name: "sigint_while_github_hangs_at_the_start",
			rule: &fkRule{method: "POST", path: "/repos/acme/shop/deployments", times: 1, hang: true},
			until: func(t *testing.T, x setup) {
				x.w.faults.waitHung(t, 30*time.Second)
			},
			signals: []syscall.Signal{syscall.SIGINT}, wantWebhook: "cancelled"},
		{name: "sigint_while_github_hangs_at_a_checkpoint", with: map[string]string{"schedule": "1s,2m"},
			// The comment is edited at the first checkpoint (at most every 5 s): that edit hangs.
			rule: &fkRule{method: "PATCH", path: "/repos/acme/shop/issues/comments/*", times: 1, hang: true},
			until: func(t *testing.T, x setup) {
				x.w.faults.waitHung(t, 30*time.Second)
			},
			signals: []syscall.Signal{syscall.SIGINT}, wantWebhook: "cancelled"},
		{name: "sigint_during_a_hanging_check",
			until: func(t *testing.T, x setup) {
				x.s.waitLog("::group::Monitor", 30*time.Second)
				x.svc.SetFault(demo.FaultHang)
				time.Sleep(500 * time.Millisecond) // a round starts and hangs
			},
			signals: []syscall.Signal{syscall.SIGINT}, wantWebhook: "cancelled"},
		{name: "sigint_during_warm_up", with: map[string]string{"warmup": "1m"},
			until: func(t *testing.T, x setup) {
				x.s.waitLog("::group::Warm-up", 30*time.Second)
				time.Sleep(500 * time.Millisecond)
			},
			signals: []syscall.Signal{syscall.SIGINT}, wantWebhook: "cancelled"},
		{name: "sigterm_after_sigint",
			until: func(t *testing.T, x setup) {
				x.s.waitLog("::group::Monitor", 30*time.Second)
				x.svc.SetFault(demo.FaultHang)
				time.Sleep(500 * time.Millisecond)
			},
			signals: []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}, wantWebhook: "cancelled"},
		{name: "sigint_while_the_webhook_hangs",
			// Every event to the event API hangs: its time is up after the cancelled run's
			// sink budget, and the others are not held up by it.
			rule: &fkRule{method: "POST", path: fkWebhookPath, hang: true},
			until: func(t *testing.T, x setup) {
				x.w.faults.waitHung(t, 30*time.Second)
				x.s.waitLog("::group::Monitor", 30*time.Second)
			},
			signals: []syscall.Signal{syscall.SIGINT}, wantWarning: "webhook:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := fkStartWorld(t)
			if tt.rule != nil {
				w.faults.add(*tt.rule)
			}
			svc := service(t)
			with := fkInputs(svc.URL())
			with["schedule"], with["cooldown"], with["http_timeout"] = "1m,2m", "1m", "30s"
			for k, v := range tt.with {
				with[k] = v
			}
			s := fkStep(t, w, with)
			s.start()
			tt.until(t, setup{w: w, svc: svc, s: s})
			sent := fkSignal(t, s, tt.signals...)
			code, took := fkWait(t, s, sent, 30*time.Second)
			t.Logf("exited %s after the first signal", took.Round(time.Millisecond))
			log := s.stdout.String()
			if took > fkCancelLimit {
				t.Errorf("exited %s after the first signal, over the %s contract", took.Round(time.Millisecond), fkCancelLimit)
			}
			if code != 3 {
				t.Errorf("exit code %d, want 3 (cancelled)", code)
			}
			outs := s.outputs()
			for _, name := range allOutputs {
				if _, ok := outs[name]; !ok {
					t.Errorf("output %s not written", name)
				}
			}
			if outs["status"] != "cancelled" || !strings.HasPrefix(outs["summary"], "cancelled") || outs["started_at"] == "" {
				t.Errorf("outputs status %q summary %q started_at %q\n%s", outs["status"], outs["summary"], outs["started_at"], log)
			}
			if sum := s.summaryText(); !strings.Contains(sum, "deploywatch — cancelled") ||
				tt.wantWarning != "" && !strings.Contains(sum, tt.wantWarning) {
				t.Errorf("summary lacks the verdict or the warning %q:\n%s", tt.wantWarning, sum)
			}
			if s.report()["status"] != "cancelled" {
				t.Error("report not written on cancel")
			}
			// The final statuses: GitHub has no "cancelled" state; a cancelled deployment
			// is inactive, a cancelled commit status an error saying so.
			if got := fkState(w.github); got != "inactive" {
				t.Errorf("deployments %+v, want the last status inactive\n%s", w.github.Deployments(), log)
			}
			if st := w.github.CommitStatuses(newRelease.Commit); len(st) == 0 || st[len(st)-1].State != "error" ||
				!strings.Contains(strings.ToLower(st[len(st)-1].Description), "cancel") {
				t.Errorf("commit statuses %+v, want the last an error saying cancelled", st)
			}
			if cs := w.github.IssueComments(42); len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — cancelled") {
				t.Errorf("comments %+v, want one saying cancelled\n%s", cs, log)
			}
			if got := w.webhookStatuses(); tt.wantWebhook != "" && (len(got) == 0 || got[len(got)-1] != tt.wantWebhook) {
				t.Errorf("deployment-event API got %q, want %s last", got, tt.wantWebhook)
			}
			if got := w.slackMessages(); len(got) == 0 || got[len(got)-1] != "⏹️" {
				t.Errorf("Slack got %q, want the cancellation last", got)
			}
		})
	}
}

// TestFaultCancelGitLab cancels a GitLab job while a check hangs: the deployment ends
// canceled, the note says so, the dotenv report is written.
func TestFaultCancelGitLab(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		signals []syscall.Signal
	}{
		{name: "gitlab_sigint_during_a_hanging_check", signals: []syscall.Signal{syscall.SIGINT}},
		{name: "gitlab_sigterm_alone_during_a_hanging_check", signals: []syscall.Signal{syscall.SIGTERM}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			inputs := fkInputs(svc.URL())
			inputs["schedule"], inputs["cooldown"], inputs["http_timeout"], inputs["commit_status"] = "1m,2m", "1m", "30s", "true"
			j := newGitLabJob(t, inputs, gitlabtest.Token)
			api, _ := fkGitLab(t, j)
			s := &step{t: t, cmd: j.cmd, stdout: j.stdout}
			s.start()
			s.waitLog("Monitor", 30*time.Second)
			svc.SetFault(demo.FaultHang)
			time.Sleep(500 * time.Millisecond)
			sent := fkSignal(t, s, tt.signals...)
			code, took := fkWait(t, s, sent, 30*time.Second)
			t.Logf("exited %s after the first signal", took.Round(time.Millisecond))
			log := j.stdout.String()
			if took > fkCancelLimit {
				t.Errorf("exited %s after the first signal, over the %s contract", took.Round(time.Millisecond), fkCancelLimit)
			}
			if code != 3 {
				t.Errorf("exit code %d, want 3 (cancelled)\n%s", code, log)
			}
			if env := j.dotenv(t); env["status"] != "cancelled" || env["started_at"] == "" || env["deployment_id"] == "" {
				t.Errorf("dotenv %v", env)
			}
			if sum := readFile(j.dir + "/deploywatch-summary.md"); !strings.Contains(sum, "deploywatch — cancelled") {
				t.Errorf("summary file lacks the verdict:\n%s", sum)
			}
			if deps := api.Deployments(); len(deps) != 1 || deps[0].Status != "canceled" {
				t.Errorf("deployments %+v, want one canceled", deps)
			}
			if notes := api.MergeRequestNotes(41); len(notes) != 1 || !strings.Contains(notes[0].Body, "deploywatch — cancelled") {
				t.Errorf("notes %+v, want one saying cancelled", notes)
			}
			if st := api.CommitStatuses(newRelease.Commit); len(st) == 0 || st[len(st)-1].Status != "canceled" {
				t.Errorf("commit statuses %+v, want the last canceled", st)
			}
		})
	}
}
