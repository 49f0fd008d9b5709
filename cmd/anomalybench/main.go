// Command anomalybench measures deploywatch's anomaly detector on real labelled metrics:
// the twelve AWS CloudWatch series of the Numenta Anomaly Benchmark, scored with NAB's
// rules (internal/nab) and printed next to the published detectors, then a deploy-shaped
// variant (the same series as background, a level shift or ramp injected at a random
// "deploy" in half of the runs) reporting recall, false alarms and delay.
//
// `make bench-anomaly` runs `deploywatch detect` over every series into a results folder
// and then this command with -results; without -results it scores in-process with the
// same detector.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	data := flag.String("data", "testdata/nab", "the NAB corpus: label files and realAWSCloudwatch/*.csv")
	results := flag.String("results", "", "a folder of `deploywatch detect` outputs, one per series under its own name; empty: score in-process")
	runs := flag.Int("runs", 40, "deploy-shaped runs per series and shape (half of them with no injection)")
	seed := flag.Uint64("seed", 1, "seed of the deploy-shaped variant")
	flag.Parse()
	if err := run(os.Stdout, *data, *results, *runs, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "anomalybench:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, data, results string, runs int, seed uint64) error {
	c, outs, err := scoreCorpus(data, results)
	if err != nil {
		return err
	}
	if err := printNAB(w, outs); err != nil {
		return err
	}
	fmt.Fprintln(w)
	printDeploys(w, deployRuns(c, runs, seed))
	return nil
}
