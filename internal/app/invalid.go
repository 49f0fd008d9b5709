package app

import (
	"fmt"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/report"
)

// maxInvalidSummary caps the summary output: it is one line for a later step's condition
// or message, and the job summary lists every problem anyway.
const maxInvalidSummary = 1000

// reportInvalid leaves on a CI host what a step stopped by its configuration can leave: the
// outputs (no status, since nothing was judged; every signal false, so later steps read a
// value, not an unset output; the problems in summary) and a job summary listing every
// problem. A terminal has read the problems already.
func reportInvalid(p platform.Platform, problems []string) {
	if p.Name() == "local" {
		return
	}
	outs := report.Outputs(model.Report{})
	for i := range outs {
		if outs[i].Name == "summary" {
			outs[i].Value = invalidLine(problems)
		}
	}
	if err := p.SetOutputs(outs); err != nil {
		p.Annotate(platform.LevelWarning, "deploywatch: outputs not written", err.Error())
	}
	if err := p.WriteSummary(invalidMarkdown(problems)); err != nil {
		p.Annotate(platform.LevelWarning, "deploywatch: summary not written", err.Error())
	}
}

// invalidLine is the summary output: the count, then every problem, on one line.
func invalidLine(problems []string) string {
	line := fmt.Sprintf("%d configuration problem(s), nothing was monitored: %s", len(problems), strings.Join(problems, "; "))
	line = strings.Join(strings.Fields(line), " ")
	if r := []rune(line); len(r) > maxInvalidSummary {
		line = string(r[:maxInvalidSummary-1]) + "…"
	}
	return line
}

// invalidMarkdown is the job summary of an invalid configuration: every problem, escaped
// (values come from the user's inputs).
func invalidMarkdown(problems []string) string {
	var b strings.Builder
	b.WriteString("## deploywatch: invalid configuration\n\n")
	fmt.Fprintf(&b, "Nothing was monitored: %d configuration problem(s), exit code 2. Each names its input, its value and what is allowed.\n\n", len(problems))
	for _, pr := range problems {
		b.WriteString("- " + report.EscapeMarkdown(pr) + "\n")
	}
	return b.String()
}
