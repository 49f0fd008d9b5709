package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/monitor"
	"github.com/deploywatch/deploywatch/internal/platform"
)

// recording is a platform that keeps what it was asked to print.
type recording struct {
	name  string
	lines []string
}

func (r *recording) Name() string              { return r.name }
func (r *recording) Context() model.RunContext { return model.RunContext{} }
func (r *recording) Mask(string)               {}
func (r *recording) Group(title string)        { r.lines = append(r.lines, "group "+title) }
func (r *recording) EndGroup()                 { r.lines = append(r.lines, "endgroup") }
func (r *recording) Log(_ platform.Level, line string) {
	r.lines = append(r.lines, "log "+line)
}
func (r *recording) Annotate(_ platform.Level, title, msg string) {
	r.lines = append(r.lines, "annotate "+title+": "+msg)
}
func (r *recording) SetOutputs([]model.Output) error { return nil }
func (r *recording) WriteSummary(string) error       { return nil }

func TestConsoleLogsWhatIsNew(t *testing.T) {
	t.Parallel()
	rec := &recording{name: "github"}
	c := newConsole(rec)
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	measured := func(sec int, outcome model.Outcome, value, probe string) model.Event {
		m := model.Measurement{Check: "version", Outcome: outcome, Value: value, ProbeError: probe, Latency: time.Duration(sec) * time.Millisecond}
		return model.Event{Kind: model.EventMeasured, Measurement: &m, Status: model.Status{StartedAt: start, Elapsed: time.Duration(sec) * time.Second}}
	}
	events := []model.Event{
		{Kind: model.EventPhase, Phase: model.PhaseVerify, Status: model.Status{StartedAt: start}},
		measured(0, model.OutcomePass, "abc", ""),
		measured(1, model.OutcomePass, "abc", ""), // same observation: no line
		measured(2, model.OutcomeError, "", "not JSON"),
		measured(3, model.OutcomeError, "", "not JSON"), // the same error again: no line
		measured(4, model.OutcomePass, "abc", ""),
		{Kind: model.EventFinding, Finding: &model.Finding{Check: "version", Severity: model.SeverityCritical, Fatal: true, Message: "serving abc, expected def",
			Value: "abc", Expected: "def", Type: model.FindingBreach}, Status: model.Status{StartedAt: start, Elapsed: 5 * time.Second}},
		{Kind: model.EventFinished, Status: model.Status{StartedAt: start, Verdict: model.VerdictFailed, Elapsed: 5 * time.Second}},
	}
	for _, ev := range events {
		c.Publish(context.Background(), ev)
	}
	var got []string
	for _, l := range rec.lines {
		got = append(got, strings.Join(strings.Fields(l), " "))
	}
	want := []string{
		"group Verify (+0s)",
		"log +0s ✓ version abc in 0s",
		"log +2s ! version probe error: not JSON",
		"log +4s ✓ version abc in 4ms",
		"log +5s FAIL critical version: serving abc, expected def (0 consecutive checks)",
		"annotate deploywatch: critical version: serving abc, expected def (value abc, expected def)",
		"endgroup",
		"log ── verdict failed: a check failed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("console lines (-want +got):\n%s", diff)
	}
	local := &recording{name: "local"}
	lc := newConsole(local)
	lc.Publish(context.Background(), events[6])
	for _, l := range local.lines {
		if strings.HasPrefix(l, "annotate") {
			t.Errorf("the terminal repeats a finding as an annotation: %s", l)
		}
	}
}

// passing is a check that always passes.
type passing struct{}

func (passing) Spec() model.CheckSpec {
	return model.CheckSpec{Name: "readiness", Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
}
func (passing) Run(context.Context) model.Measurement {
	return model.Measurement{Check: "readiness", Value: "200", Expected: "2xx"}
}

// TestConsoleHeartbeat runs a quiet default 10-minute plan through the console: between
// the late checkpoints and through the cool-down the log is never silent for more than
// heartbeatGap (plus the round that notices), and each heartbeat says how the run stands
// and what comes next.
func TestConsoleHeartbeat(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &recording{name: "github"}
		c := newConsole(rec)
		plan := monitor.Plan{Schedule: []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute},
			Interval: 10 * time.Second, Cooldown: 5 * time.Minute}
		c.follow(plan)
		res := monitor.Run(t.Context(), monitor.Options{Checks: []check.Check{passing{}}, Plan: plan, FailOn: model.SeverityCritical, Publisher: c})
		if res.Verdict != model.VerdictHealthy {
			t.Fatalf("verdict %s", res.Verdict)
		}
		var last time.Duration
		var beats []string
		for _, l := range rec.lines {
			f := strings.Fields(l)
			if len(f) < 2 || f[0] != "log" || !strings.HasPrefix(f[1], "+") {
				continue
			}
			at, err := time.ParseDuration(strings.TrimPrefix(f[1], "+"))
			if err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if at-last > heartbeatGap+plan.Interval {
				t.Errorf("the log was silent from +%s to +%s", last, at)
			}
			last = at
			if strings.Contains(l, "all checks passing") {
				beats = append(beats, strings.Join(f[1:], " "))
			}
		}
		if plan.End()-last > heartbeatGap+plan.Interval {
			t.Errorf("the log was silent from +%s to the end (+%s)", last, plan.End())
		}
		for _, want := range []string{"+1m30s Monitor: all checks passing, next checkpoint 5m in 3m30s",
			"+5m40s Cool-down: all checks passing, 4m20s left", "+9m40s Cool-down: all checks passing, 20s left"} {
			if !slices.Contains(beats, want) {
				t.Errorf("no heartbeat %q in %q", want, beats)
			}
		}
	})
}
