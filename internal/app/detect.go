package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis/anomaly"
	"github.com/deploywatch/deploywatch/internal/nab"
)

// detectCommand scores a CSV series offline with the monitor's own anomaly detector:
// `timestamp,value` in (the NAB format), `timestamp,value,anomaly_score` out, so the
// detector's quality can be measured on labelled data (make bench-anomaly).
func detectCommand(env Env, args []string) int {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := fs.String("input", "-", "the series, a CSV file `timestamp,value` (- for standard input)")
	out := fs.String("output", "-", "where to write `timestamp,value,anomaly_score` (- for standard output)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, detectUsage)
			return ExitOK
		}
		fmt.Fprintf(env.Stderr, "deploywatch detect: %v\n%s", err, detectUsage)
		return ExitInvalid
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "deploywatch detect: unexpected argument %q; name the file with --input\n", fs.Arg(0))
		return ExitInvalid
	}
	r := env.Stdin
	if *in != "-" {
		f, err := os.Open(resolvePath(env.Dir, *in))
		if err != nil {
			fmt.Fprintf(env.Stderr, "deploywatch detect: input %q: %v\n", *in, errors.Unwrap(err))
			return ExitInvalid
		}
		defer f.Close()
		r = f
	}
	w := env.Stdout
	var file *os.File
	if *out != "-" {
		f, err := os.Create(resolvePath(env.Dir, *out))
		if err != nil {
			fmt.Fprintf(env.Stderr, "deploywatch detect: output %q: %v\n", *out, errors.Unwrap(err))
			return ExitInvalid
		}
		file, w = f, f
	}
	d := anomaly.New(anomaly.DefaultConfig())
	n, err := nab.Detect(r, w, func(t time.Time, v float64) float64 { return d.Observe(t, v).Value })
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write: %w", cerr)
		}
	}
	if err != nil {
		var le *nab.LineError
		if errors.As(err, &le) {
			fmt.Fprintf(env.Stderr, "deploywatch detect: input %q, %v\n", *in, err)
			return ExitInvalid
		}
		fmt.Fprintf(env.Stderr, "deploywatch detect: %v\n", err)
		return ExitInconclusive
	}
	if *out != "-" {
		fmt.Fprintf(env.Stderr, "deploywatch detect: scored %d points into %s\n", n, *out)
	}
	return ExitOK
}

const detectUsage = `Usage: deploywatch detect [--input series.csv] [--output scores.csv]

Scores every point of a series with the anomaly detector the monitor uses. The input is
CSV with a header: timestamp,value (timestamps as 2014-02-14 14:30:00, RFC 3339 or Unix
seconds, in time order). The output adds anomaly_score in [0, 1]; a score of at least
0.5 is an anomaly.
`
