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
	// Rollback is what a rollback did, when one was due.
	Rollback *Rollback `json:"rollback,omitempty"`
	// InProgress marks a snapshot published while the run goes on (a progress comment):
	// the verdict is provisional and FinishedAt is zero.
	InProgress bool `json:"in_progress,omitempty"`
	// Links are where a reader goes next: the deployment, dashboards, events.
	Links []Link `json:"links,omitempty"`
	// History is the environment's latest deployments before this one, newest first, so a
	// reader sees whether this outcome is unusual.
	History []PastDeployment `json:"history,omitempty"`
	// Comparison sets this deploy's metrics beside the last healthy one's.
	Comparison *Comparison `json:"comparison,omitempty"`
}

// Comparison is this deploy's metrics beside those of the environment's last healthy
// deploy, over the same length of time after each.
type Comparison struct {
	With PastDeployment  `json:"with"`
	Rows []ComparisonRow `json:"rows"`
}

// ComparisonRow is one metric in both deploys (medians over the monitored span).
type ComparisonRow struct {
	Metric string  `json:"metric"`
	Unit   Unit    `json:"unit"`
	Now    float64 `json:"now"`
	Then   float64 `json:"then"`
}

// Link is a labelled URL.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// PastDeployment is one earlier deployment of the environment and how it ended.
type PastDeployment struct {
	ID  string `json:"id"`
	SHA string `json:"sha"`
	Ref string `json:"ref,omitempty"`
	// State is the host's latest status: success, failure, error, inactive, in_progress...
	State       string    `json:"state"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Creator     string    `json:"creator,omitempty"`
	// URL leads to the run that reported the state, when known.
	URL string `json:"url,omitempty"`
}

// Rollback is the undoing of a failed deploy: which revision came back, and whether the
// service recovered on it.
type Rollback struct {
	// Target is the workload, e.g. "deployment/api".
	Target string `json:"target"`
	// DryRun reports a rollback that was only described, not done.
	DryRun bool `json:"dry_run"`
	// Performed is true once the workload was changed back.
	Performed    bool  `json:"performed"`
	FromRevision int64 `json:"from_revision"`
	ToRevision   int64 `json:"to_revision"`
	// Recovered reports that the previous revision rolled out again and its pods are
	// healthy: the rollback is verified.
	Recovered bool   `json:"recovered"`
	Message   string `json:"message"`
}

// Duration is how long the run took.
func (r Report) Duration() time.Duration {
	if r.FinishedAt.IsZero() || r.StartedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}
