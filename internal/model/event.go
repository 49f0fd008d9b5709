package model

import "time"

// EventKind names a lifecycle event.
type EventKind string

// Event kinds. Measured events are for live logs only; sinks may ignore them.
const (
	EventStarted    EventKind = "started"
	EventPhase      EventKind = "phase"
	EventMeasured   EventKind = "measured"
	EventFinding    EventKind = "finding"
	EventCleared    EventKind = "cleared"
	EventCheckpoint EventKind = "checkpoint"
	EventFinished   EventKind = "finished"
)

// Event is published to reporters while a run is under way. Status is a snapshot of the
// whole run at that moment, so a reporter can render it without keeping state.
type Event struct {
	Kind  EventKind `json:"kind"`
	At    time.Time `json:"at"`
	Phase Phase     `json:"phase"`
	// Checkpoint is the schedule offset for checkpoint events.
	Checkpoint  time.Duration `json:"checkpoint,omitempty"`
	Measurement *Measurement  `json:"measurement,omitempty"`
	Finding     *Finding      `json:"finding,omitempty"`
	Status      Status        `json:"status"`
	// Text is the event's line in the run's timeline (empty for measurements).
	Text string `json:"text,omitempty"`
}

// Status is a snapshot of a run.
type Status struct {
	StartedAt time.Time     `json:"started_at"`
	Elapsed   time.Duration `json:"elapsed"`
	Phase     Phase         `json:"phase"`
	// Verdict is provisional until the run finishes.
	Verdict  Verdict       `json:"verdict"`
	Reason   string        `json:"reason"`
	Checks   []CheckStatus `json:"checks"`
	Findings []Finding     `json:"findings"`
}

// CheckStatus aggregates the measurements of one check.
type CheckStatus struct {
	Spec     CheckSpec    `json:"spec"`
	Last     *Measurement `json:"last,omitempty"`
	Runs     int          `json:"runs"`
	Passes   int          `json:"passes"`
	Breaches int          `json:"breaches"`
	Errors   int          `json:"errors"`
	Pending  int          `json:"pending"`
	Latency  LatencyStats `json:"latency"`
	// Series holds the metric values over the run (bounded; downsampled on long runs) for
	// charts.
	Series []Point `json:"series,omitempty"`
}

// Point is one value of a metric over time.
type Point struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
}

// LatencyStats summarises probe latencies.
type LatencyStats struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
	Max   time.Duration `json:"max_ns"`
}
