// Command rulebench replays simulated deploys through deploywatch's decision rules and
// the seed's naive rule side by side, and prints recall, false alarms and detection
// delays as a Markdown table, then the targets. Time is simulated and every run is
// seeded, so it takes about a second and -seed reproduces it exactly.
//
//	go run ./cmd/rulebench                       # the table of the README
//	go run ./cmd/rulebench -seed 7 -n 500        # another draw, more runs per row
//	go run ./cmd/rulebench -healthy -n 100000    # the false-alarm rate alone
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/deploywatch/deploywatch/internal/sim"
)

// defaults is the configuration of a plain `make bench`, the one README.md quotes.
var defaults = sim.Config{Seed: 1, PerRow: 200, Compare: 200}

func main() {
	seed := flag.Uint64("seed", defaults.Seed, "seed of the simulation")
	perRow := flag.Int("n", defaults.PerRow, "scenarios per class and traffic band")
	compare := flag.Int("compare", defaults.Compare, "error ×20 scenarios at 50 req/s for the delay comparison")
	healthy := flag.Bool("healthy", false, "run the healthy scenarios only (with a large -n: the false-alarm rate)")
	flag.Parse()
	if *perRow < 1 || *compare < 0 {
		fmt.Fprintln(os.Stderr, "rulebench: -n must be at least 1 and -compare at least 0")
		os.Exit(2)
	}
	if *healthy {
		*compare = 0
	}
	start := time.Now()
	cfg := sim.Config{Seed: *seed, PerRow: *perRow, Compare: *compare, HealthyOnly: *healthy}
	if err := report(os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "rulebench:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "rulebench: %s\n", time.Since(start).Round(time.Millisecond))
}

// report runs the benchmark and writes its description, table and targets.
func report(w io.Writer, cfg sim.Config) error {
	res := sim.Bench(cfg, sim.Deploywatch(), sim.Seed())
	if _, err := fmt.Fprintf(w, "Simulated deploys (seed %d, %d per row): a round every %s for %s after %s of baseline; "+
		"error rate %.1f%% (per-minute CV %.1f), traffic drifting up to ±%.0f%%, log-normal latency "+
		"(median %.0f ms, p99 %.0f ms) seen through Prometheus' default buckets. Delays are from the onset.\n\n",
		cfg.Seed, cfg.PerRow, sim.Interval, sim.Run, sim.Baseline, 100*sim.BaseErrorRate, sim.ErrorCV,
		100*sim.MaxDrift, 1000*sim.LatencyMedian, 1000*sim.LatencyP99); err != nil {
		return err
	}
	return sim.WriteMarkdown(w, res)
}
