package check

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/deploywatch/deploywatch/internal/model"
)

// statusCheck is a readiness or liveness probe: a GET whose status code decides.
type statusCheck struct {
	base
	// readiness adds the dependency map: a ready service with a failing dependency is
	// degraded (a warning).
	readiness bool
}

// NewReadiness returns a check that GETs url and expects a 2xx status. A JSON body with a
// dependency map ("checks" or "components") is reported per dependency in Parts; a 2xx
// answer with a failing dependency is a warning.
func NewReadiness(spec model.CheckSpec, url string, h HTTPConfig) Check {
	return &statusCheck{base: newBase(spec, http.MethodGet, url, "", nil, h), readiness: true}
}

// NewLiveness returns a check that GETs url and expects a 2xx status.
func NewLiveness(spec model.CheckSpec, url string, h HTTPConfig) Check {
	return &statusCheck{base: newBase(spec, http.MethodGet, url, "", nil, h)}
}

// Run probes once.
func (c *statusCheck) Run(ctx context.Context) (m model.Measurement) {
	m = c.start()
	defer c.finish(&m)
	m.Expected = "2xx"
	resp, latency, fail := c.p.do(ctx, c.req)
	m.Latency = latency
	if fail != nil {
		c.applyFailure(&m, *fail)
		return m
	}
	m.Value = strconv.Itoa(resp.status)
	// Only a complete body is read for dependencies; past MaxBody the status decides.
	var parts []model.Part
	if !resp.oversize {
		parts = dependencies(resp.body)
	}
	bad := failingParts(parts)
	if !is2xx(resp.status) {
		m.Breach = true
		m.Parts = parts
		m.Message = fmt.Sprintf("%s returned %s (expected 2xx)", c.shown, statusText(resp.status))
		if len(bad) > 0 {
			m.Message += "; failing: " + describeFailing(bad)
		}
		return m
	}
	if !c.readiness {
		m.Message = fmt.Sprintf("live: %s returned %s", c.shown, statusText(resp.status))
		return m
	}
	m.Parts = parts
	if len(bad) > 0 {
		m.Breach = true
		m.Severity = model.SeverityWarning
		// The status is fine; the failing dependencies are what the finding is about.
		m.Value, m.Expected = failingNames(bad)+" failing", "every dependency ok"
		m.Message = fmt.Sprintf("ready (%d), but %s", resp.status, describeDegraded(bad))
		return m
	}
	m.Message = fmt.Sprintf("ready: %s returned %s", c.shown, statusText(resp.status))
	if len(parts) > 0 {
		m.Message += fmt.Sprintf("; %d %s ok", len(parts), plural(len(parts), "dependency", "dependencies"))
	}
	return m
}
