// Package check holds the kinds of checks deploywatch runs against a deployed service. Each
// check probes once per call and describes what it saw as a model.Measurement; judging the
// measurement over time is the analysis package's job.
package check

import (
	"context"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Check probes one aspect of the deployed service.
type Check interface {
	// Spec describes the check; it does not change between runs.
	Spec() model.CheckSpec
	// Run probes once. It never panics and always returns a measurement: a failed probe is
	// a measurement with ProbeError set, an unhealthy service one with Breach set. Run
	// fills Check, Latency and the observation; the caller sets At and Outcome.
	Run(ctx context.Context) model.Measurement
}
