package githubapi

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// The GitHub sinks share one token, so a token without write permissions (a restricted
// GITHUB_TOKEN, a pull request from a fork) would cost a warning per sink, each saying
// half of it. Instead each refused sink goes quiet (Guard) and the client keeps what was
// refused; the run gets one warning naming it all (PermissionReport).

// Refusal is an operation GitHub refused for a missing permission.
type Refusal struct {
	// Op is what was attempted: "create deployment".
	Op string
	// Need is the permission it needs, "deployments: write"; empty when unknown.
	Need string
}

// Guard runs one Send of the sink called name. A sink GitHub refused for a missing
// permission is off from then on, without calls and without a warning of its own: the
// refusal is kept for PermissionReport. Other errors are returned with whether to retry.
func (c *Client) Guard(name string, send func() error) (retry bool, err error) {
	c.mu.Lock()
	off := c.off[name]
	c.mu.Unlock()
	if off {
		return false, nil
	}
	err = send()
	var pe *PermissionError
	if !errors.As(err, &pe) {
		return sink.Retryable(err), err
	}
	op := name
	if se := (*sink.Error)(nil); errors.As(err, &se) && se.Op != "" {
		op = se.Op
	}
	c.refuse(name, Refusal{Op: op, Need: pe.Need})
	return false, nil
}

func (c *Client) refuse(name string, r Refusal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off == nil {
		c.off = map[string]bool{}
	}
	c.off[name] = true
	if !slices.Contains(c.refused, r) {
		c.refused = append(c.refused, r)
	}
}

// Refused lists what GitHub refused so far for a missing permission, in order.
func (c *Client) Refused() []Refusal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.refused)
}

// PermissionReport is a sink that does nothing with events and, when the dispatcher
// closes it, returns the run's one warning about missing permissions, if GitHub refused
// anything. Register it with the GitHub sinks that share c.
func (c *Client) PermissionReport() sink.Sink { return permissionReport{c: c} }

type permissionReport struct{ c *Client }

var (
	_ sink.Sink   = permissionReport{}
	_ sink.Closer = permissionReport{}
)

func (permissionReport) Name() string { return "github permissions" }

func (permissionReport) Send(context.Context, sink.Event) (bool, error) { return false, nil }

// Close returns the warning: what was refused, what to grant.
func (p permissionReport) Close() error {
	refused := p.c.Refused()
	if len(refused) == 0 {
		return nil
	}
	return errors.New(RefusalWarning(refused))
}

// RefusalWarning is the one line that says what GitHub refused and the permissions: block
// that allows it, e.g. "GitHub refused to create deployment (deployments: write) and
// create pull request comment (pull-requests: write), so these are turned off for the
// rest of this run; add deployments: write, pull-requests: write to the job's
// permissions: block; …".
func RefusalWarning(refused []Refusal) string {
	var what, needs []string
	for _, r := range refused {
		w := r.Op
		if r.Need != "" {
			w += " (" + r.Need + ")"
			if !slices.Contains(needs, r.Need) {
				needs = append(needs, r.Need)
			}
		}
		what = append(what, w)
	}
	line := "GitHub refused to " + joinAnd(what) + " for want of a permission, so "
	if len(what) == 1 {
		line += "it is"
	} else {
		line += "these are"
	}
	line += " turned off for the rest of this run"
	if len(needs) > 0 {
		line += "; add " + strings.Join(needs, ", ") + " to the job's permissions: block"
	}
	return line + "; a pull request from a fork only ever gets a read-only token"
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
