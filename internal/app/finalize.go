package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
		}
	}
	return signals
}

// finalize writes everything a run leaves behind, most important first: the JSON report,
// the step outputs, the job summary. A failure to write one is a warning; the others are
// still written. ctx bounds the work (sinks will use it).
func (r *runner) finalize(ctx context.Context, rep model.Report) {
	_ = ctx
	if err := r.writeReport(rep); err != nil {
		rep.Warnings = append(rep.Warnings, err.Error())
		rep.ReportPath = ""
		r.p.Annotate(platform.LevelWarning, "deploywatch: report not written", err.Error())
	}
	if err := r.p.SetOutputs(report.Outputs(rep)); err != nil && r.p.Name() != "local" {
		r.p.Annotate(platform.LevelWarning, "deploywatch: outputs not written", err.Error())
	}
	if err := r.p.WriteSummary(report.Markdown(rep)); err != nil && r.p.Name() != "local" {
		r.p.Annotate(platform.LevelWarning, "deploywatch: job summary not written", err.Error())
	}
	if rep.ReportPath != "" {
		r.p.Log(platform.LevelInfo, "report: "+rep.ReportPath)
	}
	if rep.DryRun && rep.Verdict != model.VerdictHealthy {
		r.p.Log(platform.LevelInfo, "dry run: the step does not fail whatever the verdict")
	}
}

func (r *runner) writeReport(rep model.Report) error {
	b, err := report.JSON(rep)
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	path := resolvePath(r.env.Dir, rep.ReportPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(path, r.p.r.Bytes(b), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
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

// start records the start of a deployment for a later monitor run and, for a direct
// scrape, samples the service's traffic as the baseline.
func (r *runner) start(ctx context.Context) int {
	now := time.Now().UTC()
	r.p.Log(platform.LevelInfo, fmt.Sprintf("deployment %q to %s started at %s", r.cfg.Description, r.cfg.Environment, now.Format(time.RFC3339)))
	if len(r.cfg.Metrics.MetricsURLs) > 0 && r.cfg.Metrics.PrometheusURL == "" {
		line, err := takeSnapshot(ctx, r.cfg, r.env.Version, r.env.Dir)
		if err != nil {
			// The deploy goes on; the later run judges without a baseline and says so.
			r.p.Annotate(platform.LevelWarning, "deploywatch: no baseline", err.Error())
		} else {
			r.p.Log(platform.LevelInfo, line)
		}
	}
	outs := []model.Output{{Name: "started_at", Value: now.Format(time.RFC3339)}, {Name: "deployment_id", Value: r.cfg.DeploymentID}}
	if err := r.p.SetOutputs(outs); err != nil && r.p.Name() != "local" {
		r.p.Annotate(platform.LevelWarning, "deploywatch: outputs not written", err.Error())
	}
	return ExitOK
}

// finishMode reports a final status decided elsewhere.
func (r *runner) finishMode() int {
	line := fmt.Sprintf("%s: final status of %q in %s, set by mode finish", r.cfg.FinalStatus, r.cfg.Description, r.cfg.Environment)
	r.p.Log(platform.LevelInfo, line)
	outs := []model.Output{{Name: "status", Value: string(r.cfg.FinalStatus)}, {Name: "deployment_id", Value: r.cfg.DeploymentID}, {Name: "summary", Value: line}}
	if err := r.p.SetOutputs(outs); err != nil && r.p.Name() != "local" {
		r.p.Annotate(platform.LevelWarning, "deploywatch: outputs not written", err.Error())
	}
	return ExitOK
}
