package webhook

import (
	"math"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// payload is the API's request body; the field names and meanings are the API's.
type payload struct {
	DeploymentRequest  string   `json:"deployment_request"`
	RepositoryFullName string   `json:"repository_full_name,omitempty"`
	Status             string   `json:"status"`
	ExternalURL        string   `json:"external_url,omitempty"`
	CommitSHA          string   `json:"commit_sha,omitempty"`
	CommitMessage      string   `json:"commit_message,omitempty"`
	Ref                string   `json:"ref,omitempty"`
	EventMetadata      metadata `json:"event_metadata"`
}

// metadata is deploywatch's part of the event: what a dashboard needs to show the
// outcome without the JSON report.
type metadata struct {
	Source      string `json:"source"`
	Environment string `json:"environment"`
	Verdict     string `json:"verdict,omitempty"`
	Reason      string `json:"reason,omitempty"`
	DryRun      bool   `json:"dry_run,omitempty"`
	StartedAt   string `json:"started_at,omitempty"`
	FinishedAt  string `json:"finished_at,omitempty"`
	// DetectedAfterSeconds is the time from the start to the failure that decided it.
	DetectedAfterSeconds *float64       `json:"detected_after_s,omitempty"`
	ExpectedVersion      string         `json:"expected_version,omitempty"`
	DeploymentID         string         `json:"deployment_id,omitempty"`
	CommentURL           string         `json:"comment_url,omitempty"`
	Signals              []model.Signal `json:"signals,omitempty"`
	Findings             []finding      `json:"findings,omitempty"`
	RolledBack           *rollback      `json:"rollback,omitempty"`
	Links                []model.Link   `json:"links,omitempty"`
}

type finding struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fatal    bool   `json:"fatal"`
	Active   bool   `json:"active"`
}

type rollback struct {
	Target       string `json:"target"`
	Performed    bool   `json:"performed"`
	Recovered    bool   `json:"recovered"`
	FromRevision int64  `json:"from_revision"`
	ToRevision   int64  `json:"to_revision"`
}

// deployedRef is the Git ref being deployed, as the API means it (refs/heads/main): on a
// pull request event GITHUB_REF is the merge ref refs/pull/N/merge, while commit_sha is
// the pull request's head, so the ref sent is the head's branch.
func deployedRef(run model.RunContext) string {
	if (run.EventName == "pull_request" || run.EventName == "pull_request_target") && run.HeadRef != "" {
		return "refs/heads/" + run.HeadRef
	}
	return run.Ref
}

// Payload builds the body for an event with the given API status.
func Payload(ev sink.Event, status string) any {
	r := ev.Report
	p := payload{
		DeploymentRequest:  r.Description,
		RepositoryFullName: r.Run.Repository,
		Status:             status,
		ExternalURL:        r.Run.RunURL,
		CommitSHA:          r.Run.DeployedSHA(),
		CommitMessage:      r.Run.CommitMessage,
		Ref:                deployedRef(r.Run),
		EventMetadata: metadata{
			Source: "deploywatch " + r.Version, Environment: r.Environment, DryRun: r.DryRun,
			ExpectedVersion: r.ExpectedVersion, DeploymentID: r.DeploymentID, CommentURL: r.CommentURL, Links: r.Links,
		},
	}
	if p.DeploymentRequest == "" {
		p.DeploymentRequest = "Deploy to " + r.Environment
	}
	m := &p.EventMetadata
	if !r.StartedAt.IsZero() {
		m.StartedAt = r.StartedAt.UTC().Format(time.RFC3339)
	}
	if ev.Kind != sink.KindFinished {
		return p
	}
	m.Verdict, m.Reason = string(r.Verdict), r.Reason
	if !r.FinishedAt.IsZero() {
		m.FinishedAt = r.FinishedAt.UTC().Format(time.RFC3339)
	}
	if d := r.DetectedAfter; d != nil {
		s := math.Round(d.Seconds()*10) / 10
		m.DetectedAfterSeconds = &s
	}
	for _, sig := range model.Signals() {
		if r.Signals[sig] {
			m.Signals = append(m.Signals, sig)
		}
	}
	for _, f := range r.Findings {
		m.Findings = append(m.Findings, finding{Check: f.Check, Severity: sink.FindingSeverity(f).String(), Message: f.Message, Fatal: f.Fatal, Active: f.Active})
	}
	if rb := r.Rollback; rb != nil {
		m.RolledBack = &rollback{Target: rb.Target, Performed: rb.Performed, Recovered: rb.Recovered, FromRevision: rb.FromRevision, ToRevision: rb.ToRevision}
	}
	return p
}
