package check

import (
	"context"
	"fmt"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// RolloutCheck reports where a workload's rollout stands, as kubectl rollout status would.
// It reads the follower's latest status, so a run costs no API call: the follower's watch
// keeps the status current.
type RolloutCheck struct {
	spec model.CheckSpec
	f    *kube.Follower
}

// NewRollout returns the check of the rollout f follows.
func NewRollout(spec model.CheckSpec, f *kube.Follower) *RolloutCheck {
	return &RolloutCheck{spec: spec, f: f}
}

// Spec describes the check.
func (c *RolloutCheck) Spec() model.CheckSpec { return c.spec }

// Done is closed when the rollout is done or failed, or the follower failed for good.
func (c *RolloutCheck) Done() <-chan struct{} { return c.f.Done() }

// Changed receives after every change of the rollout's status.
func (c *RolloutCheck) Changed() <-chan struct{} { return c.f.Changed() }

// Run reports the latest status: pending while the rollout progresses, a pass once it is
// done, a critical breach once it exceeded its progress deadline, and a probe error when
// the workload can no longer be followed (it was deleted).
func (c *RolloutCheck) Run(context.Context) model.Measurement {
	m := model.Measurement{Check: c.spec.Name}
	if err := c.f.Err(); err != nil {
		m.ProbeError = oneLine(err.Error())
		m.Message = m.ProbeError
		return m
	}
	st := c.f.Status()
	m.Message = oneLine(st.Message)
	switch {
	case st.Failed:
		m.Breach = true
		m.Severity = model.SeverityCritical
		m.Signal = model.SignalPods
		m.Value = fmt.Sprintf("%d/%d updated, %d available", st.Updated, st.Desired, st.Available)
		m.Expected = "progress within the progress deadline"
	case st.Done:
		m.Value = fmt.Sprintf("%d/%d", st.Updated, st.Desired)
	default:
		// Still rolling out: nothing to judge yet.
		m.Insufficient = true
		m.Value = fmt.Sprintf("%d/%d updated", st.Updated, st.Desired)
	}
	return m
}
