package report

import (
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// t0 is the start of every fixture run.
var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const sha = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"

var (
	readinessSpec = model.CheckSpec{Name: "readiness", Kind: model.KindReadiness, Signal: model.SignalHealth,
		Target: "https://shop.example.com/health/ready", Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
	livenessSpec = model.CheckSpec{Name: "liveness", Kind: model.KindLiveness, Signal: model.SignalHealth,
		Target: "https://shop.example.com/health/live", Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
	versionSpec = model.CheckSpec{Name: "version", Kind: model.KindVersion, Signal: model.SignalVersion,
		Target: "https://shop.example.com/health/info", Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
	smokeSpec = model.CheckSpec{Name: "smoke GET /api/v1/status", Kind: model.KindSmoke, Signal: model.SignalSmoke,
		Target: "GET https://shop.example.com/api/v1/status", Severity: model.SeverityCritical, Persistence: 1, MaxProbeErrors: 3}
)

func signals(set ...model.Signal) map[model.Signal]bool {
	m := map[model.Signal]bool{}
	for _, s := range model.Signals() {
		m[s] = false
	}
	for _, s := range set {
		m[s] = true
	}
	return m
}

// passing is the status of a check whose every run passed; the last run was at last.
func passing(spec model.CheckSpec, runs int, last time.Duration, value string, latency time.Duration) model.CheckStatus {
	return model.CheckStatus{
		Spec: spec, Runs: runs, Passes: runs,
		Last: &model.Measurement{Check: spec.Name, At: at(last), Latency: latency, Value: value,
			Message: spec.Name + " passed", Outcome: model.OutcomePass},
		Latency: model.LatencyStats{Count: runs, P50: latency, P95: latency + 7*time.Millisecond + 350*time.Microsecond, Max: 3 * latency},
	}
}

func baseReport() model.Report {
	return model.Report{
		SchemaVersion: model.ReportSchemaVersion, Tool: "deploywatch", Version: "1.4.0", Mode: "run",
		Environment: "production", Description: "Deploy 3f9c2ab to production", ExpectedVersion: sha,
		FailOn: model.SeverityCritical,
		Run: model.RunContext{Platform: "github", Repository: "acme/shop", SHA: sha, Ref: "refs/heads/main",
			EventName: "push", RunURL: "https://github.com/acme/shop/actions/runs/123456789"},
		Signals: signals(), DeploymentID: "1876543210", ReportPath: "deploywatch-report.json",
	}
}

func entry(d time.Duration, kind model.EventKind, phase model.Phase, v model.Verdict, text string) model.TimelineEntry {
	return model.TimelineEntry{At: at(d), Elapsed: d, Kind: kind, Phase: phase, Verdict: v, Text: text}
}

func healthyReport() model.Report {
	r := baseReport()
	h := model.VerdictHealthy
	r.Result = model.Result{
		StartedAt: t0, FinishedAt: at(5*time.Minute + 30*time.Second), Verdict: h,
		Reason: "all 4 checks passed (132 measurements)",
		Checks: []model.CheckStatus{
			passing(readinessSpec, 33, 5*time.Minute+20*time.Second, "200", 12*time.Millisecond),
			passing(livenessSpec, 33, 5*time.Minute+20*time.Second, "200", 4*time.Millisecond),
			passing(versionSpec, 33, 5*time.Minute+20*time.Second, "3f9c2ab41d0e", 9*time.Millisecond),
			passing(smokeSpec, 33, 5*time.Minute+20*time.Second, `"ok"`, 31*time.Millisecond),
		},
		Timeline: []model.TimelineEntry{
			entry(0, model.EventStarted, model.PhaseStart, h, "monitoring 4 checks until +5m30s"),
			entry(0, model.EventPhase, model.PhaseVerify, h, "Verify"),
			entry(10*time.Second, model.EventPhase, model.PhaseMonitor, h, "Monitor"),
			entry(10*time.Second, model.EventCheckpoint, model.PhaseMonitor, h, "checkpoint 10s: 0 active finding(s), healthy so far"),
			entry(30*time.Second, model.EventCheckpoint, model.PhaseMonitor, h, "checkpoint 30s: 0 active finding(s), healthy so far"),
			entry(time.Minute, model.EventCheckpoint, model.PhaseMonitor, h, "checkpoint 1m0s: 0 active finding(s), healthy so far"),
			entry(5*time.Minute, model.EventCheckpoint, model.PhaseMonitor, h, "checkpoint 5m0s: 0 active finding(s), healthy so far"),
			entry(5*time.Minute, model.EventPhase, model.PhaseCooldown, h, "Cool-down"),
			entry(5*time.Minute+30*time.Second, model.EventFinished, model.PhaseVerdict, h, "healthy: all 4 checks passed (132 measurements)"),
		},
	}
	return r
}

// readinessBreach is the readiness check's last answer in the failed run: 503 because
// redis timed out.
func readinessBreach(d time.Duration) *model.Measurement {
	return &model.Measurement{Check: "readiness", At: at(d), Latency: 8*time.Millisecond + 420*time.Microsecond, Breach: true,
		Value: "503", Expected: "2xx", Baseline: "200", Message: "readiness returned 503",
		Parts: []model.Part{
			{Name: "database", OK: true, Detail: "UP"},
			{Name: "redis", OK: false, Detail: "error: dial tcp 10.0.0.7:6379: i/o timeout"},
		},
		Outcome: model.OutcomeFail}
}

func failedReport() model.Report {
	r := baseReport()
	r.Run.EventName, r.Run.PullRequest, r.Run.Ref = "pull_request", 42, "refs/pull/42/merge"
	r.Run.HeadSHA = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807"
	r.CommentURL = "https://github.com/acme/shop/pull/42#issuecomment-2001"
	r.Signals = signals(model.SignalHealth)
	h, f := model.VerdictHealthy, model.VerdictFailed
	detected := 41 * time.Second
	last := readinessBreach(41 * time.Second)
	r.Result = model.Result{
		StartedAt: t0, FinishedAt: at(41*time.Second + 250*time.Millisecond), Verdict: f,
		Reason: "readiness: readiness returned 503",
		Checks: []model.CheckStatus{
			{Spec: readinessSpec, Last: last, Runs: 5, Passes: 3, Breaches: 2,
				Latency: model.LatencyStats{Count: 5, P50: 11 * time.Millisecond, P95: 14*time.Millisecond + 260*time.Microsecond, Max: 15 * time.Millisecond}},
			passing(livenessSpec, 5, 41*time.Second, "200", 4*time.Millisecond),
			passing(versionSpec, 5, 41*time.Second, "3f9c2ab41d0e", 9*time.Millisecond),
			passing(smokeSpec, 5, 41*time.Second, `"ok"`, 31*time.Millisecond),
		},
		Findings: []model.Finding{{
			Check: "readiness", Kind: model.KindReadiness, Signal: model.SignalHealth, Type: model.FindingBreach,
			Severity: model.SeverityCritical, Fatal: true, Active: true, Message: last.Message,
			Value: last.Value, Expected: last.Expected, Baseline: last.Baseline, Parts: last.Parts, Phase: model.PhaseMonitor,
			Onset: at(31 * time.Second), ConfirmedAt: at(41 * time.Second), LastSeen: at(41 * time.Second), Count: 2,
		}},
		Timeline: []model.TimelineEntry{
			entry(0, model.EventStarted, model.PhaseStart, h, "monitoring 4 checks until +5m30s"),
			entry(0, model.EventPhase, model.PhaseVerify, h, "Verify"),
			entry(10*time.Second, model.EventPhase, model.PhaseMonitor, h, "Monitor"),
			entry(10*time.Second, model.EventCheckpoint, model.PhaseMonitor, h, "checkpoint 10s: 0 active finding(s), healthy so far"),
			entry(30*time.Second, model.EventCheckpoint, model.PhaseMonitor, h, "checkpoint 30s: 0 active finding(s), healthy so far"),
			entry(41*time.Second, model.EventFinding, model.PhaseMonitor, f, "critical readiness: readiness returned 503 (fatal)"),
			entry(41*time.Second+250*time.Millisecond, model.EventFinished, model.PhaseVerdict, f, "failed: readiness: readiness returned 503"),
		},
		DetectedAfter: &detected,
	}
	return r
}

func dryRunFailedReport() model.Report {
	r := failedReport()
	r.DryRun = true
	return r
}

func inconclusiveReport() model.Report {
	r := baseReport()
	h, i := model.VerdictHealthy, model.VerdictInconclusive
	probe := "info response is not JSON: <html><title>502 | Bad Gateway</title>"
	msg := "4 probe errors in a row (budget 3): " + probe
	r.Result = model.Result{
		StartedAt: t0, FinishedAt: at(5*time.Minute + 30*time.Second), Verdict: i,
		Reason: "version: " + msg,
		Checks: []model.CheckStatus{
			passing(readinessSpec, 33, 5*time.Minute+20*time.Second, "200", 12*time.Millisecond),
			passing(livenessSpec, 33, 5*time.Minute+20*time.Second, "200", 4*time.Millisecond),
			{Spec: versionSpec, Runs: 33, Passes: 29, Errors: 4,
				Last: &model.Measurement{Check: "version", At: at(5*time.Minute + 20*time.Second), Latency: 3 * time.Millisecond,
					ProbeError: probe, Message: "version probe failed", Outcome: model.OutcomeError},
				Latency: model.LatencyStats{Count: 33, P50: 9 * time.Millisecond, P95: 12 * time.Millisecond, Max: 20 * time.Millisecond}},
			passing(smokeSpec, 33, 5*time.Minute+20*time.Second, `"ok"`, 31*time.Millisecond),
		},
		Findings: []model.Finding{{
			Check: "version", Kind: model.KindVersion, Type: model.FindingProbeError, Active: true, Message: msg,
			Phase: model.PhaseCooldown, Onset: at(4*time.Minute + 50*time.Second), ConfirmedAt: at(5*time.Minute + 20*time.Second),
			LastSeen: at(5*time.Minute + 20*time.Second), Count: 4,
		}},
		Timeline: []model.TimelineEntry{
			entry(0, model.EventStarted, model.PhaseStart, h, "monitoring 4 checks until +5m30s"),
			entry(0, model.EventPhase, model.PhaseVerify, h, "Verify"),
			entry(10*time.Second, model.EventPhase, model.PhaseMonitor, h, "Monitor"),
			entry(5*time.Minute, model.EventCheckpoint, model.PhaseMonitor, h, "checkpoint 5m0s: 0 active finding(s), healthy so far"),
			entry(5*time.Minute, model.EventPhase, model.PhaseCooldown, h, "Cool-down"),
			entry(5*time.Minute+20*time.Second, model.EventFinding, model.PhaseCooldown, i, "version: "+msg),
			entry(5*time.Minute+30*time.Second, model.EventFinished, model.PhaseVerdict, i, "inconclusive: version: "+msg),
		},
	}
	return r
}

func degradedReport() model.Report {
	r := baseReport()
	h, d := model.VerdictHealthy, model.VerdictDegraded
	r.Signals = signals(model.SignalHealth)
	r.Warnings = []string{"slack: webhook answered 500; the notification was skipped"}
	parts := []model.Part{{Name: "database", OK: true}, {Name: "redis", OK: false, Detail: "degraded: 1 of 3 replicas down"}}
	ready := &model.Measurement{Check: "readiness", At: at(5*time.Minute + 20*time.Second), Latency: 13 * time.Millisecond, Breach: true,
		Severity: model.SeverityWarning, Value: "200", Expected: "all dependencies up", Message: "dependency redis degraded",
		Parts: parts, Outcome: model.OutcomeWarn}
	r.Result = model.Result{
		StartedAt: t0, FinishedAt: at(5*time.Minute + 30*time.Second), Verdict: d,
		Reason: "2 finding(s) below fail_on: warning readiness: dependency redis degraded; warning liveness: liveness answered in 2.4s",
		Checks: []model.CheckStatus{
			{Spec: readinessSpec, Last: ready, Runs: 33, Passes: 25, Breaches: 8,
				Latency: model.LatencyStats{Count: 33, P50: 12 * time.Millisecond, P95: 19 * time.Millisecond, Max: 25 * time.Millisecond}},
			{Spec: livenessSpec, Runs: 33, Passes: 30, Breaches: 3,
				Last:    &model.Measurement{Check: "liveness", At: at(5*time.Minute + 20*time.Second), Latency: 5 * time.Millisecond, Value: "200", Message: "liveness passed", Outcome: model.OutcomePass},
				Latency: model.LatencyStats{Count: 33, P50: 5 * time.Millisecond, P95: 2400 * time.Millisecond, Max: 2450 * time.Millisecond}},
			passing(versionSpec, 33, 5*time.Minute+20*time.Second, "3f9c2ab41d0e", 9*time.Millisecond),
			passing(smokeSpec, 33, 5*time.Minute+20*time.Second, `"ok"`, 31*time.Millisecond),
		},
		Findings: []model.Finding{
			{Check: "readiness", Kind: model.KindReadiness, Signal: model.SignalHealth, Type: model.FindingBreach,
				Severity: model.SeverityWarning, Active: true, Message: ready.Message, Value: ready.Value, Expected: ready.Expected,
				Parts: parts, Phase: model.PhaseMonitor, Onset: at(4 * time.Minute), ConfirmedAt: at(4*time.Minute + 10*time.Second),
				LastSeen: at(5*time.Minute + 20*time.Second), Count: 8},
			{Check: "liveness", Kind: model.KindLiveness, Signal: model.SignalHealth, Type: model.FindingBreach,
				Severity: model.SeverityWarning, Message: "liveness answered in 2.4s", Value: "2.4s", Expected: "< 1s",
				Phase: model.PhaseMonitor, Onset: at(50 * time.Second), ConfirmedAt: at(time.Minute),
				LastSeen: at(70 * time.Second), ClearedAt: at(80 * time.Second), Count: 3},
		},
		Timeline: []model.TimelineEntry{
			entry(0, model.EventStarted, model.PhaseStart, h, "monitoring 4 checks until +5m30s"),
			entry(0, model.EventPhase, model.PhaseVerify, h, "Verify"),
			entry(10*time.Second, model.EventPhase, model.PhaseMonitor, h, "Monitor"),
			entry(time.Minute, model.EventFinding, model.PhaseMonitor, d, "warning liveness: liveness answered in 2.4s"),
			entry(time.Minute, model.EventCheckpoint, model.PhaseMonitor, d, "checkpoint 1m0s: 1 active finding(s), degraded so far"),
			entry(80*time.Second, model.EventCleared, model.PhaseMonitor, d, "liveness passing again"),
			entry(4*time.Minute+10*time.Second, model.EventFinding, model.PhaseMonitor, d, "warning readiness: dependency redis degraded"),
			entry(5*time.Minute, model.EventCheckpoint, model.PhaseMonitor, d, "checkpoint 5m0s: 1 active finding(s), degraded so far"),
			entry(5*time.Minute+30*time.Second, model.EventFinished, model.PhaseVerdict, d, "degraded: 2 finding(s) below fail_on"),
		},
	}
	return r
}

func cancelledReport() model.Report {
	r := baseReport()
	h, c := model.VerdictHealthy, model.VerdictCancelled
	r.Result = model.Result{
		StartedAt: t0, FinishedAt: at(12 * time.Second), Verdict: c,
		Reason: "cancelled before a verdict was reached",
		Checks: []model.CheckStatus{
			passing(readinessSpec, 2, 10*time.Second, "200", 12*time.Millisecond),
			passing(livenessSpec, 2, 10*time.Second, "200", 4*time.Millisecond),
			passing(versionSpec, 2, 10*time.Second, "3f9c2ab41d0e", 9*time.Millisecond),
			{Spec: smokeSpec},
		},
		Timeline: []model.TimelineEntry{
			entry(0, model.EventStarted, model.PhaseStart, h, "monitoring 4 checks until +5m30s"),
			entry(0, model.EventPhase, model.PhaseVerify, h, "Verify"),
			entry(10*time.Second, model.EventPhase, model.PhaseMonitor, h, "Monitor"),
			entry(12*time.Second, model.EventFinished, model.PhaseVerdict, c, "cancelled: cancelled before a verdict was reached"),
		},
	}
	return r
}

// fixtures are the runs pinned by golden files, by file name.
func fixtures() []struct {
	name   string
	report model.Report
} {
	return []struct {
		name   string
		report model.Report
	}{
		{"healthy", healthyReport()},
		{"failed", failedReport()},
		{"failed_dry_run", dryRunFailedReport()},
		{"inconclusive", inconclusiveReport()},
		{"degraded", degradedReport()},
		{"cancelled", cancelledReport()},
		{"metrics_failed", metricsFailedReport()},
		{"failed_with_history", failedWithHistoryReport()},
	}
}

// failedWithHistoryReport is the failed run as the events issue reports it: with the
// deployment, dashboard links and the environment's previous deployments.
func failedWithHistoryReport() model.Report {
	r := failedReport()
	r.Links = []model.Link{
		{Label: "deployment", URL: "https://github.com/acme/shop/deployments/production"},
		{Label: "Grafana [shop]", URL: "https://grafana.example.com/d/shop-api?from=1795255200000&to=1795255541000"},
		{Label: "not a link", URL: "javascript:alert(1)"},
	}
	r.History = []model.PastDeployment{
		{ID: "1876543100", SHA: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Ref: "main", State: "success",
			Description: "Deploy a1b2c3d to production: healthy", CreatedAt: at(-3 * time.Hour), Creator: "github-actions[bot]",
			URL: "https://github.com/acme/shop/actions/runs/123456700"},
		{ID: "1876543000", SHA: "b1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Ref: "main", State: "failure",
			Description: "failed: error rate | 4% <b>bold</b>", CreatedAt: at(-26 * time.Hour), Creator: "github-actions[bot]"},
		{ID: "1876542900", SHA: "c1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Ref: "main", State: "inactive", CreatedAt: at(-50 * time.Hour)},
	}
	r.Comparison = &model.Comparison{With: r.History[0], Rows: []model.ComparisonRow{
		{Metric: "error rate", Unit: model.UnitRatio, Now: 0.0412, Then: 0.001},
		{Metric: "p99 latency", Unit: model.UnitSeconds, Now: 0.182, Then: 0.180},
		{Metric: "memory", Unit: model.UnitRatio, Now: 0.61, Then: 0.52},
	}}
	return r
}

var (
	errorRateSpec = model.CheckSpec{Name: "error rate", Kind: model.KindErrorRate, Signal: model.SignalErrorRate,
		Target:   `sum(rate(http_requests_total{status=~"5..",job="shop"}[1m])) / sum(rate(http_requests_total{job="shop"}[1m]))`,
		Severity: model.SeverityCritical, Persistence: 1, MaxProbeErrors: 3}
	latencySpec = model.CheckSpec{Name: "p99 latency", Kind: model.KindLatency, Signal: model.SignalLatency,
		Target:   `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="shop"}[1m])))`,
		Severity: model.SeverityWarning, Persistence: 2, MaxProbeErrors: 3}
	throughputSpec = model.CheckSpec{Name: "throughput", Kind: model.KindThroughput, Severity: model.SeverityWarning, Persistence: 1, MaxProbeErrors: 3}
)

// series is a metric over the run: one value every 10s from +0s, from values.
func series(values ...float64) []model.Point {
	out := make([]model.Point, len(values))
	for i, v := range values {
		out[i] = model.Point{At: at(time.Duration(i) * 10 * time.Second), Value: v}
	}
	return out
}

// metricsFailedReport: the error rate jumps from 0.1% to 4% at +25s and the sequential
// test confirms it at +40s; latency is fine; throughput has too little baseline to judge.
func metricsFailedReport() model.Report {
	r := baseReport()
	f := model.VerdictFailed
	er := &model.MetricValue{Unit: model.UnitRatio, Value: 0.0412, HasValue: true, Baseline: 0.001, HasBaseline: true,
		Limit: 0.003, Op: ">", Requests: 4120, Errors: 170, Query: errorRateSpec.Target}
	lat := &model.MetricValue{Unit: model.UnitSeconds, Value: 0.182, HasValue: true, Baseline: 0.176, HasBaseline: true, Limit: 0.352, Op: ">"}
	finding := model.Finding{Check: "error rate", Kind: model.KindErrorRate, Signal: model.SignalErrorRate, Type: model.FindingBreach,
		Severity: model.SeverityCritical, Fatal: true, Active: true, Phase: model.PhaseMonitor,
		Message: "4.12% over 4,120 requests since the start (limit 0.3% = 3x the baseline 0.1%): sustained increase",
		Value:   "4.12%", Expected: "≤ 0.3%", Baseline: "0.1%", Onset: at(30 * time.Second), ConfirmedAt: at(40 * time.Second), LastSeen: at(40 * time.Second), Count: 2}
	r.Signals = signals(model.SignalErrorRate)
	after := 40 * time.Second
	r.Result = model.Result{
		StartedAt: t0, FinishedAt: at(40 * time.Second), Verdict: f, DetectedAfter: &after,
		Reason: "error rate: " + finding.Message,
		Checks: []model.CheckStatus{
			passing(readinessSpec, 5, 40*time.Second, "200", 12*time.Millisecond),
			{Spec: errorRateSpec, Runs: 5, Passes: 3, Breaches: 2, Series: series(0.001, 0.0009, 0.0011, 0.021, 0.0412),
				Last: &model.Measurement{Check: "error rate", At: at(40 * time.Second), Breach: true, Outcome: model.OutcomeFail,
					Value: "4.12%", Expected: "≤ 0.3%", Baseline: "0.1%", Message: finding.Message, Metric: er}},
			{Spec: latencySpec, Runs: 5, Passes: 5, Series: series(0.171, 0.18, 0.175, 0.179, 0.182),
				Last: &model.Measurement{Check: "p99 latency", At: at(40 * time.Second), Outcome: model.OutcomePass,
					Value: "182ms", Expected: "≤ 352ms", Baseline: "176ms", Message: "p99 182ms over 4,120 requests (limit 2x the baseline 176ms)", Metric: lat}},
			{Spec: throughputSpec, Runs: 5, Pending: 5,
				Last: &model.Measurement{Check: "throughput", At: at(40 * time.Second), Insufficient: true, Outcome: model.OutcomePending,
					Message: "no baseline traffic to compare with", Metric: &model.MetricValue{Unit: model.UnitPerSec, Value: 103, HasValue: true}}},
		},
		Findings: []model.Finding{finding},
		Timeline: []model.TimelineEntry{
			entry(0, model.EventStarted, model.PhaseStart, model.VerdictHealthy, "monitoring 4 checks until +10m"),
			entry(10*time.Second, model.EventCheckpoint, model.PhaseMonitor, model.VerdictHealthy, "checkpoint 10s: 0 active finding(s), healthy so far"),
			entry(30*time.Second, model.EventCheckpoint, model.PhaseMonitor, model.VerdictHealthy, "checkpoint 30s: 0 active finding(s), healthy so far"),
			entry(40*time.Second, model.EventFinding, model.PhaseMonitor, f, "critical error rate: "+finding.Message+" (fatal)"),
			entry(40*time.Second, model.EventFinished, model.PhaseVerdict, f, "failed: error rate: "+finding.Message),
		},
	}
	return r
}
