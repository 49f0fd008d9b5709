package sim

import (
	"math"
	"time"
)

// Row aggregates one rule set on one class of scenarios in one band.
type Row struct {
	RuleSet string
	Class   Class
	Band    Band
	// Scenarios is the count; each ended in exactly one of the four outcomes below. A
	// false alarm is an alarm before the onset or from another signal.
	Scenarios    int
	Detected     int
	FalseAlarms  int
	Inconclusive int
	Passed       int
	// Delays are the detection delays from the onset, sorted.
	Delays []time.Duration
	// LongestMiss is the longest exposure (run end minus onset) of a regression that was
	// not detected; MostErrorsPassed the most errors after the onset of one that passed.
	LongestMiss      time.Duration
	MostErrorsPassed float64
	// exposures holds every regression's exposure, and whether it was detected.
	exposures []exposure
}

type exposure struct {
	d        time.Duration
	detected bool
}

// Recall counts the regressions that lasted at least atLeast, and how many of them were
// detected (a false alarm before the onset is not a detection).
func (r Row) Recall(atLeast time.Duration) (detected, of int) {
	for _, e := range r.exposures {
		if e.d >= atLeast {
			of++
			if e.detected {
				detected++
			}
		}
	}
	return detected, of
}

// Delay returns the q-quantile (nearest rank) of the detection delays, or -1 when none.
func (r Row) Delay(q float64) time.Duration {
	if len(r.Delays) == 0 {
		return -1
	}
	i := int(math.Ceil(q*float64(len(r.Delays)))) - 1
	return r.Delays[min(max(i, 0), len(r.Delays)-1)]
}

func (r *Row) add(s Scenario, j judged, k int) {
	o := j.outcomes[k]
	r.Scenarios++
	detected := false
	switch {
	case o.falseAlarm(s):
		r.FalseAlarms++
	case len(o.Alarms) > 0:
		detected = true
		r.Detected++
		r.Delays = append(r.Delays, o.Alarms[0].At-s.Onset)
	case o.Pending:
		r.Inconclusive++
	default:
		r.Passed++
		if s.Class.Regression() {
			r.MostErrorsPassed = max(r.MostErrorsPassed, j.errorsAfter)
		}
	}
	if !s.Class.Regression() {
		return
	}
	if !detected {
		r.LongestMiss = max(r.LongestMiss, Run-s.Onset)
	}
	r.exposures = append(r.exposures, exposure{Run - s.Onset, detected})
}

// falseAlarm reports an alarm before the onset, or from a signal the scenario does not
// change.
func (o Outcome) falseAlarm(s Scenario) bool {
	for _, a := range o.Alarms {
		if !s.Class.Regression() || a.At <= s.Onset || a.Signal != s.Class.Signal() {
			return true
		}
	}
	return false
}
