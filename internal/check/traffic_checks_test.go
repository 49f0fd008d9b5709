package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// scriptedTraffic is a cumulative traffic counter the test advances round by round, and a
// baseline window of fixed traffic.
type scriptedTraffic struct {
	cum      source.Traffic
	err      error
	baseline *source.Traffic
}

func (s *scriptedTraffic) Read(context.Context) (source.Traffic, error) { return s.cum, s.err }

func (s *scriptedTraffic) Baseline(context.Context, time.Time, time.Duration) (source.Traffic, error) {
	if s.baseline == nil {
		return source.Traffic{}, source.ErrNoData
	}
	return *s.baseline, nil
}

// add advances the counter by n requests, e of them errors, with every request taking lat.
func (s *scriptedTraffic) add(n, e, lat float64) {
	s.cum = addTraffic(s.cum, source.Traffic{Requests: n, Errors: e, Buckets: histogram(n, lat)})
}

// histogram puts n observations of lat seconds in Prometheus' default buckets.
func histogram(n, lat float64) []source.Bucket {
	var out []source.Bucket
	for _, ub := range []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, math.Inf(1)} {
		c := 0.0
		if lat <= ub {
			c = n
		}
		out = append(out, source.Bucket{UpperBound: ub, Count: c})
	}
	return out
}

func trafficConfig(name string, st *scriptedTraffic) TrafficConfig {
	return TrafficConfig{Spec: model.CheckSpec{Name: name}, Feed: NewFeed(st), Baselines: st,
		Baseline: Baseline{Start: time.Now(), Window: 30 * time.Minute}, Query: "q"}
}

func TestErrorRateCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 30 minutes at 100 requests/s with 0.1% errors before the deploy.
		base := source.Traffic{Requests: 180_000, Errors: 180}
		st := &scriptedTraffic{baseline: &base}
		c := NewErrorRate(trafficConfig("error rate", st), analysis.ErrorRateRule{Threshold: 0.01})
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		var m model.Measurement
		for range 6 { // a minute of healthy traffic
			st.add(1000, 1, 0.04)
			m = c.Run(t.Context())
			time.Sleep(10 * time.Second)
		}
		if m.Breach || m.Insufficient || m.Metric.Baseline != 0.001 || !strings.Contains(m.Message, "over 6,000 requests") {
			t.Fatalf("healthy minute: %+v %+v", m, m.Metric)
		}
		// The deploy breaks 5% of requests: a breach within a few rounds.
		rounds := 0
		for !m.Breach && rounds < 10 {
			st.add(1000, 50, 0.04)
			m = c.Run(t.Context())
			time.Sleep(10 * time.Second)
			rounds++
		}
		if !m.Breach || rounds > 2 {
			t.Fatalf("5%% errors at 100 requests/s caught after %d rounds: %s", rounds, m.Message)
		}
		if m.Metric.Value <= m.Metric.Limit || m.Metric.Limit > 0.01 || m.Expected == "" || m.Metric.Requests < 7000 {
			t.Errorf("numbers: value %v limit %v expected %q requests %v", m.Metric.Value, m.Metric.Limit, m.Expected, m.Metric.Requests)
		}
		// The value shown is the rate the breach judges, the one its message gives.
		var judged float64
		if _, err := fmt.Sscanf(m.Message, "%f%% over the last", &judged); err != nil || math.Abs(m.Metric.Value*100-judged) > 0.05 {
			t.Errorf("value %s (%v) beside the breach %q (%v)", m.Value, m.Metric.Value, m.Message, err)
		}
	})
}

func TestErrorRateCheckLowTrafficIsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &scriptedTraffic{}
		c := NewErrorRate(trafficConfig("error rate", st), analysis.ErrorRateRule{Threshold: 0.01})
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		st.add(12, 1, 0.04)
		m := c.Run(t.Context())
		if !m.Insufficient || m.Breach || !strings.Contains(m.Message, "insufficient traffic: 12 requests (1 errors)") {
			t.Errorf("one unlucky error in 12 requests: %+v", m)
		}
		st.err = errors.New("prometheus down")
		time.Sleep(10 * time.Second)
		if m := c.Run(t.Context()); m.ProbeError != "prometheus down" {
			t.Errorf("a failed read is a probe error: %+v", m)
		}
	})
}

func TestLatencyCheckJudgesDisjointBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := source.Traffic{Requests: 10_000, Buckets: histogram(10_000, 0.04)}
		st := &scriptedTraffic{baseline: &base}
		c := NewLatency(trafficConfig("p99 latency", st), analysis.LatencyRule{Factor: 2})
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		type round struct {
			n, lat float64
			want   string // p pending, P pass, B breach, c carried (with the outcome the evaluator gives it)
		}
		rounds := []round{{100, 0.04, "p"}, {100, 0.04, "P"}, {150, 0.3, "c"}, {60, 0.3, "B"}, {250, 0.3, "B"}}
		for i, r := range rounds {
			st.add(r.n, 0, r.lat)
			m := c.Run(t.Context())
			var got string
			switch {
			case m.Carry:
				got = "c"
			case m.Insufficient:
				got = "p"
			case m.Breach:
				got = "B"
			default:
				got = "P"
			}
			if got != r.want {
				t.Errorf("round %d: %s (%s), want %s", i, got, m.Message, r.want)
			}
			time.Sleep(10 * time.Second)
		}
	})
}

func TestRelativeChecksWithoutBaseline(t *testing.T) {
	t.Parallel()
	st := &scriptedTraffic{}
	if err := NewLatency(trafficConfig("p99", st), analysis.LatencyRule{Factor: 2}).Prepare(t.Context()); !errors.Is(err, ErrNoBaseline) {
		t.Errorf("latency 2x without a baseline: %v", err)
	}
	if err := NewLatency(trafficConfig("p99", st), analysis.LatencyRule{Absolute: 500 * time.Millisecond}).Prepare(t.Context()); err != nil {
		t.Errorf("an absolute latency limit needs no baseline: %v", err)
	}
	if err := NewThroughput(trafficConfig("throughput", st), 0.5, 0).Prepare(t.Context()); !errors.Is(err, ErrNoBaseline) {
		t.Errorf("throughput without a baseline: %v", err)
	}
	if err := NewErrorRate(trafficConfig("error rate", st), analysis.ErrorRateRule{}).Prepare(t.Context()); err != nil {
		t.Errorf("the error rate falls back to its threshold: %v", err)
	}
}

func TestThroughputCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := source.Traffic{Requests: 180_000} // 100 requests/s
		st := &scriptedTraffic{baseline: &base}
		c := NewThroughput(trafficConfig("throughput", st), 0.5, 0)
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		var m model.Measurement
		for range 6 {
			st.add(1000, 0, 0.04)
			m = c.Run(t.Context())
			time.Sleep(10 * time.Second)
		}
		if m.Breach || m.Metric.Baseline != 100 {
			t.Fatalf("steady traffic: %+v", m)
		}
		rounds := 0
		for !m.Breach && rounds < 12 {
			st.add(100, 0, 0.04) // traffic falls to a tenth
			m = c.Run(t.Context())
			time.Sleep(10 * time.Second)
			rounds++
		}
		if !m.Breach || rounds > 3 {
			t.Errorf("a drop to 10/s caught after %d rounds: %s", rounds, m.Message)
		}
	})
}

// A backend that scrapes less often than the checks read shows the same counters for a
// few rounds, then all their traffic at once. With rates taken over the data's time, a
// stale answer is no news rather than traffic stopping; traffic that really stops, while
// scrapes go on, is still caught.
func TestThroughputTakesRatesOverDataTime(t *testing.T) {
	tests := []struct {
		name string
		// every is how many 1 s rounds pass between scrapes; perScrape the requests each
		// scrape shows.
		every, perScrape int
		wantBreach       bool
	}{
		{name: "scrapes_every_3_rounds", every: 3, perScrape: 300},
		{name: "scrapes_every_round", every: 1, perScrape: 100},
		{name: "traffic_stops_while_scrapes_go_on", every: 1, perScrape: 0, wantBreach: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				base := source.Traffic{Requests: 180_000} // 100 requests/s
				st := &scriptedTraffic{baseline: &base}
				c := NewThroughput(trafficConfig("throughput", st), 0.5, 0)
				if err := c.Prepare(t.Context()); err != nil {
					t.Fatal(err)
				}
				breaches := 0
				for round := range 30 {
					if round%tt.every == 0 {
						st.add(float64(tt.perScrape), 0, 0.04)
						st.cum.At = time.Now()
					}
					if m := c.Run(t.Context()); m.Breach {
						breaches++
					}
					time.Sleep(time.Second)
				}
				if got := breaches > 0; got != tt.wantBreach {
					t.Errorf("%d rounds in breach, want a breach %v", breaches, tt.wantBreach)
				}
			})
		})
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/.deploywatch/baseline-production.json"
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	// The old processes' lifetime: 41,200 requests; their rate measured over 15 s.
	traffic := source.Traffic{Requests: 41_200, Errors: 41, Buckets: histogram(41_200, 0.04)}
	snap := NewSnapshot("production", now, traffic, []string{"http://u:s3cret-pass@a/metrics"}).WithSampleRate(2, 15*time.Second)
	if err := snap.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, want := range []string{`"counts": "lifetime"`, `"rate_from": "sample"`, `"rate_per_s": 2`, `"span_s": 15`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the snapshot file lacks %s:\n%s", want, raw)
		}
	}
	if strings.Contains(string(raw), "s3cret-pass") {
		t.Error("the snapshot file holds a target's password")
	}
	s, err := LoadSnapshot(path, "production", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Baseline(t.Context(), now, time.Minute)
	if got.Requests != 41_200 || got.Errors != 41 || !math.IsInf(got.Buckets[len(got.Buckets)-1].UpperBound, 1) ||
		source.Quantile(0.99, got.Buckets) != source.Quantile(0.99, traffic.Buckets) {
		t.Errorf("round trip: %+v", got)
	}
	if rate, err := s.BaselineRate(t.Context()); rate != 2 || err != nil {
		t.Errorf("rate %v, %v", rate, err)
	}
	if d, want := s.Describe(now), "baseline: 41,200 requests, 41 errors, p99 49.75ms since the old processes started; throughput 2/s over a 15s sample"; d != want {
		t.Errorf("describe:\n got %q\nwant %q", d, want)
	}
	for _, tt := range []struct {
		name, path, env string
		at              time.Time
		want            string
	}{
		{"missing", path + ".nope", "production", now, "no start snapshot"},
		{"other_environment", path, "staging", now, `is for environment "production"`},
		{"stale", path, "production", now.Add(48 * time.Hour), "is from 2026-11-21T10:00:00Z"},
	} {
		if _, err := LoadSnapshot(tt.path, tt.env, tt.at); !errors.Is(err, ErrNoBaseline) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// TestSnapshotVersion1: a snapshot of the previous format held a sample's traffic; its
// rate is the sample's.
func TestSnapshotVersion1(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/baseline.json"
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	v1 := `{"version": 1, "environment": "production", "taken_at": "2026-11-21T10:00:00Z", "span_s": 10, "requests": 1000, "errors": 1,
	"buckets": [[0.05, 990], [1e308, 1000]], "targets": ["http://a/metrics"]}`
	if err := os.WriteFile(path, []byte(v1), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSnapshot(path, "production", now)
	if err != nil {
		t.Fatal(err)
	}
	if rate, _ := s.BaselineRate(t.Context()); rate != 100 || s.Counts != CountsSample {
		t.Errorf("version 1: rate %v counts %q", rate, s.Counts)
	}
}

func TestThroughputUsesTheBaselineSpan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 1,000 requests over a 10 s snapshot: 100 requests/s, whatever the baseline window.
		st := &scriptedTraffic{baseline: &source.Traffic{Requests: 1000, Span: 10 * time.Second}}
		c := NewThroughput(trafficConfig("throughput", st), 0.5, 0)
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		st.add(1000, 0, 0.04)
		_ = c.Run(t.Context())
		time.Sleep(10 * time.Second)
		st.add(1000, 0, 0.04)
		if m := c.Run(t.Context()); m.Metric.Baseline != 100 || m.Breach {
			t.Errorf("baseline %v breach %v", m.Metric.Baseline, m.Breach)
		}
	})
}

// history serves per-minute p99s of a baseline for the rank test.
type history struct {
	*scriptedTraffic
	p99s []float64
}

func (h history) BaselineP99s(context.Context, time.Time, time.Duration) ([]float64, error) {
	return h.p99s, nil
}

// TestLatencyShiftDetector: blocks that straddle the limit never breach twice in a row,
// but their distribution is shifted well past it: the rank test catches that.
func TestLatencyShiftDetector(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := source.Traffic{Requests: 10_000, Buckets: histogram(10_000, 0.04)}
		st := &scriptedTraffic{baseline: &base}
		h := history{st, []float64{0.05, 0.048, 0.05, 0.049, 0.05, 0.05, 0.047, 0.05, 0.05, 0.049}}
		cfg := trafficConfig("p99 latency", st)
		cfg.Baselines = h
		c := NewLatency(cfg, analysis.LatencyRule{Factor: 2})
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		// p99 per block alternates between 0.5 (over 2x 0.05) and 0.09 (just under): the
		// consecutive rule sees breach, pass, breach, pass...
		var breaches []bool
		var last model.Measurement
		for i := range 12 {
			lat := 0.09
			if i%2 == 0 {
				lat = 0.5
			}
			st.add(300, 0, lat)
			last = c.Run(t.Context())
			breaches = append(breaches, last.Breach)
			time.Sleep(10 * time.Second)
		}
		if !breaches[len(breaches)-1] || !strings.Contains(last.Message, "Mann-Whitney") {
			t.Errorf("the shifted distribution is not caught: %v, %q", breaches, last.Message)
		}
		for i := 1; i < 7; i += 2 {
			if breaches[i] {
				t.Errorf("block %d under the limit breached before the rank test had 8 points: %v", i, breaches)
			}
		}
	})
}

// TestPendingLatencyShowsItsLimit: before the first full block the report shows the limit
// the check will judge against, never a limit of 0.
func TestPendingLatencyShowsItsLimit(t *testing.T) {
	base := source.Traffic{Requests: 10_000, Buckets: histogram(10_000, 0.04)}
	tests := []struct {
		name     string
		baseline *source.Traffic
		rule     analysis.LatencyRule
		wantOp   string
		wantLim  float64
	}{
		{"absolute", nil, analysis.LatencyRule{Absolute: 500 * time.Millisecond}, ">", 0.5},
		{"relative_with_baseline", &base, analysis.LatencyRule{Factor: 2}, ">", 2 * source.Quantile(0.99, base.Buckets)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &scriptedTraffic{baseline: tt.baseline}
			c := NewLatency(trafficConfig("p99", st), tt.rule)
			if err := c.Prepare(t.Context()); err != nil {
				t.Fatal(err)
			}
			st.add(10, 0, 0.04)
			m := c.Run(t.Context())
			if !m.Insufficient || m.Metric == nil {
				t.Fatalf("want a pending measurement with a metric, got %+v", m)
			}
			if m.Metric.Op != tt.wantOp || math.Abs(m.Metric.Limit-tt.wantLim) > 1e-9 {
				t.Errorf("limit %q %g, want %q %g", m.Metric.Op, m.Metric.Limit, tt.wantOp, tt.wantLim)
			}
		})
	}
}

// TestTrafficChecksOnNoData: a reading without the counters follows the check's on_no_data,
// for each traffic check alike.
func TestTrafficChecksOnNoData(t *testing.T) {
	t.Parallel()
	checks := map[string]func(TrafficConfig) Check{
		"error rate":  func(c TrafficConfig) Check { return NewErrorRate(c, analysis.ErrorRateRule{Threshold: 0.01}) },
		"p99 latency": func(c TrafficConfig) Check { return NewLatency(c, analysis.LatencyRule{Factor: 2}) },
		"throughput":  func(c TrafficConfig) Check { return NewThroughput(c, 0.5, 0) },
	}
	tests := []struct {
		policy string
		want   model.Measurement
	}{
		{"", model.Measurement{ProbeError: "no data: q", Message: "no data: q"}},
		{"inconclusive", model.Measurement{ProbeError: "no data: q", Message: "no data: q"}},
		{"pass", model.Measurement{Message: "no data (on_no_data: pass): q"}},
		{"fail", model.Measurement{Breach: true, Value: "no data", Message: "no data (on_no_data: fail): q"}},
	}
	for name, build := range checks {
		for _, tt := range tests {
			t.Run(name+"/"+tt.policy, func(t *testing.T) {
				t.Parallel()
				st := &scriptedTraffic{err: fmt.Errorf("%w: q", source.ErrNoData)}
				cfg := trafficConfig(name, st)
				cfg.OnNoData = tt.policy
				got := build(cfg).Run(t.Context())
				got.Metric, got.Latency = nil, 0
				tt.want.Check = name
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("measurement (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestHistogramCountFindsInf: buckets read from a query come in any order; the count is
// the +Inf bucket's wherever it is.
func TestHistogramCountFindsInf(t *testing.T) {
	t.Parallel()
	unsorted := source.Traffic{Buckets: []source.Bucket{{UpperBound: math.Inf(1), Count: 300}, {UpperBound: 0.1, Count: 250}, {UpperBound: 0.5, Count: 290}}}
	if got := histogramCount(unsorted); got != 300 {
		t.Errorf("count %g, want 300", got)
	}
	if got := histogramCount(source.Traffic{Buckets: []source.Bucket{{UpperBound: 0.1, Count: 5}}}); got != 0 {
		t.Errorf("count without a +Inf bucket %g, want 0", got)
	}
}
