// Package sink defines where a run is reported beyond the CI log: the GitHub deployment and
// its statuses, the sticky comment, the commit status, chat, webhooks, dashboards, email.
// Each sink lives in its own subpackage and implements Sink; internal/app registers them
// in one place. The Dispatcher fans events out with one worker per sink, so a slow or
// failing sink never holds up the monitor or another sink, and a sink failure becomes a
// warning, never a change of verdict.
package sink

import (
	"context"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Kind names a lifecycle event as sinks see it.
type Kind string

// Event kinds.
const (
	// KindStarted announces a deployment (modes run and start).
	KindStarted Kind = "started"
	// KindResumed starts monitoring a deployment an earlier `start` announced (mode
	// monitor): sinks find their records again instead of creating new ones.
	KindResumed Kind = "resumed"
	// KindProgress is a checkpoint of the schedule.
	KindProgress Kind = "progress"
	// KindFinding is a finding raised; KindCleared one that cleared.
	KindFinding Kind = "finding"
	KindCleared Kind = "cleared"
	// KindRolledBack follows a rollback, before the final event.
	KindRolledBack Kind = "rolled_back"
	// KindFinished carries the final verdict (also the only event of mode finish).
	KindFinished Kind = "finished"
)

// Event is what a sink receives. Report is the whole run as of the event, with the
// handles announcers returned, so a sink renders it without keeping state of its own.
type Event struct {
	Kind Kind
	At   time.Time
	// Report is the run so far: InProgress and a provisional verdict until KindFinished.
	Report model.Report
	// Finding is the finding raised or cleared.
	Finding *model.Finding
	// Checkpoint is the schedule offset of a progress event.
	Checkpoint time.Duration
}

// Sink reports events somewhere. Send must be idempotent, because the dispatcher sends an
// event again when Send asks for a retry: a sink finds what an earlier attempt created
// before creating it.
type Sink interface {
	// Name identifies the sink in warnings, e.g. "slack" or "github deployment".
	Name() string
	// Send reports ev. retry says whether sending again may succeed (a 5xx, a rate limit,
	// a timeout); an error that implements RetryAfter() says how long to wait first.
	Send(ctx context.Context, ev Event) (retry bool, err error)
}

// Announcer is a sink whose record the others refer to: the GitHub deployment, the sticky
// comment. The dispatcher sends the start to announcers first, in order, and adds their
// handles to every later event and to the run's outputs.
type Announcer interface {
	Sink
	// Handles returns what the sink knows after the events it sent so far.
	Handles() Handles
}

// Handles are the references announcers create.
type Handles struct {
	DeploymentID string
	CommentURL   string
	Links        []model.Link
	History      []model.PastDeployment
}

// Snapshotter is a sink that renders the whole run at each event, such as a comment edited
// in place. It is updated at the start, at each checkpoint, when a finding escalates (fatal,
// or above every severity it showed so far) and at the end; a finding that clears or
// repeats a severity already shown waits for the next of those, which shows it. Of several
// updates waiting only the newest is sent, never sooner than MinGap after the previous
// one. A flapping check therefore cannot spend the API budget.
type Snapshotter interface {
	Sink
	MinGap() time.Duration
}

// Closer is a sink holding resources to release at the end of the run.
type Closer interface {
	Close() error
}

// snapshot reports whether an event only updates the state a snapshotter renders.
func (k Kind) snapshot() bool {
	return k == KindProgress || k == KindFinding || k == KindCleared
}

// Notable reports whether ev is worth a notification for a sink that filters by severity
// (notify_on): the start, the end and a rollback always are; a finding when its severity
// reaches min (its clearing likewise, as the all-clear); a checkpoint only at info.
func Notable(ev Event, min model.Severity) bool {
	switch ev.Kind {
	case KindStarted, KindFinished, KindRolledBack:
		return true
	case KindFinding, KindCleared:
		return ev.Finding != nil && FindingSeverity(*ev.Finding) >= min
	case KindProgress:
		return min <= model.SeverityInfo
	}
	return false
}

// FindingSeverity is how loud a finding is: a failing probe is a warning whatever the
// check, since the service's health is unknown rather than bad.
func FindingSeverity(f model.Finding) model.Severity {
	if f.Type == model.FindingProbeError {
		return model.SeverityWarning
	}
	return f.Severity
}
