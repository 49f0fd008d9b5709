package sim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/source"
)

// small is the fixed-seed benchmark the tests assert on: deterministic, about a second.
var small = Config{Seed: 1, PerRow: 150, Compare: 100}

// TestBenchTargets asserts the benchmark's targets on a fixed seed: no false alarm in the
// healthy deploys (nor before any onset), every claimed regression detected, and a
// median delay at least 3 times shorter than the seed's rule at 50 requests/s.
func TestBenchTargets(t *testing.T) {
	t.Parallel()
	res := Bench(small, Deploywatch(), Seed())
	var literal bool
	for _, target := range Check(res) {
		if target.Unreachable {
			// The literal target: printed with its numbers, never met (late onsets
			// and ×5 at 1 req/s leave too few errors); the claims are what is asserted.
			literal = true
			if target.Met || !strings.Contains(target.Detail, "error ×5 at 1–10 req/s: ") {
				t.Errorf("%s: met %v (%s), want not met with every row counted", target.Name, target.Met, target.Detail)
			}
			continue
		}
		if !target.Met {
			t.Errorf("%s: not met (%s)", target.Name, target.Detail)
		}
	}
	if !literal {
		t.Error("the issue's literal target is not printed")
	}
	for _, r := range res.Rows {
		if r.RuleSet != Deploywatch().Name {
			continue
		}
		if r.FalseAlarms > 0 {
			t.Errorf("%s %s: %d false alarms", r.Class.Name, r.Band.Name, r.FalseAlarms)
		}
		if !claimed(r) {
			continue
		}
		for _, c := range Claimed {
			if c.Class != r.Class {
				continue
			}
			// On this seed every claimed regression is caught, not only 99% of them.
			if d, n := r.Recall(c.MinExposure); d != n || n == 0 {
				t.Errorf("%s %s lasting %s: %d of %d detected", r.Class.Name, r.Band.Name, c.MinExposure, d, n)
			}
		}
	}
	if ratio := res.Ratio(); !(ratio >= 3) {
		t.Errorf("delay ratio at %d req/s = %.1f, want at least 3", CompareRPS, ratio)
	}
}

// TestBenchSeedRuleIsTheReference checks that the naive rule behaves as the seed
// describes it, so the comparison is fair: it never detects ×5 at 100 req/s or more
// (0.5% stays under 1%), it catches ×20 only once the 5-minute window is mostly bad, and
// it raises false latency alarms at low traffic where the p99 of a minute is its maximum.
func TestBenchSeedRuleIsTheReference(t *testing.T) {
	t.Parallel()
	res := Bench(Config{Seed: 2, PerRow: 100, Compare: 50}, Seed())
	for _, r := range res.Rows {
		switch {
		case r.Class == Errors5 && r.Band.Lo >= 100 && r.Detected > 0:
			t.Errorf("seed rule detected error ×5 at %s traffic %d times", r.Band.Name, r.Detected)
		case r.Class == Errors20 && r.Band.Lo >= 10 && r.Delay(0.5) < 2*time.Minute:
			t.Errorf("seed rule median delay for error ×20 at %s traffic = %s, want over 2 min", r.Band.Name, r.Delay(0.5))
		}
	}
	if fa := res.Rows[0].FalseAlarms; res.Rows[0].Class != Healthy || fa == 0 {
		t.Errorf("seed rule on healthy low traffic: %d false alarms, want some", fa)
	}
}

func TestBenchIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := Config{Seed: 9, PerRow: 20, Compare: 10}
	a, b := Bench(cfg, Deploywatch(), Seed()), Bench(cfg, Deploywatch(), Seed())
	if diff := cmp.Diff(a, b, cmp.AllowUnexported(Row{}, exposure{})); diff != "" {
		t.Errorf("same seed, different results (-first +second):\n%s", diff)
	}
	cfg.Seed = 10
	if c := Bench(cfg, Deploywatch(), Seed()); cmp.Equal(a.Rows, c.Rows, cmp.AllowUnexported(Row{}, exposure{})) {
		t.Error("another seed gave the same results")
	}
}

func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	res := Bench(Config{Seed: 3, PerRow: 10, Compare: 10}, Deploywatch(), Seed())
	var b strings.Builder
	if err := WriteMarkdown(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	rows := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| deploywatch |") || strings.HasPrefix(line, "| seed |") {
			rows++
			if n := strings.Count(line, "|"); n != 12 {
				t.Errorf("row with %d cells: %s", n-1, line)
			}
		}
	}
	if want := 2 * len(Classes) * len(Bands); rows != want {
		t.Errorf("%d rows, want %d", rows, want)
	}
	for _, want := range []string{"| rule set | scenario |", "Error ×20 at 50 req/s (10 runs)", "the seed's rule is",
		"Outside the claims:", "Targets:", "- no false alarm on a healthy deploy: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHealthyOnly(t *testing.T) {
	t.Parallel()
	res := Bench(Config{Seed: 4, PerRow: 5, HealthyOnly: true}, Deploywatch())
	if len(res.Rows) != len(Bands) || len(res.Compare) != 1 || res.Compare[0].Scenarios != 0 {
		t.Fatalf("rows %d, compare %+v", len(res.Rows), res.Compare)
	}
	for _, target := range Check(res) {
		if target.Name != "no false alarm on a healthy deploy" {
			t.Errorf("unexpected target without regressions: %s", target.Name)
		}
	}
}

// TestGenerate checks the simulated traffic against the model it claims.
func TestGenerate(t *testing.T) {
	t.Parallel()
	sum := func(ws []Window) (req, errs float64, buckets [len(Bounds)]float64) {
		for _, w := range ws {
			req += w.Requests
			errs += w.Errors
			add(&buckets, &w.Buckets)
		}
		return req, errs, buckets
	}
	r := rand.New(rand.NewPCG(1, 1))
	sc := Scenario{Class: Class{"both", 20, 3}, RPS: 300, Drift: 0.2, Onset: 5 * time.Minute}
	ws := Generate(sc, r)
	if len(ws) != int((Baseline+Run)/Interval) || ws[0].Start != -Baseline || ws[len(ws)-1].Start != Run-Interval {
		t.Fatalf("%d windows from %s to %s", len(ws), ws[0].Start, ws[len(ws)-1].Start)
	}
	base := ws[:baselineWindows]
	before := ws[baselineWindows : baselineWindows+30]
	after := ws[baselineWindows+30:]
	for _, tc := range []struct {
		name           string
		ws             []Window
		rps, rate, p99 [2]float64 // acceptable ranges
	}{
		// Traffic drifts from 300 to 360 req/s over the 40 minutes; the p99 of the
		// default buckets interpolates to about 240 ms for a true 200 ms.
		{"baseline", base, [2]float64{300, 330}, [2]float64{0.0008, 0.0012}, [2]float64{0.22, 0.25}},
		{"before_onset", before, [2]float64{340, 355}, [2]float64{0.0005, 0.0016}, [2]float64{0.22, 0.25}},
		{"after_onset", after, [2]float64{350, 365}, [2]float64{0.012, 0.03}, [2]float64{0.7, 0.8}},
	} {
		req, errs, buckets := sum(tc.ws)
		rps := req / (float64(len(tc.ws)) * Interval.Seconds())
		p99 := source.Quantile(0.99, cumulative(&buckets))
		for _, c := range []struct {
			what string
			v    float64
			in   [2]float64
		}{{"req/s", rps, tc.rps}, {"error rate", errs / req, tc.rate}, {"p99", p99, tc.p99}} {
			if c.v < c.in[0] || c.v > c.in[1] {
				t.Errorf("%s: %s = %v, want in %v", tc.name, c.what, c.v, c.in)
			}
		}
	}
}

// TestSamplers checks the random draws against their moments.
func TestSamplers(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	moments := func(n int, draw func() float64) (mean, variance float64) {
		var s, s2 float64
		for range n {
			v := draw()
			s += v
			s2 += v * v
		}
		mean = s / float64(n)
		return mean, s2/float64(n) - mean*mean
	}
	tests := []struct {
		name           string
		draw           func() float64
		mean, variance float64
	}{
		{"poisson_small", func() float64 { return poisson(r, 3) }, 3, 3},
		{"poisson_large", func() float64 { return poisson(r, 2500) }, 2500, 2500},
		{"binomial", func() float64 { return binomial(r, 600, 0.02) }, 12, 600 * 0.02 * 0.98},
		{"gamma", func() float64 { return gammaMean1(r, ErrorCV) }, 1, ErrorCV * ErrorCV},
	}
	for _, tt := range tests {
		mean, variance := moments(200_000, tt.draw)
		if math.Abs(mean-tt.mean) > 0.01*tt.mean || math.Abs(variance-tt.variance) > 0.03*tt.variance {
			t.Errorf("%s: mean %v variance %v, want %v and %v", tt.name, mean, variance, tt.mean, tt.variance)
		}
	}
	if poisson(r, 0) != 0 || binomial(r, 10, 0) != 0 || binomial(r, 10, 1) != 10 || gammaMean1(r, 0) != 1 {
		t.Error("degenerate draws")
	}
}
