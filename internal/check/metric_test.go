package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
)

// scriptedQuerier answers queries from functions keyed by the query text; it stands for a
// PromQL backend in unit tests (the end-to-end tests use a real Prometheus).
type scriptedQuerier struct {
	mu      sync.Mutex
	instant map[string]func(at time.Time) ([]source.Sample, error)
	ranges  map[string]func(start, end time.Time) ([]source.Series, error)
	calls   []string
}

func (q *scriptedQuerier) Query(_ context.Context, query string, at time.Time) ([]source.Sample, error) {
	q.mu.Lock()
	q.calls = append(q.calls, query)
	f, ok := q.instant[query]
	q.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unexpected query %q", query)
	}
	return f(at)
}

func (q *scriptedQuerier) QueryRange(_ context.Context, query string, start, end time.Time, _ time.Duration) ([]source.Series, error) {
	q.mu.Lock()
	q.calls = append(q.calls, "range "+query)
	f, ok := q.ranges[query]
	q.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("unexpected range query %q", query)
	}
	return f(start, end)
}

func (q *scriptedQuerier) Ping(context.Context) error { return nil }

func value(v float64) func(time.Time) ([]source.Sample, error) {
	return func(time.Time) ([]source.Sample, error) { return []source.Sample{{Value: v}}, nil }
}

func flat(vs ...float64) func(time.Time, time.Time) ([]source.Series, error) {
	return func(start, _ time.Time) ([]source.Series, error) {
		s := source.Series{}
		for i, v := range vs {
			s.Points = append(s.Points, source.Point{T: start.Add(time.Duration(i) * time.Minute), V: v})
		}
		return []source.Series{s}, nil
	}
}

func TestQueryCheck(t *testing.T) {
	t.Parallel()
	spec := model.CheckSpec{Name: "queue", Kind: model.KindQuery, Severity: model.SeverityWarning}
	noData := func(time.Time) ([]source.Sample, error) { return nil, fmt.Errorf("%w: q", source.ErrNoData) }
	tests := []struct {
		name     string
		cfg      QueryConfig
		now      func(time.Time) ([]source.Sample, error)
		baseline func(time.Time, time.Time) ([]source.Series, error)
		want     model.Measurement
	}{
		{"absolute_pass", QueryConfig{Op: ">", Threshold: 1000}, value(400), flat(300, 500, 350),
			model.Measurement{Value: "400", Expected: "≤ 1000", Baseline: "350", Message: "400 (limit > 1000; baseline 350)"}},
		{"absolute_breach", QueryConfig{Op: ">", Threshold: 1000}, value(1500), flat(300),
			model.Measurement{Breach: true, Value: "1500", Expected: "≤ 1000", Baseline: "300", Message: "1500 (limit > 1000; baseline 300)"}},
		{"relative_down", QueryConfig{Op: "<", Threshold: 0.5, Relative: true, Unit: model.UnitPerSec}, value(20), flat(100, 90, 110),
			model.Measurement{Breach: true, Value: "20/s", Expected: "≥ 50/s", Baseline: "100/s", Message: "20/s (limit < 50/s = 0.5x the baseline 100/s)"}},
		{"relative_without_baseline_pending", QueryConfig{Op: ">", Threshold: 2, Relative: true}, value(3),
			func(time.Time, time.Time) ([]source.Series, error) { return nil, fmt.Errorf("%w: q", source.ErrNoData) },
			model.Measurement{Insufficient: true, Value: "3", Message: "3 now; no baseline to apply 2x to (no data: q)"}},
		{"no_data_inconclusive", QueryConfig{Op: ">", Threshold: 1, OnNoData: "inconclusive", Query: "q"}, noData, flat(1),
			model.Measurement{ProbeError: "no data: q", Message: "no data: q"}},
		{"no_data_pass", QueryConfig{Op: ">", Threshold: 1, OnNoData: "pass", Query: "q"}, noData, flat(1),
			model.Measurement{Message: "no data (on_no_data: pass): q"}},
		{"no_data_fail", QueryConfig{Op: ">", Threshold: 1, OnNoData: "fail", Query: "q"}, noData, flat(1),
			model.Measurement{Breach: true, Value: "no data", Message: "no data (on_no_data: fail): q"}},
		{"several_series", QueryConfig{Op: ">", Threshold: 1},
			func(time.Time) ([]source.Sample, error) { return []source.Sample{{Value: 1}, {Value: 2}}, nil }, flat(1),
			model.Measurement{ProbeError: "the query returns 2 series; aggregate it to one value (sum, max, avg)", Message: "the query returns 2 series; aggregate it to one value (sum, max, avg)"}},
		{"per_series_names_the_worst", QueryConfig{Op: ">", Threshold: 0.9, Unit: model.UnitRatio, PerSeries: true}, pods(0.42, 0.97, 0.63), podSeries(0.5, 0.6),
			model.Measurement{Breach: true, Value: "97%", Expected: "≤ 90%", Baseline: "60%",
				Message: "pod shop/api-7d4b9c-b container api: 97% (limit > 90%; baseline 60%), the worst of 3"}},
		{"per_series_lower_is_worse", QueryConfig{Op: "<", Threshold: 0.2, Unit: model.UnitRatio, PerSeries: true}, pods(0.42, 0.97, 0.63), podSeries(0.5, 0.6),
			model.Measurement{Value: "42%", Expected: "≥ 20%", Baseline: "50%",
				Message: "pod shop/api-7d4b9c-a container api: 42% (limit < 20%; baseline 50%), the worst of 3"}},
		{"per_series_one_series", QueryConfig{Op: ">", Threshold: 0.9, Unit: model.UnitRatio, PerSeries: true}, pods(0.5), podSeries(0.5, 0.5),
			model.Measurement{Value: "50%", Expected: "≤ 90%", Baseline: "50%",
				Message: "pod shop/api-7d4b9c-a container api: 50% (limit > 90%; baseline 50%), the worst of 1"}},
		{"rejected_query", QueryConfig{Op: ">", Threshold: 1},
			func(time.Time) ([]source.Sample, error) {
				return nil, &source.QueryError{Query: "q", Reason: "parse error"}
			}, flat(1),
			model.Measurement{ProbeError: "the backend rejects the query: parse error", Message: "the backend rejects the query: parse error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.cfg.Query == "" {
				tt.cfg.Query = "sum(queue_depth)"
			}
			q := &scriptedQuerier{instant: map[string]func(time.Time) ([]source.Sample, error){tt.cfg.Query: tt.now},
				ranges: map[string]func(time.Time, time.Time) ([]source.Series, error){tt.cfg.Query: tt.baseline}}
			tt.cfg.Spec, tt.cfg.Querier = spec, q
			tt.cfg.Baseline = Baseline{Start: time.Now(), Window: 30 * time.Minute}
			c := NewQuery(tt.cfg)
			if err := c.Prepare(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := c.Run(t.Context())
			if got.Metric == nil {
				t.Fatal("no metric value")
			}
			got.Metric, got.Latency = nil, 0
			tt.want.Check = "queue"
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("measurement (-want +got):\n%s", diff)
			}
		})
	}
}

// pods answers one series per pod of a Deployment, as the CPU and memory queries do.
func pods(vs ...float64) func(time.Time) ([]source.Sample, error) {
	return func(time.Time) ([]source.Sample, error) {
		var out []source.Sample
		for i, v := range vs {
			out = append(out, source.Sample{Value: v, Labels: map[string]string{
				"namespace": "shop", "pod": "api-7d4b9c-" + string(rune('a'+i)), "container": "api"}})
		}
		return out, nil
	}
}

// podSeries answers a range of two pods whose worst per step is hi, lo, hi: the baseline is
// the median of the worst (hi when op is ">"), and lo for "<".
func podSeries(lo, hi float64) func(time.Time, time.Time) ([]source.Series, error) {
	return func(start, _ time.Time) ([]source.Series, error) {
		at := func(i int) time.Time { return start.Add(time.Duration(i) * time.Minute) }
		return []source.Series{
			{Labels: map[string]string{"pod": "a"}, Points: []source.Point{{T: at(0), V: hi}, {T: at(1), V: lo}, {T: at(2), V: hi}}},
			{Labels: map[string]string{"pod": "b"}, Points: []source.Point{{T: at(0), V: lo}, {T: at(1), V: hi}, {T: at(2), V: lo}}},
		}, nil
	}
}

func TestQueryBaselineMostPermissive(t *testing.T) {
	t.Parallel()
	calls := 0
	q := &scriptedQuerier{instant: map[string]func(time.Time) ([]source.Sample, error){"q": value(1)},
		ranges: map[string]func(time.Time, time.Time) ([]source.Series, error){"q": func(start, end time.Time) ([]source.Series, error) {
			calls++
			return flat([]float64{100, 250, 180}[calls-1])(start, end)
		}}}
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		op   string
		want float64
	}{{">", 250}, {"<", 100}} {
		calls = 0
		c := NewQuery(QueryConfig{Spec: model.CheckSpec{Name: "q"}, Querier: q, Query: "q", Op: tt.op, Threshold: 2, Relative: true,
			Baseline: Baseline{Start: start, Window: 30 * time.Minute, Offsets: []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}}})
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		if calls != 3 || c.baseline != tt.want {
			t.Errorf("op %s: %d windows read, baseline %v, want 3 and %v", tt.op, calls, c.baseline, tt.want)
		}
	}
}

func labelled(v float64, kv ...string) source.Sample {
	l := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return source.Sample{Labels: l, Value: v}
}

func TestPromTrafficAccumulates(t *testing.T) {
	t.Parallel()
	// Two pods; pod b restarts (its counter drops) and pod c appears after the start.
	rounds := [][]source.Sample{
		{labelled(1000, "pod", "a", "status", "200"), labelled(10, "pod", "a", "status", "500"), labelled(500, "pod", "b", "code", "200")},
		{labelled(1100, "pod", "a", "status", "200"), labelled(12, "pod", "a", "status", "500"), labelled(560, "pod", "b", "code", "200")},
		{labelled(1200, "pod", "a", "status", "200"), labelled(15, "pod", "a", "status", "500"), labelled(40, "pod", "b", "code", "200"),
			labelled(30, "pod", "c", "code", "503")},
		// pod a missing from one answer (a failed scrape), back in the next.
		{labelled(60, "pod", "b", "code", "200"), labelled(35, "pod", "c", "code", "503")},
		{labelled(1250, "pod", "a", "status", "200"), labelled(15, "pod", "a", "status", "500"), labelled(60, "pod", "b", "code", "200"),
			labelled(35, "pod", "c", "code", "503")},
	}
	i := 0
	sel := `job="api"`
	q := &scriptedQuerier{instant: map[string]func(time.Time) ([]source.Sample, error){
		`http_requests_total{job="api"}`: func(time.Time) ([]source.Sample, error) { return rounds[i], nil },
		`http_request_duration_seconds_bucket{job="api"}`: func(time.Time) ([]source.Sample, error) {
			return []source.Sample{labelled(float64(10*i), "le", "0.1"), labelled(float64(12*i), "le", "+Inf")}, nil
		},
		// The newest sample's time, in seconds: round i was scraped at 1000+i s.
		`max(timestamp(http_requests_total{job="api"}))`: func(time.Time) ([]source.Sample, error) {
			return []source.Sample{{Value: 1000 + float64(i) + 0.25}}, nil
		},
	}}
	p := NewPromTraffic(q, sel)
	if err := p.Start(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	want := []source.Traffic{
		{Requests: 100 + 2 + 60, Errors: 2},
		{Requests: 200 + 5 + 60 + 40 + 30, Errors: 5 + 30},
		{Requests: 200 + 5 + 60 + 60 + 35, Errors: 5 + 35},
		{Requests: 250 + 5 + 60 + 60 + 35, Errors: 5 + 35},
	}
	for i = 1; i < len(rounds); i++ {
		got, err := p.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		w := want[i-1]
		if got.Requests != w.Requests || got.Errors != w.Errors {
			t.Errorf("round %d: requests %v errors %v, want %v and %v", i, got.Requests, got.Errors, w.Requests, w.Errors)
		}
		if len(got.Buckets) != 2 || !math.IsInf(got.Buckets[1].UpperBound, 1) || got.Buckets[1].Count != float64(12*i) {
			t.Errorf("round %d: buckets %+v", i, got.Buckets)
		}
		if want := time.UnixMilli(int64(1000+i)*1000 + 250); !got.At.Equal(want) {
			t.Errorf("round %d: data time %s, want the newest sample's %s", i, got.At, want)
		}
	}
}

func TestPromTrafficBaseline(t *testing.T) {
	t.Parallel()
	q := &scriptedQuerier{instant: map[string]func(time.Time) ([]source.Sample, error){
		`sum by (status, code) (increase(http_requests_total{}[1800s]))`: func(time.Time) ([]source.Sample, error) {
			return []source.Sample{labelled(9990, "status", "200"), labelled(10, "status", "503")}, nil
		},
		`sum by (le) (increase(http_request_duration_seconds_bucket{}[1800s]))`: func(time.Time) ([]source.Sample, error) {
			return []source.Sample{labelled(9000, "le", "0.1"), labelled(10000, "le", "+Inf")}, nil
		},
	}}
	got, err := NewPromTraffic(q, "").Baseline(t.Context(), time.Now(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got.Requests != 10000 || got.Errors != 10 || math.Abs(source.Quantile(0.5, got.Buckets)-0.1*5000/9000) > 1e-12 {
		t.Errorf("baseline = %+v (median %v)", got, source.Quantile(0.5, got.Buckets))
	}
}

func TestFeedSharesReadingsWithinARound(t *testing.T) {
	t.Parallel()
	n := 0
	r := readerFunc(func(context.Context) (source.Traffic, error) {
		n++
		return source.Traffic{Requests: float64(100 * n)}, nil
	})
	f := NewFeed(r)
	for range 3 {
		if _, _, err := f.Latest(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 {
		t.Errorf("%d reads in one round, want 1", n)
	}
	if w, d := f.Since(time.Now().Add(-time.Minute)); w.Requests != 0 || d != 0 {
		t.Errorf("a window needs two readings: %+v %v", w, d)
	}
	bad := NewFeed(readerFunc(func(context.Context) (source.Traffic, error) { return source.Traffic{}, errors.New("down") }))
	if _, _, err := bad.Latest(t.Context()); err == nil || !strings.Contains(err.Error(), "down") {
		t.Errorf("err = %v", err)
	}
}

type readerFunc func(context.Context) (source.Traffic, error)

func (f readerFunc) Read(ctx context.Context) (source.Traffic, error) { return f(ctx) }

func TestSub(t *testing.T) {
	t.Parallel()
	prev := source.Traffic{Requests: 100, Errors: 5, Buckets: []source.Bucket{{UpperBound: 0.1, Count: 80}, {UpperBound: math.Inf(1), Count: 100}}}
	cur := source.Traffic{Requests: 150, Errors: 4, Buckets: []source.Bucket{{UpperBound: 0.1, Count: 100}, {UpperBound: math.Inf(1), Count: 150}}}
	got := Sub(cur, prev)
	if got.Requests != 50 || got.Errors != 0 || got.Buckets[0].Count != 20 || got.Buckets[1].Count != 50 {
		t.Errorf("Sub = %+v", got)
	}
}
