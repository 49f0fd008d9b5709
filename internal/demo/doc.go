// Package demo is a small, self-contained HTTP service that behaves like a freshly deployed
// API: it serves the health, info and smoke-test endpoints of the deploy-monitoring guide,
// answers API traffic with a realistic latency distribution, exposes Prometheus request
// metrics on /metrics (http_requests_total and http_request_duration_seconds), and can be
// told to fail in the ways real deploys fail (a dependency breaks, the deploy does not take,
// the process dies or hangs, or the API starts erring or slowing down while every health
// endpoint stays green). `deploywatch demo` runs the monitor against it, and the end-to-end
// tests use it as the real service on loopback, scraped by a real Prometheus server.
package demo
