package check

import (
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// slowTail puts n observations in Prometheus' default buckets, one in a hundred-and-fifty
// between 100 and 250 ms and the rest under 100 ms: a p99 under 100 ms, given enough of
// them.
func slowTail(n float64) []source.Bucket {
	slow := math.Floor(n / 150)
	if n > 0 && slow == 0 {
		slow = 1 // one slow request among few sets the p99 alone
	}
	var out []source.Bucket
	for _, b := range histogram(n-slow, 0.08) {
		if b.UpperBound > 0.1 {
			b.Count += slow
		}
		out = append(out, b)
	}
	return out
}

// TestLatencyBaselineNeedsMinCount: a baseline p99 counts only over DefaultLatencyMinCount
// observations, as a live block's does: 30 requests (15 s at 2 requests/s) with one slow
// one give a p99 of 205 ms, while the old processes' lifetime gives the true one.
func TestLatencyBaselineNeedsMinCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		baseline source.Traffic
		rule     analysis.LatencyRule
		wantErr  string // "" when Prepare succeeds
		wantBase float64
		wantMsg  string // in the first judged block's message
	}{
		{name: "30_requests_relative", baseline: source.Traffic{Requests: 30, Buckets: slowTail(30)},
			rule: analysis.LatencyRule{Factor: 2}, wantErr: "baseline has 30 requests; a p99 needs 200"},
		{name: "30_requests_absolute_fallback", baseline: source.Traffic{Requests: 30, Buckets: slowTail(30)},
			rule:    analysis.LatencyRule{Factor: 2, Absolute: 500 * time.Millisecond},
			wantMsg: "limit 500ms); no baseline p99: baseline has 30 requests; a p99 needs 200"},
		{name: "lifetime_counts", baseline: source.Traffic{Requests: 41_200, Buckets: slowTail(41_200)},
			rule: analysis.LatencyRule{Factor: 2}, wantBase: source.Quantile(0.99, slowTail(41_200)), wantMsg: "2x the baseline"},
		{name: "no_histogram", baseline: source.Traffic{Requests: 500},
			rule: analysis.LatencyRule{Factor: 2}, wantErr: "no latency histogram before the start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := &scriptedTraffic{baseline: &tt.baseline}
			c := NewLatency(trafficConfig("p99 latency", st), tt.rule)
			err := c.Prepare(t.Context())
			if tt.wantErr != "" {
				if !errors.Is(err, ErrNoBaseline) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Prepare: %v, want ErrNoBaseline with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st.add(250, 0, 0.04)
			m := c.Run(t.Context())
			if !strings.Contains(m.Message, tt.wantMsg) || m.Insufficient {
				t.Errorf("message %q, want %q", m.Message, tt.wantMsg)
			}
			if m.Metric.HasBaseline != (tt.wantBase > 0) || math.Abs(m.Metric.Baseline-tt.wantBase) > 1e-9 {
				t.Errorf("baseline %v (%v), want %v", m.Metric.Baseline, m.Metric.HasBaseline, tt.wantBase)
			}
		})
	}
	// The numbers of the audit: one slow request among 30 puts the p99 at 205 ms and the 2x
	// limit at 410 ms; the lifetime's p99 stays under 100 ms.
	few, many := source.Quantile(0.99, slowTail(30)), source.Quantile(0.99, slowTail(41_200))
	if math.Abs(few-0.205) > 1e-9 || many >= 0.1 {
		t.Errorf("p99 of 30 requests %v, of 41,200 %v", few, many)
	}
}

// TestLiveBaselineJudgesDrift: without a snapshot and with new processes, the baseline is
// the run's first span. The latency and throughput checks wait for it (pending, saying
// so), the latency one until it holds a p99's observations, then judge the rest of the run
// against it; the error rate keeps to its threshold.
func TestLiveBaselineJudgesDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &scriptedTraffic{}
		feed := NewFeed(st)
		live := &LiveBaseline{Feed: feed, From: time.Now(), Span: 10 * time.Second}
		cfg := func(name string) TrafficConfig {
			c := trafficConfig(name, st)
			c.Feed, c.Baselines = feed, live
			return c
		}
		lat := NewLatency(cfg("p99 latency"), analysis.LatencyRule{Factor: 2})
		thr := NewThroughput(cfg("throughput"), 0.5, 0)
		errs := NewErrorRate(cfg("error rate"), analysis.ErrorRateRule{Threshold: 0.01})
		for _, c := range []Preparer{lat, thr, errs} {
			if err := c.Prepare(t.Context()); err != nil {
				t.Fatalf("Prepare: %v", err)
			}
		}
		type round struct {
			n, lat             float64
			wantLat, wantThr   string // p pending, P pass, B breach, c carried
			latMsg, thrMsg     string
			wantLatHasBaseline bool
		}
		rounds := []round{
			// 5 s at 10 requests/s: the baseline's span is not over.
			{n: 50, lat: 0.04, wantLat: "p", wantThr: "p", latMsg: "waiting for its baseline: the first 10s of the run (5s so far)", thrMsg: "waiting for its baseline"},
			// 10 s: the span is over, the throughput has its baseline; 100 observations
			// are too few for a p99.
			{n: 50, lat: 0.04, wantLat: "p", wantThr: "p", latMsg: "waiting for its baseline: baseline has 100 requests; a p99 needs 200", thrMsg: "baseline 10/s"},
			{n: 50, lat: 0.04, wantLat: "p", wantThr: "P", latMsg: "baseline has 150 requests"},
			{n: 50, lat: 0.04, wantLat: "p", wantThr: "P", latMsg: "baseline p99 49.75ms from 200 requests of the run's first 20s; judging from now", wantLatHasBaseline: true},
			// The new version's latency triples after 20 s: judged against its own start.
			{n: 100, lat: 0.15, wantLat: "p", wantThr: "P", latMsg: "100 of the 200 requests", wantLatHasBaseline: true},
			{n: 100, lat: 0.15, wantLat: "B", wantThr: "P", latMsg: "limit 100ms = 2x the baseline 50ms", wantLatHasBaseline: true},
			// Traffic stops.
			{n: 0, lat: 0.15, wantLat: "c", wantThr: "B", wantLatHasBaseline: true},
		}
		for i, r := range rounds {
			time.Sleep(5 * time.Second)
			st.add(r.n, 0, r.lat)
			for _, x := range []struct {
				c         Check
				want, msg string
			}{{lat, r.wantLat, r.latMsg}, {thr, r.wantThr, r.thrMsg}} {
				m := x.c.Run(t.Context())
				if got := outcome(m); got != x.want || !strings.Contains(m.Message, x.msg) {
					t.Errorf("round %d %s: %s %q, want %s %q", i, m.Check, got, m.Message, x.want, x.msg)
				}
				if m.Check == "p99 latency" && m.Metric.HasBaseline != r.wantLatHasBaseline {
					t.Errorf("round %d: latency baseline shown %v", i, m.Metric.HasBaseline)
				}
			}
			if m := errs.Run(t.Context()); m.Metric.HasBaseline {
				t.Errorf("round %d: the error rate took the run's own traffic as its baseline: %+v", i, m.Metric)
			}
		}
	})
}

// TestSnapshotRunRate: counts from the old processes' lifetime, with the rate left to the
// run's first seconds: the throughput check waits for them, the latency one has its
// baseline at once.
func TestSnapshotRunRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &scriptedTraffic{}
		feed := NewFeed(st)
		live := &LiveBaseline{Feed: feed, From: time.Now(), Span: 10 * time.Second}
		snap := NewSnapshot("production", time.Now(), source.Traffic{Requests: 41_200, Errors: 40, Buckets: slowTail(41_200)}, nil).WithRunRate(live)
		if d := snap.Describe(time.Now()); !strings.Contains(d, "41,200 requests, 40 errors") || !strings.Contains(d, "throughput from the run's first 10s") {
			t.Errorf("describe: %q", d)
		}
		cfg := trafficConfig("throughput", st)
		cfg.Feed, cfg.Baselines = feed, &snap
		thr := NewThroughput(cfg, 0.5, 0)
		cfg.Spec.Name = "p99 latency"
		lat := NewLatency(cfg, analysis.LatencyRule{Factor: 2})
		for _, c := range []Preparer{lat, thr} {
			if err := c.Prepare(t.Context()); err != nil {
				t.Fatalf("Prepare: %v", err)
			}
		}
		time.Sleep(5 * time.Second)
		st.add(100, 0, 0.04)
		if m := thr.Run(t.Context()); !m.Insufficient || !strings.Contains(m.Message, "waiting for its baseline") {
			t.Errorf("throughput before the span: %+v", m)
		}
		if m := lat.Run(t.Context()); !m.Metric.HasBaseline {
			t.Errorf("latency has no baseline from the lifetime counts: %+v", m)
		}
		time.Sleep(5 * time.Second)
		st.add(100, 0, 0.04)
		if m := thr.Run(t.Context()); m.Metric.Baseline != 20 {
			t.Errorf("throughput baseline %v, want 20/s (200 requests in 10 s)", m.Metric.Baseline)
		}
	})
}

// outcome is a measurement's letter in the tables: p pending, P pass, B breach, c carried.
func outcome(m model.Measurement) string {
	switch {
	case m.Carry:
		return "c"
	case m.Insufficient:
		return "p"
	case m.Breach:
		return "B"
	}
	return "P"
}
