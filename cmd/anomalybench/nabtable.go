package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis/anomaly"
	"github.com/deploywatch/deploywatch/internal/nab"
)

// scoreCorpus loads the corpus and the detector's scores of every series: read from the
// `deploywatch detect` outputs in results, or computed here with the same detector.
func scoreCorpus(data, results string) (*nab.Corpus, []nab.Output, error) {
	c, err := nab.LoadCorpus(os.DirFS(data))
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", data, err)
	}
	var outs []nab.Output
	for _, s := range c.Series {
		var src io.Reader
		if results != "" {
			f, err := os.Open(filepath.Join(results, filepath.Base(s.Name)))
			if err != nil {
				return nil, nil, fmt.Errorf("scores of %s: %w", s.Name, err)
			}
			defer f.Close()
			src = f
		} else {
			raw, err := os.ReadFile(filepath.Join(data, s.Name))
			if err != nil {
				return nil, nil, err
			}
			var buf bytes.Buffer
			d := anomaly.New(anomaly.DefaultConfig())
			if _, err := nab.Detect(bytes.NewReader(raw), &buf, func(t time.Time, v float64) float64 { return d.Observe(t, v).Value }); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", s.Name, err)
			}
			src = &buf
		}
		ts, sc, err := nab.ReadScores(src)
		if err != nil {
			return nil, nil, fmt.Errorf("scores of %s: %w", s.Name, err)
		}
		if len(ts) != len(s.Points) {
			return nil, nil, fmt.Errorf("scores of %s: %d rows for %d points", s.Name, len(ts), len(s.Points))
		}
		outs = append(outs, nab.Output{Name: s.Name, Times: ts, Scores: sc, Windows: c.Windows[s.Name]})
	}
	return c, outs, nil
}

// publishedScores are NAB's published detectors on these twelve series (standard, low
// FP, low FN), from the corpus README; internal/nab's tests reproduce each of them from
// the detectors' own result files.
var publishedScores = []struct {
	name   string
	scores [3]float64
}{
	{"Numenta HTM", [3]float64{69.4, 59.3, 72.9}},
	{"CAD OSE", [3]float64{67.0, 62.6, 72.3}},
	{"ARTime", [3]float64{66.6, 55.6, 72.7}},
	{"Skyline (earthgecko)", [3]float64{54.5, 38.1, 61.4}},
	{"KNN CAD", [3]float64{51.4, 42.7, 56.0}},
	{"Random Cut Forest", [3]float64{47.4, 31.8, 56.4}},
	{"Windowed Gaussian", [3]float64{36.6, 15.7, 46.1}},
	{"Twitter ADVec", [3]float64{35.6, 21.4, 43.7}},
	{"Random", [3]float64{22.6, 10.7, 31.7}},
}

// printNAB sweeps the corpus-wide threshold for each profile and prints the scores next to
// the published detectors, then the score at the monitor's own threshold and per series.
func printNAB(w io.Writer, outs []nab.Output) error {
	var ours [3]nab.Result
	for i, p := range nab.Profiles() {
		r, err := nab.Sweep(outs, p)
		if err != nil {
			return fmt.Errorf("sweep %s: %w", p.Name, err)
		}
		ours[i] = r
	}
	fmt.Fprintf(w, "NAB score on the %d realAWSCloudwatch series (one configuration, one corpus-wide threshold per profile)\n\n", len(outs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "detector\tstandard\tlow FP\tlow FN\t")
	fmt.Fprintf(tw, "deploywatch\t%.1f\t%.1f\t%.1f\t\n", ours[0].Normalized, ours[1].Normalized, ours[2].Normalized)
	for _, p := range publishedScores {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t\n", p.name, p.scores[0], p.scores[1], p.scores[2])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nswept thresholds: standard %.4f, low FP %.4f, low FN %.4f\n", ours[0].Threshold, ours[1].Threshold, ours[2].Threshold)
	at, err := nab.ScoreAt(outs, nab.Standard, anomaly.DefaultThreshold)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "standard score at the monitor's threshold %.2f: %.1f\n\n", anomaly.DefaultThreshold, at.Normalized)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "series (standard profile)\traw score\twindows detected\tfalse positives")
	for _, f := range ours[0].Files {
		fmt.Fprintf(tw, "%s\t%.3f\t%d of %d\t%d\n", filepath.Base(f.Name), f.Score, f.Detected, f.Windows, f.FalsePositives)
	}
	return tw.Flush()
}
