package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deploywatch/deploywatch/internal/source"
)

// Default metric names of the traffic checks, as instrumented services name them.
const (
	RequestsMetric = "http_requests_total"
	DurationMetric = "http_request_duration_seconds"
)

// PromTraffic reads a service's traffic from Prometheus. Instead of increase() over a
// growing window, which extrapolates and needs two scrapes inside the window, it reads the
// raw counter of every series and accumulates exact deltas per series from the start, with
// counter resets handled (a new pod's counter starts again at zero): the same arithmetic
// as the direct scrape, available as soon as one scrape happened after the start.
type PromTraffic struct {
	q                  source.Querier
	requests, buckets  string
	newest             string
	baseReq, baseBkt   string
	mu                 sync.Mutex
	reqAcc, bucketsAcc *accumulator
}

var (
	_ TrafficReader  = (*PromTraffic)(nil)
	_ BaselineReader = (*PromTraffic)(nil)
)

// NewPromTraffic reads the default metrics of the series selected by selector (label
// matchers such as `job="api"`, possibly empty).
func NewPromTraffic(q source.Querier, selector string) *PromTraffic {
	sel := "{" + selector + "}"
	return &PromTraffic{
		q:        q,
		requests: RequestsMetric + sel, buckets: DurationMetric + "_bucket" + sel,
		newest:  "max(timestamp(" + RequestsMetric + sel + "))",
		baseReq: "sum by (status, code) (increase(" + RequestsMetric + sel + "[%s]))",
		baseBkt: "sum by (le) (increase(" + DurationMetric + "_bucket" + sel + "[%s]))",
		reqAcc:  newAccumulator(), bucketsAcc: newAccumulator(),
	}
}

// BaselineP99s returns the p99 latency of every minute of (end−window, end]: the values a
// rank test compares the run's with.
func (p *PromTraffic) BaselineP99s(ctx context.Context, end time.Time, window time.Duration) ([]float64, error) {
	q := "histogram_quantile(0.99, sum by (le) (rate(" + p.buckets + "[1m])))"
	series, err := p.q.QueryRange(ctx, q, end.Add(-window), end, time.Minute)
	if err != nil {
		return nil, err
	}
	var out []float64
	for _, s := range series {
		for _, pt := range s.Points {
			if !math.IsNaN(pt.V) && !math.IsInf(pt.V, 0) {
				out = append(out, pt.V)
			}
		}
	}
	return out, nil
}

// RequestsQuery is the selector of the request counter, for messages and the preflight.
func (p *PromTraffic) RequestsQuery() string { return p.requests }

// BucketsQuery is the selector of the latency histogram.
func (p *PromTraffic) BucketsQuery() string { return p.buckets }

// Start records every series' value at the start: the zero point of the run's counts.
// Series that appear later (new pods) count from zero.
func (p *PromTraffic) Start(ctx context.Context, at time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range []struct {
		q   string
		acc *accumulator
	}{{p.requests, p.reqAcc}, {p.buckets, p.bucketsAcc}} {
		samples, err := p.q.Query(ctx, x.q, at)
		if err != nil && !errors.Is(err, source.ErrNoData) {
			return fmt.Errorf("read the counters at the start: %w", err)
		}
		x.acc.start(samples)
	}
	return nil
}

// Read returns the traffic since the start.
func (p *PromTraffic) Read(ctx context.Context) (source.Traffic, error) {
	now := time.Now()
	reqs, err := p.q.Query(ctx, p.requests, now)
	if err != nil {
		return source.Traffic{}, err
	}
	bkts, err := p.q.Query(ctx, p.buckets, now)
	if err != nil && !errors.Is(err, source.ErrNoData) {
		return source.Traffic{}, err
	}
	// The newest sample's time: an instant query answers at `now` with whatever was last
	// scraped, so the data's own time is what a rate must divide by. Without it, `now`, the
	// time the counters were read at, stands in: not when the read ended, which a backend
	// hanging on this last query puts a whole timeout later (a rate divided by that is a
	// traffic drop that never happened).
	t := source.Traffic{At: now}
	if ts, err := p.q.Query(ctx, p.newest, now); err == nil && len(ts) > 0 && ts[0].Value > 0 {
		t.At = time.UnixMilli(int64(math.Round(ts[0].Value * 1000)))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqAcc.add(reqs)
	p.bucketsAcc.add(bkts)
	for key, total := range p.reqAcc.totals() {
		t.Requests += total
		if isServerError(p.reqAcc.labels[key]) {
			t.Errors += total
		}
	}
	t.Buckets = byBound(p.bucketsAcc)
	return t, nil
}

// Baseline returns the traffic of (end−window, end] with increase(), which is fine for a
// long window.
func (p *PromTraffic) Baseline(ctx context.Context, end time.Time, window time.Duration) (source.Traffic, error) {
	w := promDuration(window)
	reqs, err := p.q.Query(ctx, fmt.Sprintf(p.baseReq, w), end)
	if err != nil {
		return source.Traffic{}, err
	}
	t := source.Traffic{Span: window}
	for _, s := range reqs {
		t.Requests += s.Value
		if isServerError(s.Labels) {
			t.Errors += s.Value
		}
	}
	bkts, err := p.q.Query(ctx, fmt.Sprintf(p.baseBkt, w), end)
	if err != nil && !errors.Is(err, source.ErrNoData) {
		return source.Traffic{}, err
	}
	for _, s := range bkts {
		if ub, ok := upperBound(s.Labels); ok {
			t.Buckets = append(t.Buckets, source.Bucket{UpperBound: ub, Count: s.Value})
		}
	}
	// Cumulative buckets in ascending order, as the quantile and the count expect them.
	sort.Slice(t.Buckets, func(i, j int) bool { return t.Buckets[i].UpperBound < t.Buckets[j].UpperBound })
	return t, nil
}

// promDuration writes a duration as PromQL does (whole seconds).
func promDuration(d time.Duration) string {
	return strconv.Itoa(int(math.Max(math.Round(d.Seconds()), 1))) + "s"
}

var serverError = regexp.MustCompile(`^5\d\d$`)

// isServerError reads the status of a series from `status` (the seed's label) or `code`
// (client_golang's promhttp).
func isServerError(labels map[string]string) bool {
	return serverError.MatchString(labels["status"]) || serverError.MatchString(labels["code"])
}

func upperBound(labels map[string]string) (float64, bool) {
	le, ok := labels["le"]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(le, 64)
	return v, err == nil
}

// byBound sums the accumulated bucket series by their upper bound.
func byBound(acc *accumulator) []source.Bucket {
	sums := map[float64]float64{}
	for key, total := range acc.totals() {
		if ub, ok := upperBound(acc.labels[key]); ok {
			sums[ub] += total
		}
	}
	out := make([]source.Bucket, 0, len(sums))
	for ub, c := range sums {
		out = append(out, source.Bucket{UpperBound: ub, Count: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UpperBound < out[j].UpperBound })
	return out
}

// accumulator turns raw counter samples into per-series totals since a zero point.
type accumulator struct {
	last   map[string]float64
	missed map[string]int
	total  map[string]float64
	labels map[string]map[string]string
}

// forgetAfter is how many answers in a row a series may be missing from (a failed scrape,
// a slow target) before it is forgotten.
const forgetAfter = 3

func newAccumulator() *accumulator {
	return &accumulator{last: map[string]float64{}, missed: map[string]int{}, total: map[string]float64{}, labels: map[string]map[string]string{}}
}

func (a *accumulator) start(samples []source.Sample) {
	for _, s := range samples {
		k := seriesKey(s.Labels)
		a.last[k], a.labels[k] = s.Value, s.Labels
	}
}

// add takes the latest values: the growth since the last value of each series, or the
// whole value after a reset or for a series that did not exist at the start.
func (a *accumulator) add(samples []source.Sample) {
	seen := make(map[string]bool, len(samples))
	for _, s := range samples {
		k := seriesKey(s.Labels)
		seen[k] = true
		prev, known := a.last[k]
		delta := s.Value - prev
		if !known || delta < 0 {
			delta = s.Value
		}
		a.total[k] += delta
		a.last[k], a.labels[k] = s.Value, s.Labels
	}
	// A series gone from the answers (a pod replaced) keeps its total but stops being
	// tracked after a few misses, so memory follows the live series while one missed scrape
	// does not make its whole counter count again.
	for k := range a.last {
		if seen[k] {
			delete(a.missed, k)
			continue
		}
		if a.missed[k]++; a.missed[k] >= forgetAfter {
			delete(a.last, k)
			delete(a.missed, k)
		}
	}
}

func (a *accumulator) totals() map[string]float64 { return a.total }

// seriesKey identifies a series by its sorted label set.
func seriesKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
		b.WriteByte(0)
	}
	return b.String()
}
