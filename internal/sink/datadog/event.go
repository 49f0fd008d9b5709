package datadog

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// The API's limits (Post an event, v1).
const (
	maxTitleRunes = 100
	maxTextRunes  = 4000
	maxTagBytes   = 200
)

// event is the API's request body; the field names and meanings are the API's.
type event struct {
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	DateHappened   int64    `json:"date_happened,omitempty"`
	Priority       string   `json:"priority"`
	AlertType      string   `json:"alert_type"`
	Tags           []string `json:"tags"`
	AggregationKey string   `json:"aggregation_key"`
	SourceTypeName string   `json:"source_type_name"`
}

// buildEvent renders ev as a Datadog event.
func buildEvent(ev sink.Event) event {
	r := ev.Report
	e := event{
		Title:          cut(title(r)+": "+state(ev), maxTitleRunes),
		Text:           eventText(ev),
		Priority:       "normal",
		AlertType:      alertType(ev),
		Tags:           tags(ev),
		AggregationKey: aggregationKey(r),
		SourceTypeName: "deploywatch",
	}
	if !ev.At.IsZero() {
		e.DateHappened = ev.At.Unix()
	}
	if ev.Kind == sink.KindProgress {
		e.Priority = "low"
	}
	return e
}

// finding is the event's finding, or an empty one.
func finding(ev sink.Event) model.Finding {
	if ev.Finding != nil {
		return *ev.Finding
	}
	return model.Finding{}
}

// state says what happened, for the title: "started", "critical error_rate", "failed".
func state(ev sink.Event) string {
	f := finding(ev)
	switch ev.Kind {
	case sink.KindStarted:
		return "started"
	case sink.KindProgress:
		return "checkpoint +" + formatDuration(ev.Checkpoint)
	case sink.KindFinding:
		return severityWord(f) + " " + plain(f.Check)
	case sink.KindCleared:
		return "all clear " + plain(f.Check)
	case sink.KindRolledBack:
		return "rolled back"
	}
	return string(ev.Report.Verdict)
}

// alertType maps the event onto the API's alert types: info for the start and
// checkpoints, warning or error by a finding's severity, success for an all-clear, and for
// the end by verdict (an inconclusive run could not show the deploy is healthy: error).
func alertType(ev sink.Event) string {
	switch ev.Kind {
	case sink.KindFinding:
		switch sink.FindingSeverity(finding(ev)) {
		case model.SeverityCritical, model.SeverityEmergency:
			return "error"
		case model.SeverityWarning:
			return "warning"
		}
		return "info"
	case sink.KindCleared:
		return "success"
	case sink.KindRolledBack:
		// Recovered, the service is back but the deploy still failed.
		if rb := ev.Report.Rollback; rb != nil && rb.Performed && rb.Recovered {
			return "warning"
		}
		return "error"
	case sink.KindFinished:
		switch ev.Report.Verdict {
		case model.VerdictHealthy:
			return "success"
		case model.VerdictDegraded:
			return "warning"
		case model.VerdictFailed, model.VerdictInconclusive:
			return "error"
		}
	}
	return "info"
}

// tags are the event's tags: what the deploy is, then its severity or verdict.
func tags(ev sink.Event) []string {
	r := ev.Report
	out := []string{"deployment", "deploywatch"}
	add := func(key, value string) {
		if t := tag(key, value); t != "" {
			out = append(out, t)
		}
	}
	add("env", r.Environment)
	add("repository", r.Run.Repository)
	add("version", report.VersionLabel(r))
	switch ev.Kind {
	case sink.KindFinding, sink.KindCleared:
		add("severity", sink.FindingSeverity(finding(ev)).String())
	case sink.KindFinished:
		add("verdict", string(r.Verdict))
	}
	return out
}

// tag writes key:value in Datadog's tag charset: lowercase letters, digits and _-:./,
// anything else an underscore (as Datadog itself would), at most 200 bytes. An empty
// value gives no tag.
func tag(key, value string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(value) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', strings.ContainsRune("-:./", r):
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	v := strings.Trim(b.String(), "_")
	if v == "" {
		return ""
	}
	t := key + ":" + v
	if len(t) > maxTagBytes {
		t = t[:maxTagBytes]
	}
	// A tag may not end with a colon.
	return strings.TrimRight(t, ":_")
}

// aggregationKey is the same for every event of one run, so Datadog groups them: a hash
// of the repository, the environment and the start (the commit when the start is unknown).
func aggregationKey(r model.Report) string {
	start := r.Run.DeployedSHA()
	if !r.StartedAt.IsZero() {
		start = r.StartedAt.UTC().Format(time.RFC3339Nano)
	}
	sum := sha256.Sum256([]byte(r.Run.Repository + "\x00" + r.Environment + "\x00" + start))
	return "deploywatch-" + hex.EncodeToString(sum[:16])
}
