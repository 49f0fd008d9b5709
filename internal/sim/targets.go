package sim

import (
	"fmt"
	"strings"
	"time"
)

// Target is one goal of the benchmark and whether a result meets it.
type Target struct {
	Name   string
	Met    bool
	Detail string
	// Unreachable marks a target no rule can meet on these scenarios; it is printed, with
	// its numbers, and not asserted.
	Unreachable bool
}

// Claim is a class of regressions deploywatch claims to catch: at least MinRecall of
// those at MinRPS or more that last MinExposure or more. A regression that starts in the
// last moments of a run has too few requests for any test at the false-alarm bound;
// below MinRPS a 10-minute run cannot gather enough evidence; and the error rate of a
// regressed service is as noisy as a healthy one's, so a nominal ×5 spends some minutes
// near the limit (see docs/decision-rules.md).
type Claim struct {
	Class       Class
	MinRPS      float64
	MinExposure time.Duration
	MinRecall   float64
}

// Claimed are the claims the benchmark checks.
var Claimed = []Claim{{Errors20, 10, 3 * time.Minute, 0.99}, {Errors5, 100, 5 * time.Minute, 0.99}}

// Check evaluates the benchmark's targets on deploywatch's rows: no false alarm on a
// healthy deploy, every claimed regression detected, and a median delay at least 3
// times shorter than the seed's rule at CompareRPS.
func Check(res Result) []Target {
	dw := Deploywatch().Name
	var healthyFA, healthyRuns, earlyFA, regressions int
	for _, r := range append(append([]Row(nil), res.Rows...), res.Compare...) {
		switch {
		case r.RuleSet != dw:
		case r.Class.Regression():
			earlyFA += r.FalseAlarms
			regressions += r.Scenarios
		default:
			healthyFA += r.FalseAlarms
			healthyRuns += r.Scenarios
		}
	}
	ts := []Target{{Name: "no false alarm on a healthy deploy", Met: healthyFA == 0,
		Detail: fmt.Sprintf("%d in %d healthy runs; %d before the onset in %d regression runs", healthyFA, healthyRuns, earlyFA, regressions)}}
	if t, ok := literal(res); ok {
		ts = append(ts, t)
	}
	for _, c := range Claimed {
		var detected, of int
		var details []string
		for _, r := range res.Rows {
			if r.RuleSet != dw || r.Class != c.Class || r.Band.Lo < c.MinRPS {
				continue
			}
			d, n := r.Recall(c.MinExposure)
			detected, of = detected+d, of+n
			details = append(details, fmt.Sprintf("%g–%g req/s: %d of %d", r.Band.Lo, r.Band.Hi, d, n))
		}
		if of == 0 {
			continue
		}
		met := float64(detected) >= c.MinRecall*float64(of)
		ts = append(ts, Target{Name: fmt.Sprintf("%s regressions at %g req/s or more lasting %s or more: %.0f%% detected",
			c.Class.Name, c.MinRPS, minutes(c.MinExposure), 100*c.MinRecall), Met: met, Detail: strings.Join(details, "; ")})
	}
	if len(res.Compare) == 0 || res.Compare[0].Scenarios == 0 {
		return ts
	}
	ratio := res.Ratio()
	ts = append(ts, Target{Name: fmt.Sprintf("median delay at least 3x shorter than the seed's at %d req/s", CompareRPS),
		Met: ratio >= 3, Detail: fmt.Sprintf("%.1fx", ratio)})
	return ts
}

// literal is the target taken word for word: every error regression of ×5 or more
// detected, at any traffic and whatever its onset. It is not met and cannot be: a
// regression that starts in the last seconds of a run, or a ×5 at 1 req/s (600 requests
// in the whole run), leaves too few errors for any test at the false-alarm bound. It is
// printed so the table never hides it; the claims above it are what deploywatch meets.
func literal(res Result) (Target, bool) {
	var detected, of int
	var details []string
	for _, r := range res.Rows {
		if r.RuleSet != Deploywatch().Name || r.Class.Errors < 5 {
			continue
		}
		detected, of = detected+r.Detected, of+r.Scenarios
		details = append(details, fmt.Sprintf("%s at %g–%g req/s: %d of %d", r.Class.Name, r.Band.Lo, r.Band.Hi, r.Detected, r.Scenarios))
	}
	return Target{Name: "every error regression of ×5 or more detected, at any traffic and any onset (the issue's target word for word; see the claims below)",
		Met: detected == of, Detail: strings.Join(details, "; "), Unreachable: true}, of > 0
}

// Unclaimed describes what happens to the error regressions outside the claims, where a
// run cannot gather enough evidence: how many were detected, how many ended inconclusive,
// and how many passed, with the most errors any of those had after its onset.
func Unclaimed(res Result) []string {
	var out []string
	for _, r := range res.Rows {
		if r.RuleSet != Deploywatch().Name || !(r.Class == Errors5 || r.Class == Errors20) || claimed(r) {
			continue
		}
		line := fmt.Sprintf("%s at %g–%g req/s: %s detected, %s inconclusive, %s passed", r.Class.Name,
			r.Band.Lo, r.Band.Hi, fraction(r.Detected, r.Scenarios), fraction(r.Inconclusive, r.Scenarios),
			fraction(r.Passed, r.Scenarios))
		if r.Passed > 0 {
			line += fmt.Sprintf(" (with at most %.0f errors after the onset)", r.MostErrorsPassed)
		}
		out = append(out, line)
	}
	return out
}

func claimed(r Row) bool {
	for _, c := range Claimed {
		if r.Class == c.Class && r.Band.Lo >= c.MinRPS {
			return true
		}
	}
	return false
}

func minutes(d time.Duration) string {
	return fmt.Sprintf("%g min", d.Minutes())
}
