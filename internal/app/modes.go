package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// start records the start of a deployment for a later monitor run and, for a direct
// scrape, samples the service's traffic as the baseline.
func (r *runner) start(ctx context.Context) int {
	now := time.Now().UTC()
	line := fmt.Sprintf("deployment %q to %s started at %s", r.cfg.Description, r.cfg.Environment, now.Format(time.RFC3339))
	r.p.Log(platform.LevelInfo, line)
	warned := slices.Clone(r.warnings)
	if len(r.cfg.Metrics.MetricsURLs) > 0 && r.cfg.Metrics.PrometheusURL == "" {
		line, err := takeSnapshot(ctx, r.cfg, r.env.Version, r.env.Dir)
		if err != nil {
			// The deploy goes on; the later run judges without a baseline and says so.
			r.p.Annotate(platform.LevelWarning, "deploywatch: no baseline", err.Error())
			warned = append(warned, "no baseline: "+err.Error())
		} else {
			r.p.Log(platform.LevelInfo, line)
		}
	}
	rep := r.report(model.Result{StartedAt: now})
	r.ev.announce(ctx, sink.KindStarted, now, nil, "deployment started; monitoring follows in a later step")
	h, warnings := r.ev.close(ctx)
	for _, w := range warnings {
		r.p.Annotate(platform.LevelWarning, "deploywatch: report not delivered", w)
	}
	rep = sink.WithHandles(rep, h)
	if rep.DeploymentID != "" {
		r.p.Log(platform.LevelInfo, "deployment: "+rep.DeploymentID)
	}
	r.writeStepSummary("🚀 "+line, append(warned, warnings...))
	outs := []model.Output{{Name: "started_at", Value: now.Format(time.RFC3339)}, {Name: "deployment_id", Value: rep.DeploymentID},
		{Name: "comment_url", Value: rep.CommentURL}}
	r.writeOutputs(outs)
	return ExitOK
}

// finishMode reports a final status decided elsewhere (an `if: failure()` step): the
// sinks get the final event only.
func (r *runner) finishMode(ctx context.Context) int {
	line := fmt.Sprintf("%s: final status of %q in %s, set by mode finish", r.cfg.FinalStatus, r.cfg.Description, r.cfg.Environment)
	r.p.Log(platform.LevelInfo, line)
	now := time.Now()
	rep := r.report(model.Result{StartedAt: r.cfg.StartedAt, FinishedAt: now, Verdict: r.cfg.FinalStatus, Reason: "set by mode finish"})
	if rep.StartedAt.IsZero() {
		rep.StartedAt = now
	}
	rep = r.ev.finish(ctx, rep, ctx.Err() != nil)
	for _, w := range rep.Warnings[len(r.warnings):] {
		r.p.Annotate(platform.LevelWarning, "deploywatch: report not delivered", w)
	}
	r.writeStepSummary(line, rep.Warnings)
	outs := []model.Output{{Name: "status", Value: string(r.cfg.FinalStatus)}, {Name: "deployment_id", Value: rep.DeploymentID},
		{Name: "comment_url", Value: rep.CommentURL}, {Name: "summary", Value: line}}
	r.writeOutputs(outs)
	return ExitOK
}

// maxSummaryWarnings bounds the warning lines of a step summary; the log has them all.
const maxSummaryWarnings = 10

// writeStepSummary writes the short job summary of modes start and finish: what the step
// did, then a line per warning (a sink not built or not reached), so a warning is in the
// summary as well as an annotation, as in mode run.
func (r *runner) writeStepSummary(line string, warnings []string) {
	var b strings.Builder
	b.WriteString("### deploywatch: " + report.EscapeMarkdown(r.cfg.Environment) + "\n\n" + report.EscapeMarkdown(line) + "\n")
	if len(warnings) > 0 {
		b.WriteString("\n**deploywatch warnings** (they did not change the outcome):\n\n")
		for _, w := range warnings[:min(len(warnings), maxSummaryWarnings)] {
			b.WriteString("- ⚠️ " + report.EscapeMarkdown(w) + "\n")
		}
		if n := len(warnings) - maxSummaryWarnings; n > 0 {
			fmt.Fprintf(&b, "- … %d more in the log\n", n)
		}
	}
	if err := r.p.WriteSummary(b.String()); err != nil && r.p.Name() != "local" {
		r.p.Annotate(platform.LevelWarning, "deploywatch: job summary not written", err.Error())
	}
}
