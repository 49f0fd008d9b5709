package model

import "time"

// ReportSchemaVersion is bumped when the JSON report changes incompatibly.
const ReportSchemaVersion = 1

// Report is everything a run produced; the JSON report, the job summary and the outputs
// are renderings of it.
type Report struct {
	SchemaVersion   int        `json:"schema_version"`
	Tool            string     `json:"tool"`
	Version         string     `json:"version"`
	Mode            string     `json:"mode"`
	Environment     string     `json:"environment"`
	Description     string     `json:"description"`
	ExpectedVersion string     `json:"expected_version,omitempty"`
	DryRun          bool       `json:"dry_run"`
	FailOn          Severity   `json:"fail_on"`
	Run             RunContext `json:"run"`
	Result
	// Signals holds every output signal, true when a finding set it.
	Signals map[Signal]bool `json:"signals"`
	// DeploymentID and CommentURL are handles filled by sinks (events issue).
	DeploymentID string `json:"deployment_id,omitempty"`
	CommentURL   string `json:"comment_url,omitempty"`
	ReportPath   string `json:"report_path,omitempty"`
	// Warnings are problems of the tool that did not change the verdict (a sink failure,
	// an ignored input).
	Warnings []string `json:"warnings,omitempty"`
}

// Duration is how long the run took.
func (r Report) Duration() time.Duration {
	if r.FinishedAt.IsZero() || r.StartedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}
