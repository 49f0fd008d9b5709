// Package demo is a small, self-contained HTTP service that behaves like a freshly deployed
// API: it serves the health, info and smoke-test endpoints of the deploy-monitoring guide,
// answers API traffic with a realistic latency distribution, and can be told to fail in the
// ways real deploys fail (a dependency breaks, the deploy does not take, the process dies or
// hangs). `deploywatch demo` runs the monitor against it, and the end-to-end tests use it as
// the real service on loopback.
package demo
