package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/nab"
)

// The benchmark runs, and the detector keeps its score: NAB standard above 70 on the
// twelve series with one configuration (the best published detector scores 69.4).
func TestBenchmark(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(&out, "../../testdata/nab", "", 4, 1); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deploywatch", "Numenta HTM", "69.4", "level shift +8σ", "false alarms"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	_, outs, err := scoreCorpus("../../testdata/nab", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{nab.Standard.Name: 70, nab.LowFP.Name: 59.3, nab.LowFN.Name: 72.9}
	for _, p := range nab.Profiles() {
		r, err := nab.Sweep(outs, p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Normalized <= want[p.Name] {
			t.Errorf("NAB %s score %.1f, want above %.1f", p.Name, r.Normalized, want[p.Name])
		}
	}
}

// Scores read back from `deploywatch detect` files are scored the same as in-process.
func TestBenchmarkReadsDetectOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, inProcess, err := scoreCorpus("../../testdata/nab", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range c.Series {
		var b strings.Builder
		b.WriteString("timestamp,value,anomaly_score\n")
		for j, p := range s.Points {
			b.WriteString(p.Time.Format("2006-01-02 15:04:05") + ",0," + strconv.FormatFloat(inProcess[i].Scores[j], 'f', -1, 64) + "\n")
		}
		if err := os.WriteFile(dir+"/"+s.Name[strings.LastIndex(s.Name, "/")+1:], []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, fromFiles, err := scoreCorpus("../../testdata/nab", dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := nab.Sweep(inProcess, nab.Standard)
	b, _ := nab.Sweep(fromFiles, nab.Standard)
	if a.Normalized != b.Normalized {
		t.Errorf("from files %.3f, in process %.3f", b.Normalized, a.Normalized)
	}
}
