package main_test

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
	"github.com/deploywatch/deploywatch/internal/report"
)

// signals are the boolean outputs of the contract.
var signals = []string{"error_rate_exceeded", "latency_exceeded", "unhealthy_pods", "restarts_exceeded",
	"resources_exceeded", "health_check_failed", "smoke_tests_failed", "version_mismatch", "rolled_back"}

// allOutputs are every output action.yml declares; each run must write them all.
var allOutputs = append([]string{"status", "error_rate", "p99_latency_ms", "baseline_p99_latency_ms", "detected_after_s",
	"deployment_id", "started_at", "comment_url", "report_path", "summary"}, signals...)

// nextCheckpoint is the checkpoint after the onset of the faults below (schedule 1s,4s):
// a failure must be caught before it, within two intervals, not at it.
const (
	onset          = 1500 * time.Millisecond
	nextCheckpoint = 4 * time.Second
)

func TestActionRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      demo.Fault
		onset      time.Duration
		with       map[string]string
		wantExit   int
		wantStatus string
		wantTrue   []string
		wantLog    string
	}{
		{name: "healthy", fault: demo.FaultNone, wantExit: 0, wantStatus: "healthy",
			wantLog: annotation("notice", "deploywatch: healthy")},
		{name: "readiness_failing", fault: demo.FaultReadiness, onset: onset, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"health_check_failed"}, wantLog: annotation("error", "deploywatch: critical readiness")},
		{name: "version_mismatch", fault: demo.FaultVersion, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"version_mismatch"}, wantLog: annotation("error", "deploywatch: critical version")},
		{name: "smoke_test_failing", fault: demo.FaultSmoke, onset: onset, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"smoke_tests_failed"}, wantLog: annotation("error", "deploywatch: critical smoke")},
		{name: "service_stops_answering", fault: demo.FaultHang, onset: onset, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"health_check_failed"}, wantLog: "no response within 1s"},
		{name: "service_refuses_connections", fault: demo.FaultCrash, onset: onset, wantExit: 1, wantStatus: "failed",
			wantTrue: []string{"health_check_failed"}, wantLog: "connection refused"},
		{name: "info_unreadable", fault: demo.FaultBadInfo, wantExit: 3, wantStatus: "inconclusive",
			wantLog: annotation("warning", "deploywatch: probe failing: version")},
		{name: "dependency_degraded", fault: demo.FaultDependency, onset: onset, wantExit: 0, wantStatus: "degraded",
			wantTrue: []string{"health_check_failed"}, wantLog: annotation("warning", "deploywatch: warning readiness")},
		{name: "dry_run_does_not_fail_the_step", fault: demo.FaultReadiness, onset: onset, with: map[string]string{"dry_run": "true"},
			wantExit: 0, wantStatus: "failed", wantTrue: []string{"health_check_failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			with := standardInputs(svc.URL())
			for k, v := range tt.with {
				with[k] = v
			}
			s := newStep(t, with)
			if tt.onset == 0 {
				svc.SetFault(tt.fault)
			}
			s.start()
			faultAt := make(chan time.Time, 1)
			if tt.onset > 0 {
				timer := time.AfterFunc(tt.onset, func() { faultAt <- time.Now(); svc.SetFault(tt.fault) })
				t.Cleanup(func() { timer.Stop() })
			}
			code := s.wait(30 * time.Second)
			log := s.stdout.String()
			if code != tt.wantExit {
				t.Errorf("exit code %d, want %d; log:\n%s", code, tt.wantExit, log)
			}
			outs := s.outputs()
			for _, name := range allOutputs {
				if _, ok := outs[name]; !ok {
					t.Errorf("output %s not written", name)
				}
			}
			if outs["status"] != tt.wantStatus {
				t.Errorf("status = %q, want %q (summary %q)", outs["status"], tt.wantStatus, outs["summary"])
			}
			for _, sig := range signals {
				want := contains(tt.wantTrue, sig)
				if got := outs[sig]; got != map[bool]string{true: "true", false: "false"}[want] {
					t.Errorf("%s = %q, want %v", sig, got, want)
				}
			}
			if tt.wantLog != "" && !strings.Contains(log, tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, log)
			}
			if !strings.Contains(log, "::group::Verify") || !strings.Contains(log, "::endgroup::") {
				t.Errorf("no ::group:: per phase in the log:\n%s", log)
			}
			sum := s.summaryText()
			if !strings.Contains(sum, "deploywatch — "+tt.wantStatus) || !strings.Contains(sum, "| Check | Result | Value | Expected |") {
				t.Errorf("job summary lacks the verdict or the checks table:\n%s", sum)
			}
			if outs["report_path"] != "deploywatch-report.json" || s.report()["status"] != tt.wantStatus {
				t.Errorf("report_path %q, report status %v", outs["report_path"], s.report()["status"])
			}
			if strings.Contains(withoutMasks(log)+sum+readFile(s.output), "probe-secret-value-42") {
				t.Error("the http_headers secret leaks")
			}
			s.noSecrets()
			// The run reported to (the fake) GitHub: one deployment, ending in the state
			// the verdict maps to, and one sticky comment with the same verdict.
			wantState := map[string]string{"healthy": "success", "degraded": "success", "failed": "failure", "inconclusive": "error"}[tt.wantStatus]
			if deps := s.github.Deployments(); len(deps) != 1 || len(deps[0].Statuses) == 0 || deps[0].Statuses[len(deps[0].Statuses)-1].State != wantState {
				t.Errorf("GitHub deployments %+v, want one ending %s", deps, wantState)
			}
			if cs := s.github.IssueComments(42); len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — "+tt.wantStatus) {
				t.Errorf("pull request comments %+v, want one saying %s", cs, tt.wantStatus)
			}
			if strings.Contains(log, "report not delivered") {
				t.Errorf("a sink failed:\n%s", log)
			}
			if tt.wantStatus == "failed" {
				var at time.Time
				select {
				case at = <-faultAt:
				default:
				}
				checkDetection(t, s, outs, at, tt.fault == demo.FaultHang)
			}
		})
	}
}

// schedulingAllowance is the run's own time around a probe on a loaded machine (its
// goroutines started, the answer judged), which no probe latency covers.
const schedulingAllowance = 100 * time.Millisecond

// checkDetection verifies the bound the README promises: a failure is confirmed within two
// intervals of its onset, plus the confirming probe's own time (http_timeout when the
// service hangs), and before the next checkpoint; detected_after_s is the confirmation's
// offset from the start of monitoring. A fault present from the start has its onset there.
// It logs the delay from the onset, the number the README quotes.
func checkDetection(t *testing.T, s *step, outs map[string]string, faultAt time.Time, hang bool) {
	t.Helper()
	if outs["detected_after_s"] == "" {
		t.Fatal("detected_after_s empty on a failed run")
	}
	in := standardInputs("")
	interval, err1 := time.ParseDuration(in["interval"])
	timeout, err2 := time.ParseDuration(in["http_timeout"])
	if err1 != nil || err2 != nil {
		t.Fatalf("standard inputs: %v %v", err1, err2)
	}
	rep := s.report()
	confirmed, started := firstFatal(t, rep)
	if got, want := outs["detected_after_s"], wholeSeconds(confirmed.Sub(started)); got != want {
		t.Errorf("detected_after_s = %s, want %s: the confirmation at +%s", got, want, confirmed.Sub(started))
	}
	onset := faultAt
	if onset.IsZero() {
		onset = started
	}
	probe := confirmingLatency(rep)
	if hang {
		probe = timeout
	}
	delay := confirmed.Sub(onset)
	bound := 2*interval + probe + schedulingAllowance
	if delay > bound {
		t.Errorf("failure confirmed %s after its onset, want within 2×interval (%s) + the probe's %s (+%s allowance)",
			delay.Round(time.Millisecond), 2*interval, probe.Round(time.Millisecond), schedulingAllowance)
	}
	if !faultAt.IsZero() && confirmed.Sub(started) >= nextCheckpoint {
		t.Errorf("failure confirmed at +%s, not before the next checkpoint (+%s)", confirmed.Sub(started), nextCheckpoint)
	}
	t.Logf("detection delay from fault onset: %s, bound %s (interval %s, persistence 2 for critical, 1 for emergency)",
		delay.Round(time.Millisecond), bound.Round(time.Millisecond), interval)
}

// wholeSeconds is detected_after_s's rounding: to the second, at least 1 when positive.
func wholeSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(max(d.Round(time.Second)/time.Second, 1)), 10)
}

func firstFatal(t *testing.T, r map[string]any) (confirmed, started time.Time) {
	t.Helper()
	started, err := time.Parse(time.RFC3339Nano, r["started_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r["findings"].([]any) {
		f := f.(map[string]any)
		if f["fatal"] == true {
			c, err := time.Parse(time.RFC3339Nano, f["confirmed_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			return c, started
		}
	}
	t.Fatal("no fatal finding in the report")
	return
}

// confirmingLatency is the latency of the probe that confirmed the first fatal finding:
// the run ended with it, so it is its check's last measurement.
func confirmingLatency(r map[string]any) time.Duration {
	for _, f := range r["findings"].([]any) {
		f := f.(map[string]any)
		if f["fatal"] != true {
			continue
		}
		for _, ch := range r["checks"].([]any) {
			ch := ch.(map[string]any)
			if last, ok := ch["last"].(map[string]any); ok && ch["name"] == f["check"] {
				ms, _ := last["latency_ms"].(float64)
				return time.Duration(ms * float64(time.Millisecond))
			}
		}
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestActionInvalidInputs(t *testing.T) {
	t.Parallel()
	s := newStep(t, map[string]string{
		"interval":     "10",
		"fail_on":      "fatal",
		"health_url":   "localhost:8080/ready",
		"smoke_tests":  "GTE https://api.example.com/x",
		"http_headers": "Authorization Bearer " + fakeToken,
		"schedule":     "30s,10s",
	})
	s.start()
	if code := s.wait(10 * time.Second); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	log := s.stdout.String()
	for _, input := range []string{"interval", "fail_on", "health_url", "smoke_tests line 1", "http_headers", "schedule"} {
		if !strings.Contains(log, annotation("error", "deploywatch: invalid input "+input)) {
			t.Errorf("input %s not named in an error annotation:\n%s", input, log)
		}
	}
	for _, want := range []string{`"10"`, "needs a unit", "allowed: warning, critical, emergency", "(value hidden: secret)"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(withoutMasks(log), fakeToken) {
		t.Error("an invalid secret input is echoed")
	}
	// Later steps still read every output: no status (nothing was judged), every signal
	// false, and the problems in summary; the job summary lists every problem.
	outs := s.outputs()
	for _, o := range report.OutputDocs() {
		got, ok := outs[o.Name]
		want := ""
		if slices.Contains(signals, o.Name) {
			want = "false"
		}
		switch {
		case !ok:
			t.Errorf("output %s not written", o.Name)
		case o.Name != "summary" && got != want:
			t.Errorf("output %s = %q, want %q", o.Name, got, want)
		}
	}
	if sum := outs["summary"]; !strings.HasPrefix(sum, "6 configuration problem(s), nothing was monitored: ") ||
		!strings.Contains(sum, `interval "10"`) || strings.Contains(sum, "\n") {
		t.Errorf("summary output = %q", sum)
	}
	md := s.summaryText()
	if !strings.Contains(md, "## deploywatch: invalid configuration") || strings.Count(md, "\n- ") != 6 {
		t.Errorf("job summary does not list the 6 problems:\n%s", md)
	}
	for _, input := range []string{"interval", "fail\\_on", "health\\_url", "smoke\\_tests line 1", "http\\_headers", "schedule"} {
		if !strings.Contains(md, "- "+input) {
			t.Errorf("job summary does not name %s:\n%s", input, md)
		}
	}
	if strings.Contains(outs["summary"]+md, fakeToken) {
		t.Error("the summary echoes a secret input")
	}
}

func TestActionCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// fault is set just before the signal: FaultHang leaves a request in flight.
		fault   demo.Fault
		signals []syscall.Signal
	}{
		{"sigint_between_rounds", demo.FaultNone, []syscall.Signal{syscall.SIGINT}},
		{"sigint_during_a_hung_request", demo.FaultHang, []syscall.Signal{syscall.SIGINT}},
		{"sigterm_after_sigint", demo.FaultHang, []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}},
		{"sigterm_alone", demo.FaultNone, []syscall.Signal{syscall.SIGTERM}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := service(t)
			with := standardInputs(svc.URL())
			with["schedule"], with["cooldown"], with["http_timeout"] = "1m,2m", "1m", "30s"
			s := newStep(t, with)
			s.start()
			// Wait until monitoring is under way, then cancel as the runner does.
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(s.stdout.String(), "::group::Monitor") {
				if time.Now().After(deadline) {
					t.Fatalf("monitoring never started:\n%s", s.stdout.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			svc.SetFault(tt.fault)
			time.Sleep(400 * time.Millisecond) // a round starts and, with FaultHang, blocks
			sent := time.Now()
			for _, sig := range tt.signals {
				if err := s.cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			// The runner sends SIGTERM 7.5 s after SIGINT and kills 2.5 s later; the contract
			// is to be done within 5 s. Exiting later fails the test.
			code := s.wait(5 * time.Second)
			t.Logf("exited %s after the first signal", time.Since(sent).Round(time.Millisecond))
			if code != 3 {
				t.Errorf("exit code %d, want 3", code)
			}
			outs := s.outputs()
			if outs["status"] != "cancelled" || outs["health_check_failed"] != "false" || outs["started_at"] == "" {
				t.Errorf("outputs after cancel: %v\n%s", outs, s.stdout.String())
			}
			// Every output of the contract is written, booleans as true or false.
			for _, o := range report.OutputDocs() {
				got, ok := outs[o.Name]
				if !ok {
					t.Errorf("output %s not written on cancel", o.Name)
				} else if slices.Contains(signals, o.Name) && got != "true" && got != "false" {
					t.Errorf("output %s = %q, want true or false", o.Name, got)
				}
			}
			if !strings.Contains(s.summaryText(), "deploywatch — cancelled") {
				t.Errorf("summary not written on cancel:\n%s", s.summaryText())
			}
			if s.report()["status"] != "cancelled" {
				t.Error("report not written on cancel")
			}
			// The final status reached GitHub too: the deployment inactive, the comment
			// saying cancelled.
			deps := s.github.Deployments()
			if len(deps) != 1 || deps[0].Statuses[len(deps[0].Statuses)-1].State != "inactive" {
				t.Errorf("deployments after cancel %+v, want the last status inactive", deps)
			}
			if cs := s.github.IssueComments(42); len(cs) != 1 || !strings.Contains(cs[0].Body, "deploywatch — cancelled") {
				t.Errorf("comments after cancel %+v", cs)
			}
		})
	}
}

func TestActionOutputFileMissing(t *testing.T) {
	t.Parallel()
	svc := service(t)
	s := newStep(t, standardInputs(svc.URL()))
	s.cmd.Env = append(s.cmd.Env, "GITHUB_OUTPUT=")
	_ = os.Remove(s.output)
	s.start()
	if code := s.wait(30 * time.Second); code != 0 {
		t.Errorf("exit code %d, want 0 (a missing output file does not change the verdict)", code)
	}
	if !strings.Contains(s.stdout.String(), annotation("warning", "deploywatch: outputs not written")) {
		t.Errorf("no warning about the outputs:\n%s", s.stdout.String())
	}
	if s.report()["status"] != "healthy" {
		t.Error("report not written")
	}
}

// annotation is how a workflow command starts for a title: the runner's protocol escapes
// ':' and ',' in properties (it unescapes them before showing the annotation).
func annotation(level, title string) string {
	title = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(title)
	return "::" + level + " title=" + title
}

// withoutMasks drops the ::add-mask:: lines, the one place a secret may be printed.
func withoutMasks(log string) string {
	var keep []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
