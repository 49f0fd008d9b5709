package report

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestSummaryLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report func() model.Report
		want   string
	}{
		{"healthy", healthyReport, "healthy: 4 checks passed for 5m30s in production"},
		{"healthy_dry_run_one_check_no_environment", func() model.Report {
			r := healthyReport()
			r.DryRun, r.Environment, r.Checks = true, "", r.Checks[:1]
			return r
		}, "healthy: 1 check passed for 5m30s (dry run)"},
		{"healthy_with_cleared_finding", func() model.Report {
			r := healthyReport()
			r.Findings = degradedReport().Findings[1:]
			return r
		}, "healthy: 4 checks passed for 5m30s in production (1 finding cleared)"},
		{"failed_uses_reason", failedReport, "failed: readiness: readiness returned 503 — detected after 41s"},
		{"failed_dry_run", dryRunFailedReport, "failed: readiness: readiness returned 503 — detected after 41s (dry run)"},
		{"failed_without_reason_uses_fatal_finding", func() model.Report {
			r := failedReport()
			r.Reason = ""
			r.Findings[0].Message = ""
			return r
		}, "failed: readiness: 503 (expected 2xx) — detected after 41s"},
		{"inconclusive_uses_reason", inconclusiveReport,
			"inconclusive: version: 4 probe errors in a row (budget 3): info response is not JSON: <html><title>502 | Bad Gateway</title>"},
		{"inconclusive_without_reason_uses_probe_finding", func() model.Report {
			r := inconclusiveReport()
			r.Reason = ""
			r.Findings[0].Message = "4 probe errors in a row (budget 3): info response is not JSON"
			return r
		}, "inconclusive: version: 4 probe errors in a row (budget 3): info response is not JSON"},
		{"degraded_uses_reason", degradedReport,
			"degraded: 2 finding(s) below fail_on: warning readiness: dependency redis degraded; warning liveness: liveness answered in 2.4s"},
		{"degraded_without_reason_counts_warnings", func() model.Report {
			r := degradedReport()
			r.Reason, r.Findings = "", r.Findings[:1]
			return r
		}, "degraded: 1 warning (readiness: dependency redis degraded)"},
		{"cancelled", cancelledReport, "cancelled after 12s: no finding so far"},
		{"cancelled_with_finding", func() model.Report {
			r := cancelledReport()
			r.Findings = degradedReport().Findings[:1]
			return r
		}, "cancelled after 12s: 1 finding so far (readiness: dependency redis degraded)"},
		{"reason_newlines_collapse", func() model.Report {
			r := failedReport()
			r.Reason = "readiness:\nreturned 503\r\n\x1b[31mred\x1b[0m"
			return r
		}, "failed: readiness: returned 503 red — detected after 41s"},
		{"no_verdict", func() model.Report { return model.Report{} }, "unknown: no reason given"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := SummaryLine(tc.report()); got != tc.want {
				t.Errorf("SummaryLine() =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestSummaryLineCapsLengthKeepingTheTail(t *testing.T) {
	t.Parallel()
	r := dryRunFailedReport()
	r.Reason = strings.Repeat("readiness returned a very long body ", 100)
	got := SummaryLine(r)
	if n := utf8.RuneCountInString(got); n > maxSummaryRunes {
		t.Errorf("summary has %d characters, want at most %d", n, maxSummaryRunes)
	}
	if want := "… — detected after 41s (dry run)"; !strings.HasSuffix(got, want) {
		t.Errorf("summary %q should end with %q", got, want)
	}
	if !strings.HasPrefix(got, "failed: readiness returned") {
		t.Errorf("summary %q lost its head", got)
	}
}

func TestSummaryLineCancelledWithoutStart(t *testing.T) {
	t.Parallel()
	r := model.Report{Result: model.Result{Verdict: model.VerdictCancelled, FinishedAt: t0.Add(time.Second)}}
	if got, want := SummaryLine(r), "cancelled: no finding so far"; got != want {
		t.Errorf("SummaryLine() = %q, want %q", got, want)
	}
}
