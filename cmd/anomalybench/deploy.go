package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/analysis/anomaly"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/nab"
)

// The deploy-shaped variant: a deploy at a random moment of a real series, watched for
// watchPoints (two hours of five-minute samples); a day before it is the baseline.
const (
	watchPoints = 24
	dayPoints   = 288
)

// shape is a change injected at the deploy, in units of the series' own robust spread σ
// over the day before it (1.4826·MAD).
type shape struct {
	name string
	add  func(k int, sigma float64) float64 // k: points since the deploy
}

var shapes = []shape{
	{"level shift +2σ", func(_ int, s float64) float64 { return 2 * s }},
	{"level shift +4σ", func(_ int, s float64) float64 { return 4 * s }},
	{"level shift +8σ", func(_ int, s float64) float64 { return 8 * s }},
	{"ramp to +8σ over 2h", func(k int, s float64) float64 { return 8 * s * float64(k+1) / watchPoints }},
}

// The rules compared: when each first raises an alarm in a run's watch (−1: never).
//   - the anomaly detector alone, on its first score at its threshold;
//   - the monitor's history check: outside both the seasonal band (a week of history,
//     median ± 4 robust σ at this hour) and the last day's, or the detector (its incident
//     held while it rests), two points in a row, as the monitor's persistence asks;
//   - a fixed threshold at 3σ over the day before the deploy, two points in a row, as most
//     monitors set one.
var ruleNames = [...]string{"anomaly detector", "history check (band or detector)", "fixed 3σ threshold"}

const nRules = len(ruleNames)

type outcome [nRules]int

// tally is one row of the table: runs, alarms and delays of one rule on one shape.
type tally struct {
	runs, alarms int
	delays       []time.Duration
}

func (t *tally) add(first int, times []time.Time, i0 int) {
	t.runs++
	if first >= 0 {
		t.alarms++
		t.delays = append(t.delays, times[i0+first].Sub(times[i0]))
	}
}

type deployResult struct {
	clean    [nRules]tally
	injected [][nRules]tally
}

// deployRuns plays runs deploys per series: half of them clean, half with every shape
// injected, each at a random moment at least a day after the probation and away from the
// labelled anomalies (which would otherwise count as the deploy's).
func deployRuns(c *nab.Corpus, runs int, seed uint64) deployResult {
	rng := rand.New(rand.NewPCG(seed, 0xdeb1))
	res := deployResult{injected: make([][nRules]tally, len(shapes))}
	for _, s := range c.Series {
		times := make([]time.Time, len(s.Points))
		values := make([]float64, len(s.Points))
		for i, p := range s.Points {
			times[i], values[i] = p.Time, p.Value
		}
		for k := range runs {
			i0, ok := deployMoment(rng, times, c.Windows[s.Name])
			if !ok {
				break
			}
			if k%2 == 0 {
				o := watch(times, values, i0, nil, 0)
				for r := range nRules {
					res.clean[r].add(o[r], times, i0)
				}
				continue
			}
			sigma := robustSigma(values[i0-dayPoints : i0])
			for j, sh := range shapes {
				o := watch(times, values, i0, sh.add, sigma)
				for r := range nRules {
					res.injected[j][r].add(o[r], times, i0)
				}
			}
		}
	}
	return res
}

// deployMoment picks a deploy index with a day of history after the probation before it,
// a full watch after it, and no labelled window within a watch of either.
func deployMoment(rng *rand.Rand, times []time.Time, windows []nab.Window) (int, bool) {
	lo := nab.ProbationLength(len(times)) + dayPoints
	hi := len(times) - watchPoints
	if hi <= lo {
		return 0, false
	}
	for range 1000 {
		i0 := lo + rng.IntN(hi-lo)
		from, to := times[i0-watchPoints], times[i0+watchPoints-1]
		clear := true
		for _, w := range windows {
			if !w.End.Before(from) && !w.Start.After(to) {
				clear = false
			}
		}
		if clear {
			return i0, true
		}
	}
	return 0, false
}

// watch streams the series through a fresh detector up to the end of the watch, with add
// injected from the deploy on, and returns the first alarm of each rule after the deploy.
// Alarms count on the high side only (the injected side, and the side a monitor gates on:
// a latency or error rate falling is no regression).
func watch(times []time.Time, values []float64, i0 int, add func(int, float64) float64, sigma float64) outcome {
	day := values[i0-dayPoints : i0]
	mean, std := meanStd(day)
	var history []model.Point
	for i := max(0, i0-7*dayPoints); i < i0; i++ {
		history = append(history, model.Point{At: times[i], Value: values[i]})
	}
	seasonal, _ := analysis.NewSeasonal(history)
	d := anomaly.New(anomaly.DefaultConfig())
	o := outcome{-1, -1, -1}
	var run [nRules]int // consecutive breaches
	for i := range i0 + watchPoints {
		v := values[i]
		if i >= i0 && add != nil {
			v += add(i-i0, sigma)
		}
		sc := d.Observe(times[i], v)
		if i < i0 {
			continue
		}
		band := seasonal.Band(times[i])
		anomalous := (sc.Value >= anomaly.DefaultThreshold || sc.Resting) && v > band.Median
		breach := [nRules]bool{
			sc.Value >= anomaly.DefaultThreshold && v > band.Median,
			anomalous || band.Outside(">", v),
			v > mean+3*std,
		}
		need := [nRules]int{1, 2, 2}
		for r := range nRules {
			if !breach[r] {
				run[r] = 0
				continue
			}
			if run[r]++; run[r] >= need[r] && o[r] < 0 {
				o[r] = i - i0
			}
		}
	}
	return o
}

func robustSigma(xs []float64) float64 {
	m := quantile(xs, 0.5)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	if s := 1.4826 * quantile(dev, 0.5); s > 0 {
		return s
	}
	if _, s := meanStd(xs); s > 0 {
		return s
	}
	return max(math.Abs(m)*0.01, 1e-9)
}

func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func meanStd(xs []float64) (float64, float64) {
	var sum, sq float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sq / float64(len(xs)))
}

func printDeploys(w io.Writer, r deployResult) {
	fmt.Fprintf(w, "Deploy-shaped variant: a deploy at a random moment of each real series, watched for %d points (2h of 5-minute samples)\n", watchPoints)
	fmt.Fprintf(w, "half of the runs inject the shape, half inject nothing; an alarm counts on the high side only\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "injected\trule\truns\trecall\tmedian delay\tp90 delay")
	for j, sh := range shapes {
		for k, name := range ruleNames {
			t := r.injected[j][k]
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", sh.name, name, t.runs, pct(t.alarms, t.runs), delay(t.delays, 0.5), delay(t.delays, 0.9))
		}
	}
	for k, name := range ruleNames {
		t := r.clean[k]
		fmt.Fprintf(tw, "nothing\t%s\t%d\tfalse alarms %s\t\t\n", name, t.runs, pct(t.alarms, t.runs))
	}
	_ = tw.Flush()
}

func pct(a, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d)", 100*float64(a)/float64(n), a)
}

func delay(ds []time.Duration, q float64) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))].String()
}
