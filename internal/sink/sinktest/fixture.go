// Package sinktest is the conformance kit every sink is tested with: a fixed run to report,
// the sequence of events a run sends, fake HTTP and SMTP servers that record what they
// get and inject faults, and Run (HTTP) and RunSMTP (mail), which check a sink's golden
// payloads, its retry classification (5xx, 429 and SMTP 4xx retried; 400 and SMTP 5xx
// not), its respect of cancellation, and that no secret reaches an error or a log line.
package sinktest

import (
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Start is when the fixture run starts.
var Start = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// SHA is the fixture run's commit.
const SHA = "3f9c2ab41d0e5b7c8a9f1e2d3c4b5a6978695a4b"

// Report returns the fixture run at its end: a deploy of acme/shop to production that
// failed on its error rate 95 s in and was rolled back.
func Report() model.Report {
	at := func(s int) time.Time { return Start.Add(time.Duration(s) * time.Second) }
	errorRate := model.Finding{
		Check: "error_rate", Kind: model.KindErrorRate, Signal: model.SignalErrorRate, Type: model.FindingBreach,
		Severity: model.SeverityCritical, Fatal: true, Active: true,
		Message: "error rate 4.2% over the 1% limit", Value: "4.2%", Expected: "< 1%", Baseline: "0.1%",
		Phase: model.PhaseMonitor, Onset: at(80), ConfirmedAt: at(95), LastSeen: at(95), Count: 2,
	}
	latency := model.Finding{
		Check: "p99_latency", Kind: model.KindLatency, Signal: model.SignalLatency, Type: model.FindingBreach,
		Severity: model.SeverityWarning, Active: false,
		Message: "p99 latency 410ms over 2x the baseline", Value: "410ms", Expected: "< 240ms", Baseline: "120ms",
		Phase: model.PhaseMonitor, Onset: at(40), ConfirmedAt: at(50), LastSeen: at(60), ClearedAt: at(70), Count: 2,
	}
	readiness := model.CheckStatus{
		Spec: model.CheckSpec{Name: "readiness", Kind: model.KindReadiness, Signal: model.SignalHealth, Severity: model.SeverityEmergency},
		Last: &model.Measurement{Check: "readiness", At: at(95), Outcome: model.OutcomePass, Value: "200"},
		Runs: 10, Passes: 10,
	}
	errorRateCheck := model.CheckStatus{
		Spec: model.CheckSpec{Name: "error_rate", Kind: model.KindErrorRate, Signal: model.SignalErrorRate, Severity: model.SeverityCritical},
		Last: &model.Measurement{Check: "error_rate", At: at(95), Outcome: model.OutcomeFail, Breach: true, Value: "4.2%", Expected: "< 1%", Baseline: "0.1%"},
		Runs: 10, Passes: 8, Breaches: 2,
	}
	detected := 95 * time.Second
	return model.Report{
		SchemaVersion: model.ReportSchemaVersion, Tool: "deploywatch", Version: "1.4.0", Mode: "run",
		Environment: "production", Description: "Deploy 3f9c2ab to production", ExpectedVersion: SHA,
		FailOn: model.SeverityCritical,
		Run: model.RunContext{
			Platform: "github", Repository: "acme/shop", SHA: SHA, Ref: "refs/heads/main", EventName: "push",
			CommitMessage: "Retry payments with backoff (#41)",
			Actor:         "octocat", RunURL: "https://github.com/acme/shop/actions/runs/123456789",
			ServerURL: "https://github.com", APIURL: "https://api.github.com",
		},
		Result: model.Result{
			StartedAt: Start, FinishedAt: at(96), Verdict: model.VerdictFailed,
			Reason: "critical error_rate: error rate 4.2% over the 1% limit",
			Checks: []model.CheckStatus{readiness, errorRateCheck}, Findings: []model.Finding{latency, errorRate},
			Timeline: []model.TimelineEntry{
				{At: Start, Kind: model.EventStarted, Phase: model.PhaseStart, Text: "monitoring 2 checks until +10m"},
				{At: at(10), Elapsed: 10 * time.Second, Kind: model.EventCheckpoint, Phase: model.PhaseMonitor, Verdict: model.VerdictHealthy, Text: "checkpoint 10s: 0 active finding(s), healthy so far"},
				{At: at(95), Elapsed: 95 * time.Second, Kind: model.EventFinding, Phase: model.PhaseMonitor, Verdict: model.VerdictFailed, Text: "critical error_rate: error rate 4.2% over the 1% limit (fatal)"},
			},
			DetectedAfter: &detected,
		},
		Signals:      map[model.Signal]bool{model.SignalErrorRate: true},
		DeploymentID: "1876543210",
		Rollback: &model.Rollback{Target: "deployment/shop", Performed: true, FromRevision: 7, ToRevision: 6, Recovered: true,
			Message: "deployment/shop rolled back from revision 7 to 6; its pods are healthy"},
	}
}

// InProgress returns the fixture run as it stood at elapsed: the findings confirmed by
// then, a provisional verdict, no end.
func InProgress(elapsed time.Duration) model.Report {
	r := Report()
	now := Start.Add(elapsed)
	r.InProgress, r.FinishedAt, r.DetectedAfter, r.Rollback = true, time.Time{}, nil, nil
	var findings []model.Finding
	for _, f := range r.Findings {
		if !f.ConfirmedAt.After(now) {
			if f.ClearedAt.After(now) {
				f.Active, f.ClearedAt = true, time.Time{}
			}
			findings = append(findings, f)
		}
	}
	r.Findings = findings
	var timeline []model.TimelineEntry
	for _, e := range r.Timeline {
		if !e.At.After(now) {
			timeline = append(timeline, e)
		}
	}
	r.Timeline = timeline
	r.Verdict, r.Reason = model.VerdictHealthy, "no finding so far"
	r.Signals = map[model.Signal]bool{}
	for _, f := range findings {
		if f.Fatal {
			r.Verdict, r.Reason = model.VerdictFailed, "critical "+f.Check+": "+f.Message
		} else if f.Active && r.Verdict == model.VerdictHealthy {
			r.Verdict, r.Reason = model.VerdictDegraded, "warning "+f.Check+": "+f.Message
		}
	}
	return r
}

// Events returns what a run sends, in order: the start, a checkpoint, a warning raised and
// cleared, the fatal finding, the rollback and the end.
func Events() []sink.Event {
	final := Report()
	findings := final.Findings
	latency, errorRate := findings[0], findings[1]
	raised := latency
	raised.Active, raised.ClearedAt = true, time.Time{}
	started := InProgress(0)
	started.Verdict, started.Reason = model.VerdictHealthy, "monitoring started"
	rolled := final
	rolled.InProgress, rolled.FinishedAt = true, time.Time{}
	return []sink.Event{
		{Kind: sink.KindStarted, At: Start, Report: started},
		{Kind: sink.KindProgress, At: Start.Add(10 * time.Second), Report: InProgress(10 * time.Second), Checkpoint: 10 * time.Second},
		{Kind: sink.KindFinding, At: latency.ConfirmedAt, Report: InProgress(50 * time.Second), Finding: &raised},
		{Kind: sink.KindCleared, At: latency.ClearedAt, Report: InProgress(70 * time.Second), Finding: &latency},
		{Kind: sink.KindFinding, At: errorRate.ConfirmedAt, Report: InProgress(95 * time.Second), Finding: &errorRate},
		{Kind: sink.KindRolledBack, At: Start.Add(96 * time.Second), Report: rolled},
		{Kind: sink.KindFinished, At: final.FinishedAt, Report: final},
	}
}

// Finished is the fixture run's final event.
func Finished() sink.Event {
	evs := Events()
	return evs[len(evs)-1]
}
