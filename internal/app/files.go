package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/report"
)

// writeOutputs hands the outputs to the platform and, with dotenv_path, writes them as a
// dotenv file (GitLab's reports:dotenv, which passes them to later jobs).
func (r *runner) writeOutputs(outs []model.Output) {
	if err := r.p.SetOutputs(outs); err != nil && r.p.Name() != "local" {
		r.p.Annotate(platform.LevelWarning, "deploywatch: outputs not written", err.Error())
	}
	if r.cfg.DotenvPath == "" {
		return
	}
	data, dropped, omitted := report.Dotenv(outs)
	if err := r.writeFile("outputs", r.cfg.DotenvPath, data); err != nil {
		r.p.Annotate(platform.LevelWarning, "deploywatch: outputs not written", err.Error())
		return
	}
	// A dropped output is one a later job will not see: say so where it shows. Empty ones
	// left out for GitLab's limits lose nothing (an empty variable is an unset one).
	if len(dropped) > 0 {
		r.p.Annotate(platform.LevelWarning, "deploywatch: outputs left out of "+r.cfg.DotenvPath, strings.Join(dropped, "; "))
	}
	if len(omitted) > 0 {
		r.p.Log(platform.LevelDebug, "dotenv: left out empty "+strings.Join(omitted, "; "))
	}
}

// writeExtraFiles writes the Markdown summary and the JUnit report when their paths are
// set (on GitLab by default: it has no job summary, and shows JUnit in merge requests).
func (r *runner) writeExtraFiles(rep model.Report, markdown string) {
	if r.cfg.SummaryPath != "" {
		if err := r.writeFile("summary", r.cfg.SummaryPath, []byte(markdown)); err != nil {
			r.p.Annotate(platform.LevelWarning, "deploywatch: summary not written", err.Error())
		}
	}
	if r.cfg.JUnitPath != "" {
		data, err := report.JUnit(rep)
		if err == nil {
			err = r.writeFile("JUnit report", r.cfg.JUnitPath, data)
		}
		if err != nil {
			r.p.Annotate(platform.LevelWarning, "deploywatch: JUnit report not written", err.Error())
		}
	}
}

func (r *runner) writeReport(rep model.Report) error {
	b, err := report.JSON(rep)
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return r.writeFile("report", rep.ReportPath, b)
}

// writeFile writes data, redacted, to path relative to the workspace.
func (r *runner) writeFile(what, path string, data []byte) error {
	full := resolvePath(r.env.Dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	if err := os.WriteFile(full, r.p.r.Bytes(data), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
