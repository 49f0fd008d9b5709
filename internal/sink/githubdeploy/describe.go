package githubdeploy

import (
	"strconv"
	"strings"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// status is a deployment status as far as deduplication cares.
type status struct{ state, desc string }

// repeats reports whether posting s after last would tell nothing new. A final status
// is compared whole. An in_progress one is compared by the state so far its description
// opens with ("Healthy so far", "Degraded so far", "Failing", …): the rest (how many
// findings, which one) changes with every flap of a check and would spend a call each
// time for what the sticky comment already shows in full.
func (s status) repeats(last status) bool {
	if s.state != "in_progress" || last.state != "in_progress" {
		return s == last
	}
	return progressKey(s.desc) == progressKey(last.desc)
}

// progressKey is the state so far an in_progress description opens with, the dry-run
// mark included.
func progressKey(desc string) string {
	head, _, _ := strings.Cut(strings.TrimPrefix(desc, "dry run: "), ": ")
	if strings.HasPrefix(desc, "dry run: ") {
		return "dry run: " + head
	}
	return head
}

// desired is the status an event calls for. Descriptions say the state so far and never
// the time elapsed, so a checkpoint that changes nothing posts nothing (see repeats).
func desired(ev sink.Event) status {
	if ev.Kind == sink.KindFinished {
		return status{state: State(ev.Report.Verdict), desc: FinalDescription(ev.Report)}
	}
	return status{state: "in_progress", desc: ProgressDescription(ev)}
}

// State maps a verdict onto a deployment status state: a healthy or degraded run is a
// success, a failed one a failure, an inconclusive one an error (the monitor could not
// tell), a cancelled one inactive.
func State(v model.Verdict) string {
	switch v {
	case model.VerdictHealthy, model.VerdictDegraded:
		return "success"
	case model.VerdictFailed:
		return "failure"
	case model.VerdictCancelled:
		return "inactive"
	}
	return "error"
}

// FinalDescription is the run's summary line within GitHub's 140 characters, marked
// "dry run: " first when the verdict changed nothing.
func FinalDescription(r model.Report) string {
	dry := r.DryRun
	r.DryRun = false // the mark goes first, where the cut cannot drop it
	d := report.SummaryLine(r)
	if dry {
		d = "dry run: " + d
	}
	return githubapi.Description(d)
}

// ProgressDescription is the state so far: "Monitoring 4 checks", "Healthy so far: 4
// checks passing", "Failing: critical error_rate: …", "Rolled back: …".
func ProgressDescription(ev sink.Event) string {
	r := ev.Report
	var d string
	switch {
	case ev.Kind == sink.KindStarted || ev.Kind == sink.KindResumed:
		d = "Monitoring started"
		if n := len(r.Checks); n > 0 {
			d = "Monitoring " + checks(n)
		}
	case ev.Kind == sink.KindRolledBack && r.Rollback != nil:
		d = "Rolled back: " + r.Rollback.Message
	case r.Verdict == model.VerdictFailed:
		d = "Failing: " + r.Reason
	case r.Verdict == model.VerdictDegraded:
		d = "Degraded so far: " + r.Reason
	case r.Verdict == model.VerdictInconclusive:
		d = "Inconclusive so far: " + r.Reason
	default:
		d = "Healthy so far: " + checks(len(r.Checks)) + " passing"
	}
	if r.DryRun {
		d = "dry run: " + d
	}
	return githubapi.Description(d)
}

func checks(n int) string {
	if n == 1 {
		return "1 check"
	}
	return strconv.Itoa(n) + " checks"
}
