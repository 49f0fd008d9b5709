package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// The product's default schedule: a round every Interval for Run (5 minutes of
// checkpoints and 5 of cool-down), with Baseline of pre-deploy traffic before it.
const (
	Interval = 10 * time.Second
	Run      = 10 * time.Minute
	Baseline = 30 * time.Minute
)

// The healthy service.
const (
	// BaseErrorRate is the healthy error ratio.
	BaseErrorRate = 0.001
	// ErrorCV is the coefficient of variation of the per-minute error rate around its mean
	// (Gamma-distributed): real error rates are overdispersed, not binomial.
	ErrorCV = 0.3
	// MaxDrift is the largest daily-style drift of traffic over the baseline and the run.
	MaxDrift = 0.2
	// LatencyMedian and LatencyP99 define the log-normal latency of a request, seconds.
	LatencyMedian = 0.040
	LatencyP99    = 0.200
)

// Bounds are the upper bounds of Prometheus' default histogram buckets, seconds.
var Bounds = [...]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, math.Inf(1)}

// latencySigma is the log-normal σ that puts the p99 at LatencyP99 (z₀.₉₉ = 2.3263).
var latencySigma = math.Log(LatencyP99/LatencyMedian) / 2.3263478740408408

// Class is a kind of deploy: healthy, or a regression multiplying the error rate or
// every latency from its onset on.
type Class struct {
	Name    string
	Errors  float64
	Latency float64
}

// Regression reports whether the class changes the service at all.
func (c Class) Regression() bool { return c.Errors != 1 || c.Latency != 1 }

// Signal is the check that should catch the regression.
func (c Class) Signal() Signal {
	if c.Latency != 1 {
		return SignalLatency
	}
	return SignalErrors
}

// Classes of the benchmark.
var (
	Healthy  = Class{"healthy", 1, 1}
	Errors2  = Class{"error ×2", 2, 1}
	Errors5  = Class{"error ×5", 5, 1}
	Errors20 = Class{"error ×20", 20, 1}
	Latency1 = Class{"latency ×1.5", 1, 1.5}
	Latency3 = Class{"latency ×3", 1, 3}
	Classes  = []Class{Healthy, Errors2, Errors5, Errors20, Latency1, Latency3}
)

// Band is a range of traffic, requests per second, drawn log-uniformly.
type Band struct {
	Name   string
	Lo, Hi float64
}

// Bands of the benchmark: 1 to 500 requests per second in three bands.
var Bands = []Band{{"low", 1, 10}, {"medium", 10, 100}, {"high", 100, 500}}

// Scenario is one simulated deploy.
type Scenario struct {
	Class Class
	// RPS is the mean traffic, requests per second.
	RPS float64
	// Drift is the relative change of traffic from the start of the baseline to the end
	// of the run, in [-MaxDrift, MaxDrift].
	Drift float64
	// Onset is when the regression starts, after the deploy (0 for a healthy deploy).
	Onset time.Duration
}

// Window is the traffic of one interval. Start is relative to the deploy: baseline
// windows start before zero.
type Window struct {
	Start    time.Duration
	Requests float64
	Errors   float64
	// Buckets counts the requests per latency bucket of Bounds (not cumulative).
	Buckets [len(Bounds)]float64
}

// Generate simulates the windows of a scenario, baseline first.
func Generate(s Scenario, r *rand.Rand) []Window {
	n := int((Baseline + Run) / Interval)
	windows := make([]Window, 0, n)
	healthy, regressed := bucketProbs(1), bucketProbs(s.Class.Latency)
	var overdispersion float64
	for i := range n {
		start := -Baseline + time.Duration(i)*Interval
		if i%int(time.Minute/Interval) == 0 {
			overdispersion = gammaMean1(r, ErrorCV)
		}
		w := Window{Start: start}
		end := start + Interval
		// Traffic drifts linearly from the start of the baseline to the end of the run.
		u := float64(start+Interval/2+Baseline) / float64(Baseline+Run)
		rps := s.RPS * (1 + s.Drift*u)
		// A window that holds the onset is simulated in two parts.
		for _, part := range [][2]time.Duration{{start, min(end, max(start, s.Onset))}, {max(start, s.Onset), end}} {
			bad := s.Class.Regression() && part[0] >= s.Onset
			secs := (part[1] - part[0]).Seconds()
			if secs <= 0 {
				continue
			}
			probs, rate := &healthy, BaseErrorRate*overdispersion
			if bad {
				probs, rate = &regressed, rate*s.Class.Errors
			}
			var n float64
			for b, p := range probs {
				c := poisson(r, rps*secs*p)
				w.Buckets[b] += c
				n += c
			}
			w.Requests += n
			w.Errors += binomial(r, n, min(rate, 1))
		}
		windows = append(windows, w)
	}
	return windows
}

// bucketProbs returns the probability of each bucket for latencies scaled by factor.
func bucketProbs(factor float64) [len(Bounds)]float64 {
	var probs [len(Bounds)]float64
	prev := 0.0
	for i, b := range Bounds {
		cdf := 1.0
		if !math.IsInf(b, 1) {
			z := (math.Log(b) - math.Log(LatencyMedian*factor)) / latencySigma
			cdf = 0.5 * math.Erfc(-z/math.Sqrt2)
		}
		probs[i] = cdf - prev
		prev = cdf
	}
	return probs
}
