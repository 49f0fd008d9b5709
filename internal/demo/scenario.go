package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Scenario is a scripted deploy for the demo: a fault that starts some time after the new
// release is deployed, and the verdict the monitor should reach.
type Scenario struct {
	// Name selects the scenario, e.g. on the command line.
	Name string
	// Title is one line for the demo's banner.
	Title string
	// Fault is injected Onset after Deploy.
	Fault Fault
	// Onset is the delay from Deploy to the fault; zero means at once.
	Onset time.Duration
	// Expect is the verdict the monitor should reach: "healthy", "degraded", "failed" or
	// "inconclusive".
	Expect string
	// Metrics is true when only metric checks can see the fault: the demo must then scrape
	// the service's /metrics, because every health endpoint stays green.
	Metrics bool
}

// defaultScenario names the scenario the demo runs when none is chosen: a readiness
// failure shortly after the deploy shows detection in seconds.
const defaultScenario = "readiness"

// Scenarios lists the demo scenarios, the default ("readiness") first. FaultSlow has no
// scenario: the HTTP checks only see slower probes, so its verdict would be a healthy run
// that looks like a miss; the "latency" scenario shows a slowdown through the metrics.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: defaultScenario, Title: "database pool exhausted 6s after the deploy",
			Fault: FaultReadiness, Onset: 6 * time.Second, Expect: string(model.VerdictFailed)},
		{Name: "healthy", Title: "a clean deploy: every check keeps passing",
			Fault: FaultNone, Expect: string(model.VerdictHealthy)},
		{Name: "dependency", Title: "redis starts timing out 5s after the deploy; the service stays ready",
			Fault: FaultDependency, Onset: 5 * time.Second, Expect: string(model.VerdictDegraded)},
		{Name: "version", Title: "the deploy never takes: the old commit keeps serving",
			Fault: FaultVersion, Expect: string(model.VerdictFailed)},
		{Name: "smoke", Title: "status turns degraded and auth answers 500 4s after the deploy",
			Fault: FaultSmoke, Onset: 4 * time.Second, Expect: string(model.VerdictFailed)},
		{Name: "crash", Title: "the process dies 8s after the deploy; connections are refused",
			Fault: FaultCrash, Onset: 8 * time.Second, Expect: string(model.VerdictFailed)},
		{Name: "hang", Title: "every endpoint stops answering 8s after the deploy",
			Fault: FaultHang, Onset: 8 * time.Second, Expect: string(model.VerdictFailed)},
		{Name: "bad-info", Title: "the info endpoint serves a truncated HTML page 3s after the deploy",
			Fault: FaultBadInfo, Onset: 3 * time.Second, Expect: string(model.VerdictInconclusive)},
		{Name: "error-spike", Title: "8% of API requests start failing 5s after the deploy; health endpoints stay green",
			Fault: FaultErrors, Onset: 5 * time.Second, Expect: string(model.VerdictFailed), Metrics: true},
		// A latency regression is a warning, so the run ends degraded, not failed.
		{Name: "latency", Title: "API responses turn 3x slower 5s after the deploy",
			Fault: FaultLatency, Onset: 5 * time.Second, Expect: string(model.VerdictDegraded), Metrics: true},
	}
}

// DefaultScenario is the scenario the demo runs when none is chosen ("readiness").
func DefaultScenario() Scenario {
	s, err := LookupScenario(defaultScenario)
	if err != nil {
		panic(err) // the default is always in the list; see TestDefaultScenario
	}
	return s
}

// LookupScenario finds a scenario by name, case-insensitively; the error lists the valid
// names.
func LookupScenario(name string) (Scenario, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	var names []string
	for _, s := range Scenarios() {
		if s.Name == want {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q; valid: %s", name, strings.Join(names, ", "))
}
