package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// ErrNoBaseline reports that a check judged against the baseline has none (no history in
// Prometheus, a direct scrape without a start snapshot). The caller decides: a default
// check is turned off with a warning, rather than ending every run inconclusive.
var ErrNoBaseline = errors.New("no baseline")

// TrafficConfig is what every traffic check shares.
type TrafficConfig struct {
	Spec model.CheckSpec
	Feed *Feed
	// Baselines reads pre-deploy traffic; nil when there is no history to read.
	Baselines BaselineReader
	Baseline  Baseline
	// Query is shown to explain where the numbers come from.
	Query string
	// OnNoData is what a reading without the counters means: "inconclusive" (empty: a
	// probe error), "pass" or "fail".
	OnNoData string
}

// trafficBase holds what the three traffic checks do alike.
type trafficBase struct {
	cfg  TrafficConfig
	prev *source.Traffic
}

// Spec describes the check.
func (b *trafficBase) Spec() model.CheckSpec { return b.cfg.Spec }

// windows reads the baseline traffic of every window (the one before the start, and the
// offset ones); windows without traffic are left out.
func (b *trafficBase) windows(ctx context.Context) ([]source.Traffic, error) {
	bl := b.cfg.Baseline
	if b.cfg.Baselines == nil || bl.Window <= 0 || bl.Start.IsZero() {
		return nil, ErrNoBaseline
	}
	var out []source.Traffic
	var lastErr error
	for _, end := range bl.windows() {
		t, err := b.cfg.Baselines.Baseline(ctx, end, bl.Window)
		if err != nil {
			if !errors.Is(err, source.ErrNoData) {
				lastErr = err
			}
			continue
		}
		if t.Requests > 0 {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		if lastErr != nil {
			return nil, lastErr
		}
		return nil, fmt.Errorf("%w: no traffic in the %s before the start", ErrNoBaseline, bl.Window)
	}
	return out, nil
}

// next reads the traffic since the previous round: the window a sequential test consumes.
func (b *trafficBase) next(ctx context.Context, m *model.Measurement) (time.Time, source.Traffic, source.Traffic, bool) {
	start := time.Now()
	at, cum, err := b.cfg.Feed.Latest(ctx)
	m.Latency = time.Since(start)
	if err != nil {
		queryFailure(m, err, b.cfg.OnNoData, b.cfg.Query)
		return at, source.Traffic{}, source.Traffic{}, false
	}
	prev := source.Traffic{}
	if b.prev != nil {
		prev = *b.prev
	}
	b.prev = &cum
	return at, cum, Sub(cum, prev), true
}

// lastMinute is the traffic of the sliding window ending now, or since the start when the
// run is younger.
func (b *trafficBase) lastMinute(at time.Time, cum source.Traffic) (source.Traffic, time.Duration) {
	w, d := b.cfg.Feed.Since(at.Add(-time.Minute))
	if d == 0 {
		return cum, 0
	}
	return w, d
}

// judge maps a statistical test's evidence onto a measurement: a breach, not enough
// evidence yet (pending), or a pass.
func judge(m *model.Measurement, ev analysis.Evidence, message string) {
	m.Message = message
	m.Breach = ev == analysis.EvidenceBreach
	m.Insufficient = ev == analysis.EvidencePending
}

func ratio(t source.Traffic) float64 {
	if t.Requests <= 0 {
		return math.NaN()
	}
	return t.Errors / t.Requests
}

// addTraffic sums two stretches of traffic.
func addTraffic(a, b source.Traffic) source.Traffic {
	out := source.Traffic{Requests: a.Requests + b.Requests, Errors: a.Errors + b.Errors}
	sums := map[float64]float64{}
	for _, x := range append(append([]source.Bucket(nil), a.Buckets...), b.Buckets...) {
		sums[x.UpperBound] += x.Count
	}
	for ub, n := range sums {
		out.Buckets = append(out.Buckets, source.Bucket{UpperBound: ub, Count: n})
	}
	slices.SortFunc(out.Buckets, func(x, y source.Bucket) int { return cmp.Compare(x.UpperBound, y.UpperBound) })
	return out
}

// histogramCount is the number of observations of a histogram: its +Inf bucket.
func histogramCount(t source.Traffic) float64 {
	// The +Inf bucket counts every observation; buckets read from a query come in the
	// order the backend returns them, so it is looked for, not assumed last.
	for _, b := range t.Buckets {
		if math.IsInf(b.UpperBound, 1) {
			return b.Count
		}
	}
	return 0
}

func analysisCount(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }

// carry repeats a check's last judgement when no new reading came in: no new evidence.
func carry(m model.Measurement, last *model.Measurement) model.Measurement {
	if last == nil {
		m.Insufficient, m.Message = true, "no new reading yet"
		return m
	}
	c := *last
	c.Carry, c.Latency = true, m.Latency
	return c
}
