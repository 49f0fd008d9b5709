package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
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
