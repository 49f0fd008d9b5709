package datadog

import (
	"fmt"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Markdown text is wrapped in %%% lines; the wrapper counts towards the 4000 characters.
const (
	mdOpen  = "%%%\n"
	mdClose = "\n%%%"
	// maxLinksRunes bounds the links line, leaving most of the text to what happened.
	maxLinksRunes = 1500
	// maxListed bounds the findings a final event lists; the comment has them all.
	maxListed = 10
)

// eventText is the event's Markdown: what happened, the run's facts, and links to the
// run, the comment and what announcers created. Outside text goes through esc.
func eventText(ev sink.Event) string {
	r := ev.Report
	var paras []string
	switch ev.Kind {
	case sink.KindStarted:
		paras = startedText(r)
	case sink.KindProgress:
		paras = []string{fmt.Sprintf("**Checkpoint +%s** · %s", formatDuration(ev.Checkpoint), esc(report.SummaryLine(r)))}
	case sink.KindFinding:
		f := finding(ev)
		paras = []string{findingText(f, "")}
		if f.Fatal {
			paras = append(paras, "This finding fails the deploy.")
		}
	case sink.KindCleared:
		paras = clearedText(finding(ev))
	case sink.KindRolledBack:
		paras = []string{"**Rolled back** · " + esc(rollbackSummary(r.Rollback))}
		if r.Reason != "" {
			paras = append(paras, "Cause: "+esc(r.Reason))
		}
	default:
		paras = finishedText(r)
	}
	if facts := facts(ev); len(facts) > 0 {
		paras = append(paras, "- "+strings.Join(facts, "\n- "))
	}
	links := linksLine(r)
	room := maxTextRunes - len(mdOpen) - len(mdClose)
	if links != "" {
		room -= len([]rune(links)) + 2
	}
	body := cutLines(strings.Join(paras, "\n\n"), room)
	if links != "" {
		body += "\n\n" + links
	}
	return mdOpen + body + mdClose
}

// startedText announces the deploy: its description, what will be watched, the commit.
func startedText(r model.Report) []string {
	lead := "**Deployment started**"
	if d := esc(r.Description); d != "" {
		lead += " · " + d
	}
	paras := []string{lead}
	for _, e := range r.Timeline {
		if e.Kind == model.EventStarted && esc(e.Text) != "" {
			paras = append(paras, esc(e.Text))
			break
		}
	}
	if m := esc(r.Run.CommitMessage); m != "" {
		paras = append(paras, "> "+m)
	}
	return paras
}

// findingText explains a finding: what, then the value against the expectation and the
// baseline it derives from.
func findingText(f model.Finding, lead string) string {
	s := "**" + severityLabel(f) + "** · " + esc(f.Check)
	if lead != "" {
		s = "**" + lead + "** · " + s
	}
	if m := esc(f.Message); m != "" {
		s += ": " + m
	}
	var facts []string
	if v := esc(f.Value); v != "" {
		facts = append(facts, "Observed **"+v+"**")
	}
	if e := esc(f.Expected); e != "" {
		facts = append(facts, "expected "+e)
	}
	if b := esc(f.Baseline); b != "" {
		facts = append(facts, "baseline "+b)
	}
	if len(facts) > 0 {
		s += "\n\n" + strings.Join(facts, " · ")
	}
	return s
}

// clearedText is the all-clear: the check passes again, and what it had found.
func clearedText(f model.Finding) []string {
	s := "**All clear** · " + esc(f.Check) + " passes again"
	if !f.ClearedAt.IsZero() && !f.ConfirmedAt.IsZero() && f.ClearedAt.After(f.ConfirmedAt) {
		s += " after " + formatDuration(f.ClearedAt.Sub(f.ConfirmedAt))
	}
	paras := []string{s}
	if m := esc(f.Message); m != "" {
		paras = append(paras, "It was: "+m)
	}
	return paras
}

// finishedText leads a failed run with the finding that failed it, then lists the others.
func finishedText(r model.Report) []string {
	key, hasKey := keyFinding(r)
	var paras []string
	if hasKey && r.Verdict == model.VerdictFailed {
		paras = append(paras, findingText(key, "Key finding"))
	} else {
		hasKey = false
	}
	paras = append(paras, esc(report.SummaryLine(r)))
	var list []string
	for _, f := range r.Findings {
		if hasKey && f.Check == key.Check && f.ConfirmedAt.Equal(key.ConfirmedAt) {
			continue
		}
		if len(list) == maxListed {
			list = append(list, "…")
			break
		}
		// "*" bullets: a "-" list would merge with the facts' list below it.
		item := "* " + severityWord(f) + " " + esc(f.Check) + ": " + esc(f.Message)
		if !f.Active {
			item += " (cleared)"
		}
		list = append(list, item)
	}
	if len(list) > 0 {
		paras = append(paras, "**Findings**\n\n"+strings.Join(list, "\n"))
	}
	return paras
}
