package demo

import (
	"fmt"
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
)

// Faults lists every fault, FaultNone first.
func Faults() []Fault {
	return []Fault{FaultNone, FaultReadiness, FaultDependency, FaultVersion, FaultSmoke,
		FaultCrash, FaultHang, FaultBadInfo, FaultSlow}
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
