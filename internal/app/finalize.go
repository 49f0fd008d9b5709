package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/monitor"
	"github.com/deploywatch/deploywatch/internal/sink"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/report"
)

// report assembles the run's report from its result.
func (r *runner) report(res model.Result) model.Report {
	rep := model.Report{
		SchemaVersion: model.ReportSchemaVersion, Tool: "deploywatch", Version: r.env.Version,
		Mode: string(r.cfg.Mode), Environment: r.cfg.Environment, Description: r.cfg.Description,
		ExpectedVersion: r.cfg.ExpectedVersion, DryRun: r.cfg.DryRun, FailOn: r.cfg.FailOn,
		Run: r.p.Context(), Result: res, Signals: signalsOf(res.Findings),
		DeploymentID: r.cfg.DeploymentID, ReportPath: r.cfg.ReportPath, Warnings: r.warnings,
	}
	if u := r.cfg.Sinks.EnvironmentURL; u != "" {
		rep.Links = append(rep.Links, model.Link{Label: "environment", URL: u})
	}
	rep.Links = append(rep.Links, dashboardLinks(r.cfg, res.StartedAt, res.FinishedAt)...)
	return rep
}

// signalsOf sets every output signal: true when a breach that counted fired it. A breach
// confirmed and cleared within the warm-up grace did not count.
func signalsOf(findings []model.Finding) map[model.Signal]bool {
	signals := map[model.Signal]bool{}
	for _, s := range model.Signals() {
		signals[s] = false
	}
	for _, f := range findings {
		if f.Type == model.FindingBreach && (f.Fatal || f.Phase != model.PhaseWarmup) && f.Signal != "" {
			signals[f.Signal] = true
			for _, s := range crashLoopSignals(f) {
				signals[s] = true
			}
		}
	}
	return signals
}

// finalize reports the end of a run and writes everything it leaves behind. The final
// event goes to the sinks at once, and the JSON report and the step outputs are written
// while they send it, with the deployment and comment known so far: an API that is down
// must not keep the verdict from the steps that read it. The sinks then get what is left
// of their short budget; the job summary follows, with a warning per sink problem, and
// the report (and the outputs, when a deployment or comment became known late) are
// written again with what the sinks added. A failure to write one file is a warning; the
// others are still written.
func (r *runner) finalize(ctx context.Context, rep model.Report) model.Report {
	n := len(rep.Warnings)
	rep = sink.WithHandles(rep, r.ev.handles())
	// Each side appends its own warnings: neither may write into the other's array.
	rep.Warnings = slices.Clip(rep.Warnings)
	sent := make(chan model.Report, 1)
	go func() { sent <- r.ev.finish(ctx, rep, ctx.Err() != nil) }()
	written := rep
	if err := r.writeReport(written); err != nil {
		written.Warnings = append(written.Warnings, err.Error())
		written.ReportPath = ""
		r.p.Annotate(platform.LevelWarning, "deploywatch: report not written", err.Error())
	}
	r.writeOutputs(report.Outputs(written))
	final := <-sent
	for _, w := range final.Warnings[n:] {
		r.p.Annotate(platform.LevelWarning, "deploywatch: report not delivered", w)
	}
	late := final.DeploymentID != rep.DeploymentID || final.CommentURL != rep.CommentURL
	final.Warnings = append(slices.Clip(final.Warnings), written.Warnings[n:]...)
	final.ReportPath = written.ReportPath
	if final.ReportPath != "" {
		if err := r.writeReport(final); err != nil {
			r.p.Annotate(platform.LevelWarning, "deploywatch: report not written", err.Error())
		}
	}
	if late {
		// Written again in full: the last value of an output is the one a later step reads.
		r.writeOutputs(report.Outputs(final))
	}
	rep = final
	md := report.Markdown(rep)
	if err := r.p.WriteSummary(md); err != nil && r.p.Name() != "local" {
		r.p.Annotate(platform.LevelWarning, "deploywatch: job summary not written", err.Error())
	}
	r.writeExtraFiles(rep, md)
	if rep.ReportPath != "" {
		r.p.Log(platform.LevelInfo, "report: "+rep.ReportPath)
	}
	if rep.CommentURL != "" {
		r.p.Log(platform.LevelInfo, "comment: "+rep.CommentURL)
	}
	if rep.DryRun && rep.Verdict != model.VerdictHealthy {
		r.p.Log(platform.LevelInfo, "dry run: the step does not fail whatever the verdict")
	}
	return rep
}

// openEvents builds the run's sinks. A sink that cannot be built is a warning.
func (r *runner) openEvents() {
	sinks, warnings, tr := buildSinks(r.env, r.cfg, r.p.Context())
	for _, w := range warnings {
		r.warnings = append(r.warnings, w)
		r.p.Annotate(platform.LevelWarning, "deploywatch", w)
	}
	r.ev = newEvents(sinks, r.report(model.Result{}), r.cons.note)
	r.ev.transport = tr
	if len(sinks) > 0 {
		names := make([]string, len(sinks))
		for i, s := range sinks {
			names[i] = s.Name()
		}
		r.p.Log(platform.LevelInfo, "reporting to "+strings.Join(names, ", "))
	}
}

// announce sends the start to the sinks with the checks about to run: a new deployment in
// mode run, the one an earlier start announced in mode monitor.
func (r *runner) announce(ctx context.Context, startedAt time.Time, o monitor.Options) {
	kind := sink.KindStarted
	if r.cfg.Mode == config.ModeMonitor {
		kind = sink.KindResumed
	}
	var specs []model.CheckSpec
	if o.Rollout != nil {
		specs = append(specs, o.Rollout.Spec())
	}
	for _, c := range append(append([]check.Check(nil), o.RolloutChecks...), o.Checks...) {
		specs = append(specs, c.Spec())
	}
	// The dashboards can be linked now the start is known.
	r.ev.base = r.report(model.Result{StartedAt: startedAt})
	r.ev.announce(ctx, kind, startedAt, specs, fmt.Sprintf("monitoring %d checks until +%s", len(specs), report.FormatOffset(o.Plan.End())))
}

func verdictLevel(v model.Verdict) platform.Level {
	switch v {
	case model.VerdictHealthy:
		return platform.LevelSuccess
	case model.VerdictFailed, model.VerdictInconclusive:
		return platform.LevelError
	case model.VerdictDegraded:
		return platform.LevelWarning
	}
	return platform.LevelInfo
}
