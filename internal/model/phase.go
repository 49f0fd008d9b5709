package model

// Phase is a stage of the monitoring lifecycle.
type Phase string

// Phases in lifecycle order.
const (
	PhaseStart    Phase = "start"
	PhaseRollout  Phase = "rollout"
	PhaseWarmup   Phase = "warmup"
	PhaseVerify   Phase = "verify"
	PhaseMonitor  Phase = "monitor"
	PhaseCooldown Phase = "cooldown"
	PhaseVerdict  Phase = "verdict"
)

// Title is the phase's human name, used for log groups.
func (p Phase) Title() string {
	switch p {
	case PhaseStart:
		return "Start"
	case PhaseRollout:
		return "Rollout"
	case PhaseWarmup:
		return "Warm-up"
	case PhaseVerify:
		return "Verify"
	case PhaseMonitor:
		return "Monitor"
	case PhaseCooldown:
		return "Cool-down"
	case PhaseVerdict:
		return "Verdict"
	}
	return string(p)
}

// Verdict is the outcome of a run.
type Verdict string

// Verdicts, from best to worst for ranking; cancelled stands apart.
const (
	VerdictHealthy      Verdict = "healthy"
	VerdictDegraded     Verdict = "degraded"
	VerdictInconclusive Verdict = "inconclusive"
	VerdictFailed       Verdict = "failed"
	VerdictCancelled    Verdict = "cancelled"
)

// Verdicts lists every verdict.
func Verdicts() []Verdict {
	return []Verdict{VerdictHealthy, VerdictDegraded, VerdictFailed, VerdictInconclusive, VerdictCancelled}
}
