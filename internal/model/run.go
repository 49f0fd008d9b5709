package model

import "time"

// RunContext is what the CI host tells us about this run, normalised so nothing past the
// platform edge needs to know which host it is.
type RunContext struct {
	Platform   string `json:"platform"`
	Repository string `json:"repository,omitempty"`
	// SHA is the commit the run is for; on pull_request events it is the merge commit, and
	// HeadSHA is the pull request's head.
	SHA     string `json:"sha,omitempty"`
	HeadSHA string `json:"head_sha,omitempty"`
	Ref     string `json:"ref,omitempty"`
	// CommitMessage is the deployed commit's message, when the event tells it.
	CommitMessage string `json:"commit_message,omitempty"`
	// Tag reports that Ref names a tag rather than a branch.
	Tag bool `json:"tag,omitempty"`
	// ProjectID and PipelineID identify the GitLab project and pipeline (numbers as text).
	ProjectID  string `json:"project_id,omitempty"`
	PipelineID string `json:"pipeline_id,omitempty"`
	// DeploymentID is the host's deployment the run was triggered for (GitHub's deployment
	// and deployment_status events), to report on instead of creating another.
	DeploymentID string `json:"deployment_id,omitempty"`
	EventName    string `json:"event_name,omitempty"`
	PullRequest  int    `json:"pull_request,omitempty"`
	Actor        string `json:"actor,omitempty"`
	RunURL       string `json:"run_url,omitempty"`
	ServerURL    string `json:"server_url,omitempty"`
	APIURL       string `json:"api_url,omitempty"`
	Workspace    string `json:"workspace,omitempty"`

	// HeadRef is the pull request's branch (GITHUB_HEAD_REF), without refs/heads/.
	HeadRef string `json:"head_ref,omitempty"`
	// HeadRepository is the repository the pull request comes from, "owner/name", and
	// Fork reports that it is not Repository (or was deleted): GitHub then gives a
	// pull_request workflow a read-only token.
	HeadRepository string `json:"head_repository,omitempty"`
	Fork           bool   `json:"fork,omitempty"`
}

// DeployedSHA is the commit most likely deployed: the head of a pull request when the run
// is for one, else the run's commit.
func (c RunContext) DeployedSHA() string {
	if c.HeadSHA != "" {
		return c.HeadSHA
	}
	return c.SHA
}

// TimelineEntry is one line of a run's history: a phase change, a checkpoint, a finding.
type TimelineEntry struct {
	At      time.Time     `json:"at"`
	Elapsed time.Duration `json:"elapsed"`
	Kind    EventKind     `json:"kind"`
	Phase   Phase         `json:"phase"`
	Verdict Verdict       `json:"verdict"`
	Text    string        `json:"text"`
}

// Result is what the monitor hands back when a run ends.
type Result struct {
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
	Verdict    Verdict         `json:"verdict"`
	Reason     string          `json:"reason"`
	Checks     []CheckStatus   `json:"checks"`
	Findings   []Finding       `json:"findings"`
	Timeline   []TimelineEntry `json:"timeline"`
	// DetectedAfter is the time from start to the first fatal finding, when there is one.
	DetectedAfter *time.Duration `json:"detected_after,omitempty"`
}

// Output is one named step output, in the order it is written.
type Output struct {
	Name  string
	Value string
}
