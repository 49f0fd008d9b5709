// Package sim is the simulation benchmark of the decision rules: it replays deploys in
// simulated time (no sleeping, seeded math/rand/v2 streams, one per scenario so results
// do not depend on scheduling) through deploywatch's rules and the seed's naive rule, and
// measures recall, false alarms, inconclusive runs and detection delays.
//
// A scenario is the product's default schedule (a round every 10 s for 10 minutes) after
// 30 minutes of pre-deploy baseline, for a service at 1 to 500 requests per second with
// a 0.1% error rate that varies from minute to minute (Gamma, CV 0.3), traffic drifting
// by up to ±20% and log-normal latency observed through Prometheus' default histogram
// buckets. Regressions multiply the error rate (×2, ×5, ×20) or every latency (×1.5, ×3)
// from a uniformly random moment of the run. cmd/rulebench prints the results; the tests
// assert the targets on a fixed seed.
package sim
