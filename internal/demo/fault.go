package demo

import (
	"fmt"
	"math"
	"strings"
)

// Fault is a way the demo service misbehaves. The zero value is not a fault; use FaultNone.
type Fault string

// Faults the service can inject.
const (
	// FaultNone is a healthy service.
	FaultNone Fault = "none"
	// FaultReadiness makes the database dependency fail: /health/ready answers 503 with
	// checks.database = "error: connection pool exhausted", and half the orders requests fail.
	FaultReadiness Fault = "readiness"
	// FaultDependency degrades redis while the service stays ready: /health/ready answers 200
	// with checks.redis = "error: timeout", a warning-level signal.
	FaultDependency Fault = "dependency"
	// FaultVersion means the deploy did not take: /health/info and /api/v1/status keep
	// reporting the release that served before the last Deploy.
	FaultVersion Fault = "version"
	// FaultSmoke breaks the smoke-tested features: /api/v1/status answers 200 with status
	// "degraded" and POST /auth/health answers 500.
	FaultSmoke Fault = "smoke"
	// FaultCrash kills the process: the listener and every open connection are closed, so
	// new connections are refused.
	FaultCrash Fault = "crash"
	// FaultHang makes every endpoint stop answering until the request is abandoned, the
	// fault changes, or the service stops.
	FaultHang Fault = "hang"
	// FaultBadInfo makes /health/info answer 200 with a truncated HTML error page instead
	// of JSON.
	FaultBadInfo Fault = "bad-info"
	// FaultSlow adds about 1.5s to every response, a latency regression.
	FaultSlow Fault = "slow"
	// FaultErrors makes the orders API (GET and POST /api/v1/orders) answer 500 for a share
	// of requests (8% unless SetErrorRate says otherwise) while every health endpoint and
	// /api/v1/status stay healthy: a regression only the error-rate metric shows.
	FaultErrors Fault = "errors"
	// FaultLatency makes the API routes (/api/v1/status and /api/v1/orders) answer 3 times
	// slower (see SetLatencyFactor) while the health endpoints keep their speed: a
	// regression only the latency metric shows.
	FaultLatency Fault = "latency"
)

// Defaults of the tunable faults.
const (
	defaultErrorRate     = 0.08
	defaultLatencyFactor = 3
	maxLatencyFactor     = 100 // keeps a factor from turning into an endless wait
)

// Faults lists every fault, FaultNone first.
func Faults() []Fault {
	return []Fault{FaultNone, FaultReadiness, FaultDependency, FaultVersion, FaultSmoke,
		FaultCrash, FaultHang, FaultBadInfo, FaultSlow, FaultErrors, FaultLatency}
}

// ParseFault reads a fault name, case-insensitively; the error lists the valid names.
func ParseFault(s string) (Fault, error) {
	want := strings.ToLower(strings.TrimSpace(s))
	names := make([]string, 0, len(Faults()))
	for _, f := range Faults() {
		if string(f) == want {
			return f, nil
		}
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown fault %q; valid: %s", s, strings.Join(names, ", "))
}

// SetErrorRate sets the share of orders requests that fail under FaultErrors, from 0 to 1
// (default 0.08); values outside are clamped and NaN counts as 0. The healthy background
// error rate applies on top. Which requests fail follows the service's random source.
func (s *Service) SetErrorRate(r float64) {
	if math.IsNaN(r) {
		r = 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errorRate = min(max(r, 0), 1)
}

// SetLatencyFactor sets how many times slower the API routes answer under FaultLatency
// (default 3). Values below 1 (and NaN) count as 1, above 100 as 100.
func (s *Service) SetLatencyFactor(f float64) {
	if math.IsNaN(f) {
		f = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latencyFactor = min(max(f, 1), maxLatencyFactor)
}
