package sim

import (
	"math"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/source"
)

// Signal names the check that raised an alarm.
type Signal string

// Signals of the simulated checks.
const (
	SignalErrors     Signal = "error rate"
	SignalLatency    Signal = "latency"
	SignalThroughput Signal = "throughput"
)

// Alarm is the first confirmed finding of a signal, as time after the deploy.
type Alarm struct {
	Signal Signal
	At     time.Duration
}

// Outcome is what a rule set concluded about one scenario.
type Outcome struct {
	// Alarms holds the first alarm of each signal that raised one, in order.
	Alarms []Alarm
	// Pending reports a run that ended without evidence either way: inconclusive.
	Pending bool
}

func (o *Outcome) alarm(s Signal, at time.Duration) {
	for _, a := range o.Alarms {
		if a.Signal == s {
			return
		}
	}
	o.Alarms = append(o.Alarms, Alarm{s, at})
}

// RuleSet judges the windows of a scenario, baseline first.
type RuleSet struct {
	Name  string
	Judge func(windows []Window) Outcome
}

// LatencyPersistence is how many consecutive breaching latency judgements make a finding
// (the product's default persistence).
const LatencyPersistence = 2

// Deploywatch is deploywatch's rule set with the product's defaults: the sequential
// error-rate test against the 30-minute baseline, the p99 judged at 2x the baseline p99
// with persistence 2, and the throughput test.
func Deploywatch() RuleSet {
	return RuleSet{Name: "deploywatch", Judge: judgeDeploywatch}
}

// Seed is the seed's naive rule: the error ratio over a sliding 5-minute window above 1%
// at a 10 s poll, or the p99 over the last minute above twice the baseline p99.
func Seed() RuleSet {
	return RuleSet{Name: "seed", Judge: judgeSeed}
}

const baselineWindows = int(Baseline / Interval)

func judgeDeploywatch(ws []Window) Outcome {
	var base analysis.Counts
	var baseBuckets [len(Bounds)]float64
	for _, w := range ws[:baselineWindows] {
		base.Requests += w.Requests
		base.Errors += w.Errors
		add(&baseBuckets, &w.Buckets)
	}
	errs := analysis.NewErrorRateTest(analysis.ErrorRateRule{Threshold: 0.01}, &base)
	traffic := analysis.NewThroughputTest(base.Requests/Baseline.Seconds(), 0.5, 0)
	latency := analysis.LatencyRule{Factor: 2, MinCount: analysis.DefaultLatencyMinCount}
	baseP99 := source.Quantile(0.99, cumulative(&baseBuckets))
	// The baseline's per-minute p99s, and the run's per-block ones, for the rank test.
	var before, after []float64
	perMinute := int(time.Minute / Interval)
	for i := 0; i+perMinute <= baselineWindows; i += perMinute {
		var minute [len(Bounds)]float64
		for _, w := range ws[i : i+perMinute] {
			add(&minute, &w.Buckets)
		}
		if p := source.Quantile(0.99, cumulative(&minute)); !math.IsNaN(p) {
			before = append(before, p)
		}
	}
	var (
		out                   Outcome
		block                 [len(Bounds)]float64
		blockN                float64
		streak                int
		errEv, latEv, traffEv analysis.Evidence
	)
	for _, w := range ws[baselineWindows:] {
		at := w.Start + Interval
		es := errs.Observe(analysis.Counts{Requests: w.Requests, Errors: w.Errors})
		if errEv = es.Evidence; errEv == analysis.EvidenceBreach {
			out.alarm(SignalErrors, at)
		}
		ts := traffic.Observe(w.Requests, Interval)
		if traffEv = ts.Evidence; traffEv == analysis.EvidenceBreach {
			out.alarm(SignalThroughput, at)
		}
		// The p99 is judged on disjoint blocks of at least MinCount requests, so that
		// persistence counts independent evidence; a partial block keeps the last judgement.
		add(&block, &w.Buckets)
		blockN += w.Requests
		if blockN < latency.MinCount {
			continue
		}
		p99 := source.Quantile(0.99, cumulative(&block))
		ls := latency.Judge(p99, blockN, baseP99, !math.IsNaN(baseP99))
		block, blockN = [len(Bounds)]float64{}, 0
		if !math.IsNaN(p99) {
			after = append(after, p99)
		}
		latEv = ls.Evidence
		// The second detector, as the product's latency check runs it: a shift of the recent
		// blocks' distribution that straddles the limit.
		if latEv == analysis.EvidenceHealthy && analysis.RecentShift(before, after, latency.Factor, analysis.DefaultShiftAlpha).Shifted {
			latEv = analysis.EvidenceBreach
		}
		switch latEv {
		case analysis.EvidenceBreach:
			if streak++; streak >= LatencyPersistence {
				out.alarm(SignalLatency, at)
			}
		case analysis.EvidenceHealthy:
			streak = 0
		}
	}
	pending := analysis.EvidencePending
	out.Pending = errEv == pending || latEv == pending || traffEv == pending
	return out
}

// Seed rule windows: the error ratio over 5 minutes, the p99 over 1 minute.
const (
	seedErrorWindows   = int(5 * time.Minute / Interval)
	seedLatencyWindows = int(time.Minute / Interval)
	seedThreshold      = 0.01
	seedLatencyFactor  = 2
)

func judgeSeed(ws []Window) Outcome {
	var baseBuckets [len(Bounds)]float64
	for _, w := range ws[:baselineWindows] {
		add(&baseBuckets, &w.Buckets)
	}
	baseP99 := source.Quantile(0.99, cumulative(&baseBuckets))
	var out Outcome
	for i := baselineWindows; i < len(ws); i++ {
		at := ws[i].Start + Interval
		var req, errs float64
		for _, w := range ws[i+1-seedErrorWindows : i+1] {
			req += w.Requests
			errs += w.Errors
		}
		if req > 0 && errs/req > seedThreshold {
			out.alarm(SignalErrors, at)
		}
		var last [len(Bounds)]float64
		for _, w := range ws[i+1-seedLatencyWindows : i+1] {
			add(&last, &w.Buckets)
		}
		if p99 := source.Quantile(0.99, cumulative(&last)); p99 > seedLatencyFactor*baseP99 {
			out.alarm(SignalLatency, at)
		}
	}
	return out
}

func add(dst, src *[len(Bounds)]float64) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// cumulative turns per-bucket counts into the cumulative histogram Prometheus exposes.
func cumulative(counts *[len(Bounds)]float64) []source.Bucket {
	out := make([]source.Bucket, len(Bounds))
	var sum float64
	for i, b := range Bounds {
		sum += counts[i]
		out[i] = source.Bucket{UpperBound: b, Count: sum}
	}
	return out
}
