package demo

import (
	"math"
	"time"
)

// profile is the latency of one route: log-normal around a median, with a rare slow tail
// (a GC pause, a cold cache) that shows in P99 and not in P50.
type profile struct {
	median time.Duration
	sigma  float64
}

// profiles give each route its own latency; unknown paths answer fast.
var profiles = map[route]profile{
	routeNone:        {median: 500 * time.Microsecond, sigma: 0.2},
	routeLive:        {median: time.Millisecond, sigma: 0.2},
	routeReady:       {median: 3 * time.Millisecond, sigma: 0.3},
	routeInfo:        {median: time.Millisecond, sigma: 0.2},
	routeStatus:      {median: 5 * time.Millisecond, sigma: 0.3},
	routeAuth:        {median: 8 * time.Millisecond, sigma: 0.3},
	routeListOrders:  {median: 25 * time.Millisecond, sigma: 0.3},
	routeCreateOrder: {median: 35 * time.Millisecond, sigma: 0.3},
}

// Tail and cap of the latency distribution, and what FaultSlow adds to every response.
const (
	tailChance = 0.005
	maxLatency = time.Second
	slowDelay  = 1500 * time.Millisecond
)

// isAPI reports whether the route is part of the business API, the routes FaultLatency
// slows down; health, auth and unknown paths keep their speed.
func (rt route) isAPI() bool {
	return rt == routeStatus || rt == routeListOrders || rt == routeCreateOrder
}

// delay is how long the route takes to answer under the fault in effect: the drawn
// latency, plus slowDelay under FaultSlow, times the latency factor for API routes under
// FaultLatency.
func (s *Service) delay(rt route) time.Duration {
	d := s.latency(rt)
	s.mu.Lock()
	f, factor := s.fault, s.latencyFactor
	s.mu.Unlock()
	switch {
	case f == FaultSlow:
		d += slowDelay
	case f == FaultLatency && rt.isAPI():
		d = time.Duration(float64(d) * factor)
	}
	return d
}

// latency draws how long the route takes to answer.
func (s *Service) latency(rt route) time.Duration {
	p := profiles[rt]
	s.rngMu.Lock()
	z := s.rng.NormFloat64()
	tail := s.rng.Float64() < tailChance
	stretch := 3 + 5*s.rng.Float64()
	s.rngMu.Unlock()
	d := float64(p.median) * math.Exp(p.sigma*z)
	if tail {
		d *= stretch
	}
	return min(time.Duration(d), maxLatency)
}

// chance reports true with probability p.
func (s *Service) chance(p float64) bool {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

// intn draws an int in [0, n).
func (s *Service) intn(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}
