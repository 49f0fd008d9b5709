package report

import (
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestLine(t *testing.T) {
	t.Parallel()
	failed, degraded, inconclusive := failedReport(), degradedReport(), inconclusiveReport()
	status := func(r model.Report, elapsed time.Duration) model.Status {
		return model.Status{StartedAt: r.StartedAt, Elapsed: elapsed, Verdict: r.Verdict, Reason: r.Reason,
			Checks: r.Checks, Findings: r.Findings}
	}
	healthy := status(healthyReport(), 5*time.Minute+30*time.Second)
	measured := func(m model.Measurement) model.Event {
		return model.Event{Kind: model.EventMeasured, At: m.At, Measurement: &m, Status: healthy}
	}
	pass := model.Measurement{Check: "readiness", At: at(10 * time.Second), Latency: 12 * time.Millisecond, Value: "200", Outcome: model.OutcomePass}
	breach := *readinessBreach(41 * time.Second)
	warn := *degraded.Checks[0].Last
	probe := *inconclusive.Checks[2].Last
	finding := func(f model.Finding, s model.Status) model.Event {
		return model.Event{Kind: model.EventFinding, Finding: &f, Status: s}
	}
	warmup := degraded.Findings[0]
	warmup.Phase, warmup.Severity = model.PhaseWarmup, model.SeverityCritical
	noMessage := failed.Findings[0]
	noMessage.Message = ""
	many := healthyReport().Checks
	many = append(many, many...)

	tests := []struct {
		name      string
		ev        model.Event
		wantLevel Level
		want      string
		wantOK    bool
	}{
		{"started", model.Event{Kind: model.EventStarted, Status: healthy}, LevelInfo,
			"monitoring 4 checks: readiness, liveness, version, smoke GET /api/v1/status", true},
		{"started_many_checks", model.Event{Kind: model.EventStarted, Status: model.Status{Checks: many}}, LevelInfo,
			"monitoring 8 checks: readiness, liveness, version, smoke GET /api/v1/status, readiness, liveness, +2 more", true},
		{"phase_has_no_line", model.Event{Kind: model.EventPhase, Phase: model.PhaseMonitor, Status: healthy}, 0, "", false},
		{"measured_pass", measured(pass), LevelSuccess, "✓ readiness                200 in 12ms", true},
		{"measured_pass_without_value_shows_message", measured(model.Measurement{Check: "smoke GET /api/v1/status",
			Latency: 31 * time.Millisecond, Message: "assertion held", Outcome: model.OutcomePass}),
			LevelSuccess, "✓ smoke GET /api/v1/status assertion held in 31ms", true},
		{"measured_fail_with_parts", measured(breach), LevelError,
			"✗ readiness                503 (expected 2xx) in 8ms — failing: redis (error: dial tcp 10.0.0.7:6379: i/o timeout)", true},
		{"measured_warn", measured(warn), LevelWarning,
			"✗ readiness                200 (expected all dependencies up) in 13ms — failing: redis (degraded: 1 of 3 replicas down)", true},
		{"measured_probe_error", measured(probe), LevelWarning,
			"! version                  probe error: info response is not JSON: <html><title>502 | Bad Gateway</title>", true},
		{"measured_unjudged_breach", measured(model.Measurement{Check: "liveness", Latency: 2400 * time.Millisecond,
			Breach: true, Value: "2.4s", Expected: "< 1s"}), LevelWarning, "✗ liveness                 2.4s (expected < 1s) in 2.4s", true},
		{"measured_unjudged_probe_error", measured(model.Measurement{Check: "liveness", ProbeError: "connection refused"}),
			LevelWarning, "! liveness                 probe error: connection refused", true},
		{"measured_hostile_text_stays_one_line", measured(model.Measurement{Check: "smoke\nx", Value: "ok\n::error::forged\x1b[31m",
			Outcome: model.OutcomePass}), LevelSuccess, "✓ smoke x                  ok ::error::forged in 0s", true},
		{"measured_without_measurement", model.Event{Kind: model.EventMeasured}, 0, "", false},
		{"finding_fatal", finding(failed.Findings[0], status(failed, 41*time.Second)), LevelError,
			"FAIL critical readiness: readiness returned 503 (2 consecutive checks, onset +31s)", true},
		{"finding_fatal_without_message", finding(noMessage, status(failed, 41*time.Second)), LevelError,
			"FAIL critical readiness: 503 (expected 2xx) (2 consecutive checks, onset +31s)", true},
		{"finding_warning", finding(degraded.Findings[0], status(degraded, 4*time.Minute+10*time.Second)), LevelWarning,
			"WARN warning readiness: dependency redis degraded (8 consecutive checks, onset +4m)", true},
		{"finding_in_warmup", finding(warmup, status(degraded, 4*time.Minute+10*time.Second)), LevelWarning,
			"WARN critical readiness: dependency redis degraded (8 consecutive checks, onset +4m, during warm-up)", true},
		{"finding_probe_error", finding(inconclusive.Findings[0], status(inconclusive, 5*time.Minute+20*time.Second)), LevelWarning,
			"INCONCLUSIVE version: 4 probe errors in a row (budget 3): info response is not JSON: <html><title>502 | Bad Gateway</title> (onset +4m50s)", true},
		{"finding_without_start_has_no_onset", finding(failed.Findings[0], model.Status{}), LevelError,
			"FAIL critical readiness: readiness returned 503 (2 consecutive checks)", true},
		{"finding_without_finding", model.Event{Kind: model.EventFinding}, 0, "", false},
		{"cleared_breach", model.Event{Kind: model.EventCleared, Finding: &degraded.Findings[1]}, LevelSuccess,
			"CLEARED liveness: passing again after 3 checks", true},
		{"cleared_probe_error", model.Event{Kind: model.EventCleared, Finding: &inconclusive.Findings[0]}, LevelSuccess,
			"CLEARED version: probe working again after 4 errors", true},
		{"cleared_without_finding", model.Event{Kind: model.EventCleared}, 0, "", false},
		{"checkpoint", model.Event{Kind: model.EventCheckpoint, Checkpoint: 30 * time.Second, Status: healthy}, LevelInfo,
			"── checkpoint 30s · 4 checks · 0 findings · healthy so far", true},
		{"checkpoint_with_finding", model.Event{Kind: model.EventCheckpoint, Checkpoint: 5 * time.Minute,
			Status: model.Status{Verdict: model.VerdictDegraded, Checks: degraded.Checks, Findings: degraded.Findings[:1]}}, LevelInfo,
			"── checkpoint 5m · 4 checks · 1 finding · degraded so far", true},
		{"finished_healthy", model.Event{Kind: model.EventFinished, Status: healthy}, LevelSuccess,
			"── verdict healthy: 4 checks passed for 5m30s", true},
		{"finished_failed", model.Event{Kind: model.EventFinished, Status: status(failed, 41*time.Second)}, LevelError,
			"── verdict failed: readiness: readiness returned 503 — detected after 41s", true},
		{"finished_degraded", model.Event{Kind: model.EventFinished, Status: status(degraded, 5*time.Minute)}, LevelWarning,
			"── verdict degraded: " + degraded.Reason, true},
		{"finished_inconclusive", model.Event{Kind: model.EventFinished, Status: status(inconclusive, 5*time.Minute)}, LevelError,
			"── verdict inconclusive: " + inconclusive.Reason, true},
		{"finished_cancelled", model.Event{Kind: model.EventFinished, Status: status(cancelledReport(), 12*time.Second)}, LevelInfo,
			"── verdict cancelled after 12s: no finding so far", true},
		{"unknown_kind", model.Event{Kind: "rollback"}, 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			level, text, ok := Line(tc.ev)
			if level != tc.wantLevel || text != tc.want || ok != tc.wantOK {
				t.Errorf("Line() = (%v, %q, %v), want (%v, %q, %v)", level, text, ok, tc.wantLevel, tc.want, tc.wantOK)
			}
			if strings.ContainsAny(text, "\r\n\x1b") {
				t.Errorf("line %q holds a line break or an escape", text)
			}
		})
	}
}

func TestLevelString(t *testing.T) {
	t.Parallel()
	got := []string{LevelInfo.String(), LevelSuccess.String(), LevelWarning.String(), LevelError.String(), Level(0).String()}
	want := "info success warning error level(?)"
	if strings.Join(got, " ") != want {
		t.Errorf("level names = %q, want %q", strings.Join(got, " "), want)
	}
}
