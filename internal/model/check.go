package model

import "time"

// CheckKind names what a check looks at.
type CheckKind string

// Check kinds.
const (
	KindReadiness  CheckKind = "readiness"
	KindLiveness   CheckKind = "liveness"
	KindVersion    CheckKind = "version"
	KindSmoke      CheckKind = "smoke"
	KindErrorRate  CheckKind = "error_rate"
	KindLatency    CheckKind = "latency"
	KindThroughput CheckKind = "throughput"
	KindCPU        CheckKind = "cpu"
	KindMemory     CheckKind = "memory"
	KindQuery      CheckKind = "query"
	KindRollout    CheckKind = "rollout"
	KindPods       CheckKind = "pods"
	KindRestarts   CheckKind = "restarts"
	KindLogs       CheckKind = "logs"
	// KindHistory judges a metric against its own history; KindTrend its drift.
	KindHistory CheckKind = "history"
	KindTrend   CheckKind = "trend"
)

// Signal names the boolean output a breach sets to "true". Signals are the contract's
// output names, so they double as the keys of the outputs file.
type Signal string

// Signals of the output contract.
const (
	SignalErrorRate   Signal = "error_rate_exceeded"
	SignalLatency     Signal = "latency_exceeded"
	SignalPods        Signal = "unhealthy_pods"
	SignalRestarts    Signal = "restarts_exceeded"
	SignalResources   Signal = "resources_exceeded"
	SignalHealth      Signal = "health_check_failed"
	SignalSmoke       Signal = "smoke_tests_failed"
	SignalVersion     Signal = "version_mismatch"
	SignalUnspecified Signal = ""
)

// Signals lists every signal in the order of the output contract.
func Signals() []Signal {
	return []Signal{SignalErrorRate, SignalLatency, SignalPods, SignalRestarts, SignalResources,
		SignalHealth, SignalSmoke, SignalVersion}
}

// CheckSpec describes one configured check: what it looks at and how its breaches count.
type CheckSpec struct {
	// Name is unique within a run, e.g. "readiness" or "smoke GET /api/v1/status".
	Name string    `json:"name"`
	Kind CheckKind `json:"kind"`
	// Signal is the output set when this check's breach becomes a finding.
	Signal Signal `json:"signal"`
	// Target is what the check probes, fit to show (URLs redacted).
	Target string `json:"target"`
	// Severity of a breach unless the measurement says otherwise.
	Severity Severity `json:"severity"`
	// Persistence is how many consecutive breaches of warning or critical severity make a
	// finding.
	Persistence int `json:"persistence"`
	// EmergencyPersistence is how many consecutive emergencies (the service unreachable)
	// make a finding; 0 means 1, and it is never more than Persistence.
	EmergencyPersistence int `json:"emergency_persistence,omitempty"`
	// MaxProbeErrors is how many consecutive probe errors are tolerated; one more makes the
	// run inconclusive unless the probe recovers.
	MaxProbeErrors int `json:"max_probe_errors"`
}

// Part is one named component of a measurement, such as a dependency in a readiness
// endpoint's "checks" map.
type Part struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Reason is the machine-readable cause of a part that is not OK, when there is one
	// (a kubelet reason such as CrashLoopBackOff): signals are derived from it, never
	// from the wording of Detail.
	Reason string `json:"reason,omitempty"`
}

// Measurement is the result of running a check once. A check fills the observation; the
// analysis fills Outcome.
type Measurement struct {
	Check string    `json:"check"`
	At    time.Time `json:"at"`
	// Latency is how long the probe took (the HTTP request, the query).
	Latency time.Duration `json:"latency_ns"`
	// Breach reports the service misbehaving: a status, value or assertion outside what is
	// expected.
	Breach bool `json:"breach"`
	// Severity of this breach when it differs from the check's (e.g. an unreachable service
	// is an emergency whatever the check).
	Severity Severity `json:"severity,omitempty"`
	// Signal of this breach when it differs from the check's (unreachable → health).
	Signal Signal `json:"signal,omitempty"`
	// ProbeError is set when the monitoring itself failed to measure: an unreadable answer,
	// a backend down. It is never a breach.
	ProbeError string `json:"probe_error,omitempty"`
	// Value is what was observed, Expected what was required, Baseline the reference the
	// expectation derives from, all fit to show.
	Value    string `json:"value,omitempty"`
	Expected string `json:"expected,omitempty"`
	Baseline string `json:"baseline,omitempty"`
	// Message explains the result in one line.
	Message string `json:"message"`
	Parts   []Part `json:"parts,omitempty"`
	// Metric holds the numbers behind a metric check's measurement.
	Metric *MetricValue `json:"metric,omitempty"`
	// Insufficient reports that the check measured but cannot decide yet (too little
	// traffic for its statistical test); Message says what it would need.
	Insufficient bool `json:"insufficient,omitempty"`
	// Carry reports that the measurement repeats the check's last judgement without new
	// evidence (a latency block still filling up): it keeps the check's outcome but neither
	// extends nor breaks a streak.
	Carry   bool    `json:"carry,omitempty"`
	Outcome Outcome `json:"outcome"`
}

// MetricValue is a numeric measurement with its reference points. Values are in Unit.
type MetricValue struct {
	Unit Unit `json:"unit"`
	// Value is what was observed; HasValue is false when there was no data.
	Value    float64 `json:"value"`
	HasValue bool    `json:"has_value"`
	// Baseline is the pre-deploy reference, when there is one.
	Baseline    float64 `json:"baseline"`
	HasBaseline bool    `json:"has_baseline"`
	// Limit is the effective threshold the value was judged against (a relative threshold
	// already multiplied by the baseline); Op is how: ">" means above Limit is a breach.
	Limit float64 `json:"limit"`
	Op    string  `json:"op"`
	// Requests and Errors are the counts behind an error ratio since the start (evidence).
	Requests float64 `json:"requests,omitempty"`
	Errors   float64 `json:"errors,omitempty"`
	// Query is the PromQL (or scrape target) the value came from, fit to show.
	Query string `json:"query,omitempty"`
}

// Unit is the unit of a metric value.
type Unit string

// Units.
const (
	UnitRatio   Unit = "ratio"   // 0.01 = 1%
	UnitSeconds Unit = "seconds" // latency
	UnitPerSec  Unit = "per_second"
	UnitNone    Unit = ""
)

// Outcome classifies a measurement.
type Outcome string

// Outcomes: pass, a breach below fail_on (warn), a breach at or above it (fail), a probe
// error (the monitoring failed, not the service), or pending (too little evidence yet).
const (
	OutcomePass  Outcome = "pass"
	OutcomeWarn  Outcome = "warn"
	OutcomeFail  Outcome = "fail"
	OutcomeError Outcome = "error"
	// OutcomePending: measured, but not enough evidence to decide yet.
	OutcomePending Outcome = "pending"
)

// EffectiveSeverity is the severity a breach of m counts with under spec.
func (m Measurement) EffectiveSeverity(spec CheckSpec) Severity {
	if m.Severity != SeverityNone {
		return m.Severity
	}
	return spec.Severity
}

// EffectiveSignal is the output a breach of m sets under spec.
func (m Measurement) EffectiveSignal(spec CheckSpec) Signal {
	if m.Signal != SignalUnspecified {
		return m.Signal
	}
	return spec.Signal
}
