package nab

import (
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"
)

// published is testdata/published.json: the detections of NAB's published detectors on
// the twelve series at their corpus-optimised thresholds (scripts/nab/extract-published.py).
type published map[string]map[string]struct {
	Threshold  float64             `json:"threshold"`
	Detections map[string][]string `json:"detections"`
}

// TestScoreReproducesPublishedResults scores the published detectors' own detections with
// this package and must find NAB's numbers for them on these series (the table of
// /work/shared/data/nab/README.md, rounded to 0.1): the scorer is NAB's, not an
// approximation of it.
func TestScoreReproducesPublishedResults(t *testing.T) {
	t.Parallel()
	c, err := LoadCorpus(os.DirFS("../../testdata/nab"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/published.json")
	if err != nil {
		t.Fatal(err)
	}
	var pub published
	if err := json.Unmarshal(raw, &pub); err != nil {
		t.Fatal(err)
	}
	want := map[string][3]float64{ // standard, low FP, low FN
		"numenta":           {69.4, 59.3, 72.9},
		"contextOSE":        {67.0, 62.6, 72.3},
		"ARTime":            {66.6, 55.6, 72.7},
		"earthgeckoSkyline": {54.5, 38.1, 61.4},
		"knncad":            {51.4, 42.7, 56.0},
		"randomCutForest":   {47.4, 31.8, 56.4},
		"windowedGaussian":  {36.6, 15.7, 46.1},
		"twitterADVec":      {35.6, 21.4, 43.7},
		"random":            {22.6, 10.7, 31.7},
	}
	for det, scores := range want {
		for i, p := range Profiles() {
			d, ok := pub[det][p.Name]
			if !ok {
				t.Fatalf("%s %s: not in testdata/published.json", det, p.Name)
			}
			outs := detectionsAsOutputs(c, d.Detections)
			r, err := ScoreAt(outs, p, 0.5)
			if err != nil {
				t.Fatal(err)
			}
			if got := math.Round(r.Normalized*10) / 10; got != scores[i] {
				t.Errorf("%s %s at threshold %v: score %.2f, NAB published %.1f", det, p.Name, d.Threshold, r.Normalized, scores[i])
			}
		}
	}
}

// detectionsAsOutputs turns detection timestamps into outputs scoring 1 there and 0
// elsewhere, so that threshold 0.5 reproduces the detector's own.
func detectionsAsOutputs(c *Corpus, det map[string][]string) []Output {
	var outs []Output
	for _, s := range c.Series {
		hit := map[time.Time]bool{}
		for _, ts := range det[s.Name] {
			tm, err := ParseTime(ts)
			if err != nil {
				panic(err)
			}
			hit[tm] = true
		}
		o := Output{Name: s.Name, Windows: c.Windows[s.Name]}
		for _, p := range s.Points {
			o.Times = append(o.Times, p.Time)
			o.Scores = append(o.Scores, map[bool]float64{true: 1}[hit[p.Time]])
		}
		outs = append(outs, o)
	}
	return outs
}
