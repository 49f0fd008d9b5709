package slack

import (
	"fmt"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// rollbackSummary is what the rollback did, in plain text: the rollback's own account when
// it gives one.
func rollbackSummary(rb *model.Rollback) string {
	if rb == nil {
		return "rolled back"
	}
	if m := oneLine(rb.Message); m != "" {
		return m
	}
	return rollbackOutcome(rb)
}

// rollbackText says what was rolled back and why.
func rollbackText(r model.Report) string {
	s := "*Rolled back* · " + esc(rollbackSummary(r.Rollback))
	if why := esc(r.Reason); why != "" {
		s += "\nCause: " + why
	}
	return s
}

// rollbackOutcome is the rollback in a few words, for a field.
func rollbackOutcome(rb *model.Rollback) string {
	switch {
	case rb.DryRun:
		return "dry run: " + oneLine(rb.Target) + " left as is"
	case !rb.Performed:
		return "not performed"
	case rb.Recovered:
		return fmt.Sprintf("revision %d → %d, service recovered", rb.FromRevision, rb.ToRevision)
	}
	return fmt.Sprintf("revision %d → %d, not recovered", rb.FromRevision, rb.ToRevision)
}

// maxListed bounds the findings a final message lists; the comment has them all.
const maxListed = 10

// finishedText leads a failed run with the finding that failed it, then lists the others.
func finishedText(r model.Report) string {
	var b strings.Builder
	key, hasKey := keyFinding(r)
	if hasKey && r.Verdict == model.VerdictFailed {
		b.WriteString(findingText(key, sink.FindingSeverity(key), "Key finding"))
	} else {
		b.WriteString(esc(report.SummaryLine(r)))
		hasKey = false
	}
	var others []model.Finding
	for _, f := range r.Findings {
		if !hasKey || f.Check != key.Check || !f.ConfirmedAt.Equal(key.ConfirmedAt) {
			others = append(others, f)
		}
	}
	if len(others) > 0 {
		b.WriteString("\n\n*Findings*")
	}
	for i, f := range others {
		if i == maxListed {
			fmt.Fprintf(&b, "\n…and %d more", len(others)-maxListed)
			break
		}
		sev := sink.FindingSeverity(f)
		icon, _ := severityLook(sev)
		fmt.Fprintf(&b, "\n• %s %s %s: %s", icon, strings.ToLower(severityLabel(f, sev)), esc(f.Check), esc(f.Message))
		if !f.Active {
			b.WriteString(" (cleared)")
		}
	}
	return b.String()
}

// keyFinding is the finding that explains the verdict: the first fatal one, else the
// first still active.
func keyFinding(r model.Report) (model.Finding, bool) {
	for _, f := range r.Findings {
		if f.Fatal {
			return f, true
		}
	}
	for _, f := range r.Findings {
		if f.Active {
			return f, true
		}
	}
	return model.Finding{}, false
}
