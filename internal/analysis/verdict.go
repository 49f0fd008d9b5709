package analysis

import (
	"fmt"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Decision is a verdict with the one-line reason for it.
type Decision struct {
	Verdict model.Verdict
	Reason  string
}

// Decide derives the run's verdict from its findings and check aggregates. The order is
// failed (a fatal finding), cancelled, inconclusive (a probe out of budget at the end, or a
// check that never produced evidence), degraded (findings below fail_on), healthy.
// Findings confirmed in warm-up that cleared in warm-up do not count: that is what the grace
// period is for.
func Decide(findings []model.Finding, checks []model.CheckStatus, cancelled bool) Decision {
	return decide(findings, checks, cancelled, true)
}

// Provisional is the verdict so far of a run still under way: a check that has produced no
// evidence yet is not held against it.
func Provisional(findings []model.Finding, checks []model.CheckStatus) Decision {
	return decide(findings, checks, false, false)
}

func decide(findings []model.Finding, checks []model.CheckStatus, cancelled, final bool) Decision {
	for _, f := range findings {
		if f.Fatal {
			return Decision{model.VerdictFailed, fmt.Sprintf("%s: %s", f.Check, f.Message)}
		}
	}
	if cancelled {
		return Decision{model.VerdictCancelled, "cancelled before a verdict was reached"}
	}
	var probe []string
	for _, f := range findings {
		if f.Type == model.FindingProbeError && f.Active {
			probe = append(probe, fmt.Sprintf("%s: %s", f.Check, f.Message))
		}
	}
	for _, c := range checks {
		if final && c.Last != nil && c.Last.Outcome == model.OutcomePending {
			probe = append(probe, fmt.Sprintf("%s: not enough evidence: %s", c.Spec.Name, c.Last.Message))
			continue
		}
		if final && c.Runs > 0 && c.Errors == c.Runs && !hasActiveProbeFinding(findings, c.Spec.Name) {
			probe = append(probe, fmt.Sprintf("%s: no evidence, all %d probes failed (%s)", c.Spec.Name, c.Runs, lastProbeError(c)))
		}
	}
	if len(probe) > 0 {
		return Decision{model.VerdictInconclusive, strings.Join(probe, "; ")}
	}
	var degraded []string
	for _, f := range findings {
		if f.Type == model.FindingBreach && f.Phase != model.PhaseWarmup {
			degraded = append(degraded, fmt.Sprintf("%s %s: %s", f.Severity, f.Check, f.Message))
		}
	}
	if len(degraded) > 0 {
		return Decision{model.VerdictDegraded, fmt.Sprintf("%d finding(s) below fail_on: %s", len(degraded), strings.Join(degraded, "; "))}
	}
	return Decision{model.VerdictHealthy, healthyReason(checks)}
}

func hasActiveProbeFinding(findings []model.Finding, check string) bool {
	for _, f := range findings {
		if f.Check == check && f.Type == model.FindingProbeError && f.Active {
			return true
		}
	}
	return false
}

func lastProbeError(c model.CheckStatus) string {
	if c.Last == nil {
		return "no measurement"
	}
	return c.Last.ProbeError
}

func healthyReason(checks []model.CheckStatus) string {
	runs, transient := 0, 0
	for _, c := range checks {
		runs += c.Runs
		transient += c.Breaches
	}
	reason := fmt.Sprintf("all %d checks passed (%d measurements)", len(checks), runs)
	if transient > 0 {
		reason += fmt.Sprintf("; %d transient breach(es) did not persist", transient)
	}
	return reason
}
