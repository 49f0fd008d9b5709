package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/monitor"
	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/report"
)

// console publishes lifecycle events to the CI log: a group per phase, a line per
// checkpoint and finding, and a line per measurement that says something new — a check's
// first result, or an observation that differs from its previous one. A steady stream of
// passes, or of the same error, stays out of the log; checkpoints and findings summarise it.
type console struct {
	p platform.Platform
	// annotate raises annotations for findings and the verdict (not on a terminal, where
	// they would repeat the line above).
	annotate bool
	mu       sync.Mutex
	last     map[string]string

	// plan is the run's timing, for the heartbeat; zero without one (no heartbeat).
	plan monitor.Plan
	// spoke is the offset of the last line printed; shift is where the plan's offsets
	// start (the end of the rollout, when there is one).
	spoke, shift time.Duration
	rollout      bool
}

// heartbeatGap is the longest the log stays silent while checks go on quietly (the minutes
// between late checkpoints, the cool-down): a line says the run is alive and how it
// stands. A short plan (the demo) beats sooner.
const heartbeatGap = 30 * time.Second

// follow gives the console the plan it reports on.
func (c *console) follow(p monitor.Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plan = p
}

func newConsole(p platform.Platform) *console {
	return &console{p: p, annotate: p.Name() != "local", last: map[string]string{}}
}

func (c *console) Publish(_ context.Context, ev model.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev.Kind {
	case model.EventPhase:
		c.p.Group(fmt.Sprintf("%s (+%s)", ev.Phase.Title(), report.FormatOffset(ev.Status.Elapsed)))
		if ev.Phase == model.PhaseRollout {
			c.rollout = true
		} else if c.rollout {
			c.rollout, c.shift = false, ev.Status.Elapsed
		}
		c.spoke = ev.Status.Elapsed
	case model.EventFinished:
		c.p.EndGroup()
	case model.EventMeasured:
		if !c.worthALine(ev.Measurement) {
			c.heartbeat(ev)
			return
		}
	}
	if lvl, text, ok := report.Line(ev); ok {
		if ev.Kind != model.EventStarted && ev.Kind != model.EventFinished {
			text = fmt.Sprintf("+%-5s %s", report.FormatOffset(ev.Status.Elapsed), text)
		}
		c.p.Log(platformLevel(lvl), text)
		c.spoke = ev.Status.Elapsed
	}
	if c.annotate && ev.Kind == model.EventFinding && ev.Finding != nil {
		f := ev.Finding
		level, title := platform.LevelWarning, fmt.Sprintf("deploywatch: %s %s", f.Severity, f.Check)
		switch {
		case f.Type == model.FindingProbeError:
			title = "deploywatch: probe failing: " + f.Check
		case f.Fatal:
			level = platform.LevelError
		}
		c.p.Annotate(level, title, findingDetail(*f))
	}
}

// heartbeat prints how the run stands when the log has been silent for a while during
// the monitor phase or the cool-down. c.mu must be held.
func (c *console) heartbeat(ev model.Event) {
	gap := heartbeatGap
	if c.plan.Interval > 0 {
		gap = min(gap, max(c.plan.Interval, c.plan.Cooldown/3))
	}
	el := ev.Status.Elapsed
	if c.plan.End() == 0 || el-c.spoke < gap {
		return
	}
	at := el - c.shift
	var when string
	switch ev.Phase {
	case model.PhaseMonitor:
		next, ok := time.Duration(0), false
		for _, cp := range c.plan.Schedule {
			if cp > at {
				next, ok = cp, true
				break
			}
		}
		if !ok {
			return
		}
		when = fmt.Sprintf("next checkpoint %s in %s", report.FormatOffset(next), report.FormatOffset(next-at))
	case model.PhaseCooldown:
		left := c.plan.End() - at
		if left <= 0 {
			return // the verdict is the next line
		}
		when = report.FormatOffset(left) + " left"
	default:
		return
	}
	c.spoke = el
	c.p.Log(platform.LevelInfo, fmt.Sprintf("+%-5s %s: %s, %s", report.FormatOffset(el), ev.Phase.Title(), standing(ev.Status), when))
}

// standing says in a few words how the checks stand.
func standing(s model.Status) string {
	active, pending := 0, 0
	for _, f := range s.Findings {
		if f.Active {
			active++
		}
	}
	for _, ch := range s.Checks {
		if ch.Last != nil && ch.Last.Outcome == model.OutcomePending {
			pending++
		}
	}
	switch {
	case active > 0:
		return fmt.Sprintf("%d active finding(s), %s so far", active, s.Verdict)
	case pending > 0:
		return fmt.Sprintf("no finding, %d check(s) still gathering evidence", pending)
	}
	return "all checks passing"
}

// note prints a line from elsewhere (the sinks' retries) between the monitor's lines.
func (c *console) note(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p.Log(platform.LevelInfo, line)
}

// worthALine reports whether a measurement tells the reader something new.
func (c *console) worthALine(m *model.Measurement) bool {
	if m == nil {
		return false
	}
	// Latency is left out: it differs every time and says nothing new on its own. So are
	// the value and message of a metric (they move every round) and of a pending check
	// (its count of requests still needed): a change of outcome is what is news.
	key := string(m.Outcome) + "\x00" + m.ProbeError
	if m.Metric == nil && m.Outcome != model.OutcomePending {
		key += strings.Join([]string{m.Value, m.Expected, m.Message}, "\x00")
	}
	prev, seen := c.last[m.Check]
	c.last[m.Check] = key
	return !seen || prev != key
}

// verdictNote annotates the verdict where annotations are shown apart from the log.
func (c *console) verdictNote(rep model.Report) {
	if !c.annotate {
		return
	}
	line := strings.TrimPrefix(report.SummaryLine(rep), string(rep.Verdict)+": ")
	c.p.Annotate(verdictLevel(rep.Verdict), "deploywatch: "+string(rep.Verdict), line)
}

func findingDetail(f model.Finding) string {
	msg := f.Message
	if f.Value != "" || f.Expected != "" {
		msg += fmt.Sprintf(" (value %s, expected %s)", orDash(f.Value), orDash(f.Expected))
	}
	return msg
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func platformLevel(l report.Level) platform.Level {
	switch l {
	case report.LevelSuccess:
		return platform.LevelSuccess
	case report.LevelWarning:
		return platform.LevelWarning
	case report.LevelError:
		return platform.LevelError
	}
	return platform.LevelInfo
}
