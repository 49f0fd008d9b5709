package main_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
)

// Faults of the files a run leaves: the runner's output and summary files unwritable or
// not given, values that try to break out of the output file's heredoc, a summary past
// GitHub's 1 MiB limit. None of them changes the verdict or the exit code, and what can
// be written is written.

func TestFaultOutputFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault demo.Fault
		// env changes the runner's variables (root is the runner's temp folder); a value
		// "-" unsets the variable.
		env         func(root string) map[string]string
		wantExit    int
		wantStatus  string
		wantWarning string
	}{
		{name: "output_path_is_a_directory", fault: demo.FaultNone, wantExit: 0, wantStatus: "healthy",
			env:         func(root string) map[string]string { return map[string]string{"GITHUB_OUTPUT": root} },
			wantWarning: "deploywatch: outputs not written"},
		{name: "output_path_in_a_missing_directory", fault: demo.FaultReadiness, wantExit: 1, wantStatus: "failed",
			env: func(root string) map[string]string {
				return map[string]string{"GITHUB_OUTPUT": filepath.Join(root, "gone", "set_output_0f1e2d")}
			},
			wantWarning: "deploywatch: outputs not written"},
		{name: "output_variable_unset", fault: demo.FaultNone, wantExit: 0, wantStatus: "healthy",
			env:         func(string) map[string]string { return map[string]string{"GITHUB_OUTPUT": "-"} },
			wantWarning: "deploywatch: outputs not written"},
		{name: "summary_path_is_a_directory", fault: demo.FaultReadiness, wantExit: 1, wantStatus: "failed",
			env:         func(root string) map[string]string { return map[string]string{"GITHUB_STEP_SUMMARY": root} },
			wantWarning: "deploywatch: job summary not written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := fkStartWorld(t)
			svc := service(t)
			svc.SetFault(tt.fault)
			s := fkStep(t, w, fkInputs(svc.URL()))
			root := t.TempDir()
			changed := tt.env(root)
			var env []string
			for _, kv := range s.cmd.Env {
				if _, ok := changed[kv[:strings.IndexByte(kv, '=')]]; !ok {
					env = append(env, kv)
				}
			}
			for k, v := range changed {
				if v != "-" {
					env = append(env, k+"="+v)
				}
			}
			s.cmd.Env = env
			s.start()
			code := s.wait(60 * time.Second)
			log := s.stdout.String()
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d: an unwritable file changed the exit code\n%s", code, tt.wantExit, log)
			}
			if !strings.Contains(log, annotation("warning", tt.wantWarning)) {
				t.Errorf("no warning %q:\n%s", tt.wantWarning, log)
			}
			if got := s.report()["status"]; got != tt.wantStatus {
				t.Errorf("report status %v, want %s", got, tt.wantStatus)
			}
			// What could be written was: the outputs, the summary, the comment.
			if _, ok := changed["GITHUB_OUTPUT"]; !ok {
				if outs := s.outputs(); outs["status"] != tt.wantStatus || outs["report_path"] == "" {
					t.Errorf("outputs status %q report_path %q", outs["status"], outs["report_path"])
				}
			}
			if _, ok := changed["GITHUB_STEP_SUMMARY"]; !ok && !strings.Contains(s.summaryText(), "deploywatch — "+tt.wantStatus) {
				t.Errorf("summary lacks the verdict:\n%s", s.summaryText())
			}
			fkCheckGitHub(t, w.github, false, tt.wantStatus, nil)
			// Nothing was made where the runner's file was expected.
			if entries, _ := os.ReadDir(root); len(entries) != 0 {
				t.Errorf("the run wrote %v into %s", entries, root)
			}
		})
	}
}

// fkHostile is a dependency's explanation that tries to end the output's heredoc and set
// outputs of its own: line breaks, the delimiter's pattern, name<<DELIMITER lines.
const fkHostile = "refused\nghadelimiter_fk\nstatus<<ghadelimiter_fk\nhealthy\nghadelimiter_fk\nrolled_back=true"

func TestFaultOutputValues(t *testing.T) {
	t.Parallel()
	t.Run("value_with_newlines_and_the_delimiter", func(t *testing.T) {
		t.Parallel()
		svc := fkStartService(t)
		svc.set(http.StatusServiceUnavailable, fmt.Sprintf(`{"status":"DOWN","checks":{"db":{"status":"DOWN","error":%q},"cache\nrolled_back<<EOF":"DOWN"}}`, fkHostile), false)
		s := newStep(t, map[string]string{"health_url": svc.url + "/", "schedule": "1s,2s", "interval": "300ms", "cooldown": "1s", "http_timeout": "5s"})
		s.start()
		code := s.wait(60 * time.Second)
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, s.stdout.String())
		}
		outs, names, err := fkOutputs([]byte(readFile(s.output)))
		if err != nil {
			t.Fatalf("GITHUB_OUTPUT does not parse: %v\n%s", err, readFile(s.output))
		}
		want := append(slices.Clone(allOutputs), "rollback_from_revision", "rollback_to_revision")
		slices.Sort(want)
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("outputs %q, want exactly %q", names, want)
		}
		if outs["status"] != "failed" || outs["health_check_failed"] != "true" || outs["rolled_back"] != "false" {
			t.Errorf("status %q health_check_failed %q rolled_back %q: the service's text set outputs",
				outs["status"], outs["health_check_failed"], outs["rolled_back"])
		}
		// The summary carries the text, on one line, as plain words.
		if sum := outs["summary"]; strings.Contains(sum, "\n") || !strings.Contains(sum, "cache rolled_back<<EOF") ||
			!strings.Contains(sum, "refused ghadelimiter_fk") {
			t.Errorf("summary output %q: want the service's text on one line", sum)
		}
		// The report keeps the finding whole; the step summary shows it escaped.
		if b, _ := os.ReadFile(filepath.Join(s.workspace, "deploywatch-report.json")); !strings.Contains(string(b), "ghadelimiter_fk") {
			t.Error("the report lost the dependency's explanation")
		}
		if sum := s.summaryText(); !strings.Contains(sum, "deploywatch — failed") || !strings.Contains(sum, "ghadelimiter") {
			t.Errorf("job summary:\n%s", sum)
		}
	})
	for _, prefill := range []int{0, 1_000_000} {
		name := "many_findings_keep_the_summary_small"
		if prefill > 0 {
			name = "summary_file_past_1_MiB_is_truncated_with_a_note"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			svc := fkStartService(t)
			svc.set(http.StatusInternalServerError, `{"error":"`+strings.Repeat("the order service is down; ", 40)+`"}`, false)
			var smoke []string
			for i := range 150 {
				smoke = append(smoke, fmt.Sprintf("GET %s/api/v1/endpoint-with-a-long-name-%03d/%s", svc.url, i, strings.Repeat("x", 100)))
			}
			// A failure at fail_on ends the run at once, its round's other probes cancelled:
			// the 150 failing smoke tests are critical, below fail_on, so each is judged and
			// becomes a finding; the run then fails when readiness stops taking connections.
			health := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			t.Cleanup(health.Close)
			s := newStep(t, map[string]string{"health_url": health.URL + "/health", "smoke_tests": strings.Join(smoke, "\n"),
				"fail_on": "emergency", "schedule": "1s,2s", "interval": "300ms", "cooldown": "1s", "http_timeout": "5s"})
			earlier := strings.Repeat("| an earlier step of this job wrote this row to the summary |\n", prefill/62+1)[:prefill]
			if err := os.WriteFile(s.summary, []byte(earlier), 0o644); err != nil {
				t.Fatal(err)
			}
			s.start()
			down := time.AfterFunc(1500*time.Millisecond, health.Close)
			t.Cleanup(func() { down.Stop() })
			code := s.wait(90 * time.Second)
			log := s.stdout.String()
			if code != 1 || s.outputs()["status"] != "failed" {
				t.Fatalf("exit %d status %q, want 1 failed\n%s", code, s.outputs()["status"], log)
			}
			if strings.Contains(log, "job summary not written") {
				t.Errorf("the summary was rejected:\n%s", log)
			}
			if report := fkReadReport(t, s); len(report.Findings) < 150 {
				t.Errorf("the report has %d findings, want one for each of the 150 failing smoke tests at least", len(report.Findings))
			}
			sum := s.summaryText()
			if !strings.HasPrefix(sum, earlier) {
				t.Fatal("the earlier content of the summary file was changed")
			}
			ours := sum[len(earlier):]
			t.Logf("summary: %d bytes before, %d written", len(earlier), len(ours))
			if !strings.HasPrefix(ours, "### ❌ deploywatch — failed") {
				t.Errorf("summary written does not start with the verdict: %.200q", ours)
			}
			// GitHub refuses a step summary over 1 MiB; the Markdown itself stays under the
			// 65,536-character comment limit.
			if len(sum) > 1<<20 || len(ours) > 60000 {
				t.Errorf("summary file %d bytes (ours %d): over GitHub's limits", len(sum), len(ours))
			}
			if prefill == 0 {
				if !strings.Contains(ours, "not shown to keep this summary short") {
					t.Errorf("no note about the checks left out:\n%s", ours)
				}
				return
			}
			if !strings.Contains(ours, "summary truncated") || !strings.HasSuffix(strings.TrimSpace(ours), "see the JSON report.") {
				t.Errorf("the truncated summary does not end with the note: %q", ours[max(len(ours)-300, 0):])
			}
		})
	}
}

// fkService is a health endpoint whose behaviour a test sets: an answer, or a hang.
type fkService struct {
	url  string
	stop chan struct{}

	mu     sync.Mutex
	status int
	body   string
	hang   bool
}

func fkStartService(t *testing.T) *fkService {
	t.Helper()
	s := &fkService{stop: make(chan struct{}), status: http.StatusOK, body: `{"status":"UP"}`}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(s.stop) })
	s.url = srv.URL
	return s
}

func (s *fkService) set(status int, body string, hang bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.hang = status, body, hang
}

func (s *fkService) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	status, body, hang := s.status, s.body, s.hang
	s.mu.Unlock()
	if hang {
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// fkOutputs parses a GITHUB_OUTPUT file strictly, as the runner does: every entry is
// name<<DELIMITER, the value, DELIMITER; a name given twice or a value left open is an
// error. It returns the outputs and their names in order.
func fkOutputs(data []byte) (map[string]string, []string, error) {
	out := map[string]string{}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		name, delim, ok := strings.Cut(line, "<<")
		if !ok || name == "" || delim == "" {
			return nil, nil, fmt.Errorf("line %q is not name<<DELIMITER", line)
		}
		if _, dup := out[name]; dup {
			return nil, nil, fmt.Errorf("output %s set twice", name)
		}
		var value []string
		closed := false
		for sc.Scan() {
			if sc.Text() == delim {
				closed = true
				break
			}
			value = append(value, sc.Text())
		}
		if !closed {
			return nil, nil, fmt.Errorf("output %s: delimiter %s never closes the value", name, delim)
		}
		out[name] = strings.Join(value, "\n")
		names = append(names, name)
	}
	return out, names, sc.Err()
}
