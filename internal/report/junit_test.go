package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// parsed* read a JUnit file back the way a consumer does, independently of the writer's
// types.
type parsedSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Skipped  int           `xml:"skipped,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr"`
	Cases     []parsedCase `xml:"testcase"`
}

type parsedCase struct {
	Classname string         `xml:"classname,attr"`
	Name      string         `xml:"name,attr"`
	Time      string         `xml:"time,attr"`
	Failure   *parsedOutcome `xml:"failure"`
	Error     *parsedOutcome `xml:"error"`
	Skipped   *parsedOutcome `xml:"skipped"`
	SystemOut string         `xml:"system-out"`
	SystemErr string         `xml:"system-err"`
}

type parsedOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// status is how GitLab classifies a test case.
func (c parsedCase) status() string {
	switch {
	case c.Failure != nil:
		return "failed"
	case c.Error != nil:
		return "error"
	case c.Skipped != nil:
		return "skipped"
	}
	return "success"
}

// parseJUnit decodes data strictly (encoding/xml rejects characters XML 1.0 forbids) and
// checks that the declared counts match the test cases.
func parseJUnit(t *testing.T, data []byte) parsedSuites {
	t.Helper()
	var doc parsedSuites
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, data)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("got %d test suites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	counts := map[string]int{}
	for _, c := range s.Cases {
		counts[c.status()]++
	}
	got := [4]int{s.Tests, s.Failures, s.Errors, s.Skipped}
	want := [4]int{len(s.Cases), counts["failed"], counts["error"], counts["skipped"]}
	if got != want {
		t.Errorf("suite declares tests/failures/errors/skipped %v, its cases count %v", got, want)
	}
	if top := [4]int{doc.Tests, doc.Failures, doc.Errors, doc.Skipped}; top != want {
		t.Errorf("testsuites declares %v, the cases count %v", top, want)
	}
	return doc
}

// TestJUnitGolden pins the JUnit report of every fixture run.
func TestJUnitGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtures() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := JUnit(tc.report)
			if err != nil {
				t.Fatalf("JUnit: %v", err)
			}
			golden(t, tc.name+".junit.xml", got, textDiff)
		})
	}
}

// TestJUnitParsesBack reads each fixture's report back and checks each test case's status.
func TestJUnitParsesBack(t *testing.T) {
	t.Parallel()
	pass, fail, errd, skip := "success", "failed", "error", "skipped"
	want := map[string][]string{ // verdict first, then one per check
		"healthy":             {pass, pass, pass, pass, pass},
		"failed":              {fail, fail, pass, pass, pass},
		"failed_dry_run":      {fail, fail, pass, pass, pass},
		"failed_with_history": {fail, fail, pass, pass, pass},
		"inconclusive":        {errd, pass, pass, errd, pass},
		"degraded":            {pass, pass, pass, pass, pass},
		"cancelled":           {skip, pass, pass, pass, skip},
		"metrics_failed":      {fail, pass, fail, pass, pass},
	}
	for _, tc := range fixtures() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data, err := JUnit(tc.report)
			if err != nil {
				t.Fatalf("JUnit: %v", err)
			}
			s := parseJUnit(t, data).Suites[0]
			var got, names []string
			for _, c := range s.Cases {
				got = append(got, c.status())
				names = append(names, c.Name)
				if c.Classname != "deploywatch.production" {
					t.Errorf("case %q classname = %q", c.Name, c.Classname)
				}
			}
			if diff := cmp.Diff(want[tc.name], got); diff != "" {
				t.Errorf("statuses of %q (-want +got):\n%s", names, diff)
			}
			if s.Name != "deploywatch production" || s.Timestamp != "2026-11-21T10:00:00" {
				t.Errorf("suite name %q timestamp %q", s.Name, s.Timestamp)
			}
			verdict := s.Cases[0]
			if verdict.Name != "verdict" || !strings.HasPrefix(verdict.SystemOut, SummaryLine(tc.report)) {
				t.Errorf("first case %q has system-out %q, want the summary line %q", verdict.Name, verdict.SystemOut, SummaryLine(tc.report))
			}
		})
	}
}

// TestJUnitCheckOutcomes covers the ways a check maps to a test case on small runs.
func TestJUnitCheckOutcomes(t *testing.T) {
	t.Parallel()
	spec := model.CheckSpec{Name: "version", Kind: model.KindVersion, Signal: model.SignalVersion, Target: "https://x/info"}
	ran := model.CheckStatus{Spec: spec, Runs: 3, Passes: 3, Latency: model.LatencyStats{Count: 3, P95: 1500 * time.Millisecond}}
	probe := model.Finding{Check: "version", Type: model.FindingProbeError, Message: "4 probe errors in a row", Count: 4}
	breach := model.Finding{Check: "version", Type: model.FindingBreach, Severity: model.SeverityCritical,
		Message: "version is 1.2", Value: "1.2", Expected: "1.3"}
	warning := model.Finding{Check: "version", Type: model.FindingBreach, Severity: model.SeverityWarning, Message: "slow answer"}
	tests := []struct {
		name     string
		verdict  model.Verdict
		check    model.CheckStatus
		findings []model.Finding
		status   string
		message  string   // of the failure or error
		out      []string // substrings of the check's system-out
		time     string
	}{
		{name: "passing", verdict: model.VerdictHealthy, check: ran, status: "success", time: "1.500",
			out: []string{"version check, target https://x/info", "3 runs: 3 passed"}},
		{name: "fatal_breach_fails", verdict: model.VerdictFailed, check: ran, status: "failed",
			findings: []model.Finding{with(breach, func(f *model.Finding) { f.Fatal = true })},
			message:  "version is 1.2 (value 1.2, expected 1.3)", time: "1.500"},
		{name: "fatal_wins_over_probe_error", verdict: model.VerdictFailed, check: ran, status: "failed",
			findings: []model.Finding{with(probe, func(f *model.Finding) { f.Active = true }), with(breach, func(f *model.Finding) { f.Fatal = true })},
			message:  "version is 1.2 (value 1.2, expected 1.3)", out: []string{"probe_error: 4 probe errors in a row"}, time: "1.500"},
		{name: "warning_passes_with_the_warning_shown", verdict: model.VerdictDegraded, check: ran, status: "success",
			findings: []model.Finding{warning}, out: []string{"warning breach: slow answer", "fatal: false"}, time: "1.500"},
		{name: "active_probe_error_is_an_error", verdict: model.VerdictInconclusive, check: ran, status: "error",
			findings: []model.Finding{with(probe, func(f *model.Finding) { f.Active = true })}, message: "4 probe errors in a row", time: "1.500"},
		{name: "recovered_probe_error_passes", verdict: model.VerdictHealthy, check: ran, status: "success",
			findings: []model.Finding{probe}, out: []string{"probe_error: 4 probe errors in a row"}, time: "1.500"},
		{name: "never_ran_is_skipped", verdict: model.VerdictCancelled, check: model.CheckStatus{Spec: spec}, status: "skipped", time: "0.000"},
		{name: "last_latency_without_stats", verdict: model.VerdictHealthy, status: "success", time: "0.042",
			check: model.CheckStatus{Spec: spec, Runs: 1, Passes: 1, Last: &model.Measurement{Latency: 42 * time.Millisecond, Message: "ok", Outcome: model.OutcomePass}},
			out:   []string{"last pass: ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := model.Report{Environment: "staging", Result: model.Result{Verdict: tt.verdict,
				Checks: []model.CheckStatus{tt.check}, Findings: tt.findings}}
			data, err := JUnit(r)
			if err != nil {
				t.Fatalf("JUnit: %v", err)
			}
			c := parseJUnit(t, data).Suites[0].Cases[1]
			if c.status() != tt.status || c.Time != tt.time || c.Classname != "deploywatch.staging" {
				t.Errorf("case status %q time %q classname %q, want %q %q deploywatch.staging", c.status(), c.Time, c.Classname, tt.status, tt.time)
			}
			var o *parsedOutcome
			if o = c.Failure; o == nil {
				o = c.Error
			}
			if tt.message != "" && (o == nil || o.Message != tt.message || !strings.Contains(o.Body, tt.message)) {
				t.Errorf("outcome %+v, want message and body with %q", o, tt.message)
			}
			for _, s := range tt.out {
				if !strings.Contains(c.SystemOut, s) {
					t.Errorf("system-out %q lacks %q", c.SystemOut, s)
				}
			}
		})
	}
}

func with(f model.Finding, change func(*model.Finding)) model.Finding {
	change(&f)
	return f
}

// TestJUnitHostileText feeds text XML cannot carry, markup, and a megabyte-long answer:
// the file must parse strictly, keep the markup as text and stay small.
func TestJUnitHostileText(t *testing.T) {
	t.Parallel()
	nasty := "<b>&amp;</b> ]]> \"q\" 'a'\x00\x01\x08\x0b\x0c\x1b[31mred\x7f\ufffe\uffff\xff\xfe\u202e end"
	long := strings.Repeat("x", 1<<20)
	r := model.Report{Environment: nasty, Warnings: []string{nasty},
		Result: model.Result{Verdict: model.VerdictFailed, Reason: long,
			Checks: []model.CheckStatus{{Spec: model.CheckSpec{Name: nasty, Target: long}, Runs: 1,
				Last: &model.Measurement{Message: long, Value: nasty, ProbeError: nasty}}},
			Findings: []model.Finding{{Check: nasty, Type: model.FindingBreach, Fatal: true, Message: long + nasty,
				Value: nasty, Parts: []model.Part{{Name: nasty, Detail: long}}}},
		}}
	data, err := JUnit(r)
	if err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	if len(data) > 16<<10 {
		t.Errorf("JUnit is %d bytes; long text should have been capped", len(data))
	}
	if !utf8.Valid(data) {
		t.Error("JUnit is not valid UTF-8")
	}
	s := parseJUnit(t, data).Suites[0]
	check := s.Cases[1]
	wantName := `<b>&amp;</b> ]]> "q" 'a' red` + "\ufffd\ufffd end"
	if check.Name != wantName {
		t.Errorf("check name = %q, want %q", check.Name, wantName)
	}
	if check.Classname != "deploywatch."+wantName || s.Name != "deploywatch "+wantName {
		t.Errorf("classname %q, suite %q", check.Classname, s.Name)
	}
	if check.Failure == nil || utf8.RuneCountInString(check.Failure.Message) > junitMessageRunes+100 {
		t.Fatalf("failure %+v; want one with a capped message", check.Failure)
	}
	if !strings.Contains(s.Cases[0].SystemErr, "warning: "+wantName) {
		t.Errorf("verdict system-err %q lacks the cleaned warning", s.Cases[0].SystemErr)
	}
}

func TestJUnitEmptyRun(t *testing.T) {
	t.Parallel()
	data, err := JUnit(model.Report{})
	if err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	s := parseJUnit(t, data).Suites[0]
	if s.Name != "deploywatch" || s.Timestamp != "" || len(s.Cases) != 1 || s.Cases[0].Classname != "deploywatch" {
		t.Errorf("suite %+v; want deploywatch with the verdict case only", s)
	}
	if got := s.Cases[0].SystemOut; got != "unknown: no reason given" {
		t.Errorf("verdict system-out %q", got)
	}
}
