package model

import "time"

// FindingType distinguishes a misbehaving service from a failing probe.
type FindingType string

// Finding types.
const (
	FindingBreach     FindingType = "breach"
	FindingProbeError FindingType = "probe_error"
)

// Finding is a breach (or run of probe errors) that persisted long enough to count. It
// explains itself: value, expectation, baseline, and when it was seen.
type Finding struct {
	Check  string      `json:"check"`
	Kind   CheckKind   `json:"kind"`
	Signal Signal      `json:"signal,omitempty"`
	Type   FindingType `json:"type"`
	// Severity is the level the finding was confirmed at (probe errors carry none).
	Severity Severity `json:"severity"`
	// Fatal reports that the finding fails the run: at or above fail_on and outside the
	// warm-up grace (emergencies are fatal in warm-up too).
	Fatal bool `json:"fatal"`
	// Active is false once the check passed again.
	Active   bool   `json:"active"`
	Message  string `json:"message"`
	Value    string `json:"value,omitempty"`
	Expected string `json:"expected,omitempty"`
	Baseline string `json:"baseline,omitempty"`
	Parts    []Part `json:"parts,omitempty"`
	// Phase is the phase the finding was confirmed in.
	Phase Phase `json:"phase"`
	// Onset is the first measurement of the streak, ConfirmedAt the one that made it count.
	Onset       time.Time `json:"onset"`
	ConfirmedAt time.Time `json:"confirmed_at"`
	LastSeen    time.Time `json:"last_seen"`
	ClearedAt   time.Time `json:"cleared_at,omitzero"`
	// Count is the number of consecutive measurements in the streak so far.
	Count int `json:"count"`
}
