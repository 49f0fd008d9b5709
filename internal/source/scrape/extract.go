package scrape

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/deploywatch/deploywatch/internal/source"
)

// reading is what one scrape of one target says about the service's traffic: the raw,
// cumulative values of the series deploywatch follows.
type reading struct {
	counters []counterSample
	hists    []histSample
	// started is the process's process_start_time_seconds (Unix seconds); 0 when the
	// target does not expose it.
	started float64
}

// counterSample is one series of the request counter.
type counterSample struct {
	key   string // the full label set
	value float64
	// isError marks a 5xx series.
	isError bool
}

// histSample is one series of the latency histogram: cumulative counts by ascending
// bound, the last one +Inf.
type histSample struct {
	key    string // the label set, le aside
	bounds []float64
	counts []float64
}

// valueFunc reads a series' value; false when it has none usable.
type valueFunc func(*dto.Metric) (float64, bool)

// extract reads the request counter and the latency histogram out of a scrape.
func extract(fams map[string]*dto.MetricFamily, requests, duration string) reading {
	var r reading
	if mf, value, err := requestsFamily(fams, requests); mf != nil && err == nil {
		r.counters = make([]counterSample, 0, len(mf.GetMetric()))
		for _, m := range mf.GetMetric() {
			v, ok := value(m)
			if !ok {
				continue
			}
			r.counters = append(r.counters, counterSample{key: labelKey(m.GetLabel()), value: v, isError: isError(m.GetLabel())})
		}
	}
	r.started = processStart(fams)
	if mf := fams[duration]; mf != nil && mf.GetType() == dto.MetricType_HISTOGRAM {
		r.hists = make([]histSample, 0, len(mf.GetMetric()))
		for _, m := range mf.GetMetric() {
			if h, ok := histogramOf(m); ok {
				r.hists = append(r.hists, h)
			}
		}
	}
	return r
}

// processStartMetric is the process collector's gauge of every client library: when the
// target's process started, in Unix seconds.
const processStartMetric = "process_start_time_seconds"

// processStart reads the target's process start; 0 when it is absent or not a plausible
// time (a gauge of NaN, or beyond year 5000).
func processStart(fams map[string]*dto.MetricFamily) float64 {
	mf := fams[processStartMetric]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0
	}
	m := mf.GetMetric()[0]
	var v float64
	switch {
	case m.Gauge != nil:
		v = m.GetGauge().GetValue()
	case m.Untyped != nil:
		v = m.GetUntyped().GetValue()
	default:
		return 0
	}
	if !(v > 0 && v < 1e11) {
		return 0
	}
	return v
}

// lifetime sums the target's raw counters: its traffic since its process started (each
// series counts from its creation, which for a labelled counter is its first increment).
// A duplicate series counts once, as in apply.
func (r reading) lifetime() source.Traffic {
	var t source.Traffic
	seen := make(map[string]bool, len(r.counters))
	for _, c := range r.counters {
		if seen[c.key] {
			continue
		}
		seen[c.key] = true
		t.Requests += c.value
		if c.isError {
			t.Errors += c.value
		}
	}
	sums := map[float64]float64{}
	hseen := make(map[string]bool, len(r.hists))
	for _, h := range r.hists {
		if hseen[h.key] {
			continue
		}
		hseen[h.key] = true
		for i, c := range h.counts {
			sums[h.bounds[i]] += c
		}
	}
	for _, ub := range slices.Sorted(maps.Keys(sums)) {
		t.Buckets = append(t.Buckets, source.Bucket{UpperBound: ub, Count: sums[ub]})
	}
	return t
}

// requestsFamily finds the request counter: a counter, an untyped series (an exposition
// without TYPE lines, or OpenMetrics' "_total" read as text), or the _count of a
// histogram. It returns nil, nil, nil when the scrape has no such metric, and an error
// when the name is there with a type that counts nothing.
func requestsFamily(fams map[string]*dto.MetricFamily, name string) (*dto.MetricFamily, valueFunc, error) {
	if mf := fams[name]; mf != nil {
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return mf, func(m *dto.Metric) (float64, bool) { return counted(m.GetCounter().GetValue(), m.Counter != nil) }, nil
		case dto.MetricType_UNTYPED:
			return mf, func(m *dto.Metric) (float64, bool) { return counted(m.GetUntyped().GetValue(), m.Untyped != nil) }, nil
		default:
			return nil, nil, fmt.Errorf("metric %q is a %s, not a counter", name, strings.ToLower(mf.GetType().String()))
		}
	}
	// The text parser folds "<h>_count" into the histogram family <h>.
	if base, ok := strings.CutSuffix(name, "_count"); ok {
		if mf := fams[base]; mf != nil && mf.GetType() == dto.MetricType_HISTOGRAM {
			return mf, func(m *dto.Metric) (float64, bool) {
				h := m.GetHistogram()
				if h.SampleCountFloat != nil {
					return counted(h.GetSampleCountFloat(), true)
				}
				return counted(float64(h.GetSampleCount()), h.SampleCount != nil)
			}, nil
		}
	}
	return nil, nil, nil
}

// maxCount is the largest count accepted: float64 counts exactly up to 2^53, no request
// counter gets there, and larger values summed over series overflow to +Inf, whose
// differences are NaN.
const maxCount = 1 << 53

// counted accepts a present counter value that a counter can hold.
func counted(v float64, present bool) (float64, bool) {
	return v, present && v >= 0 && v <= maxCount
}

// histogramOf reads one histogram series. A series without a +Inf bucket takes its _count
// as one (they are the same number); without either it is unusable.
func histogramOf(m *dto.Metric) (histSample, bool) {
	h := m.GetHistogram()
	if h == nil {
		return histSample{}, false
	}
	n := len(h.GetBucket())
	hs := histSample{key: labelKey(m.GetLabel()), bounds: make([]float64, 0, n+1), counts: make([]float64, 0, n+1)}
	for _, b := range h.GetBucket() {
		c := float64(b.GetCumulativeCount())
		if b.CumulativeCountFloat != nil {
			c = b.GetCumulativeCountFloat()
		}
		// A bucket of observations at or below -Inf holds none, and its bound would turn
		// the quantile's interpolation into NaN.
		if _, ok := counted(c, true); !ok || math.IsNaN(b.GetUpperBound()) || math.IsInf(b.GetUpperBound(), -1) {
			continue
		}
		hs.bounds = append(hs.bounds, b.GetUpperBound())
		hs.counts = append(hs.counts, c)
	}
	if !sortedUnique(hs.bounds) {
		return histSample{}, false
	}
	if n := len(hs.bounds); n == 0 || !math.IsInf(hs.bounds[n-1], 1) {
		var total float64
		switch {
		case h.SampleCountFloat != nil:
			total = h.GetSampleCountFloat()
		case h.SampleCount != nil:
			total = float64(h.GetSampleCount())
		default:
			return histSample{}, false
		}
		// The parser lets a _count of NaN or +Inf through; it must not poison the totals.
		if _, ok := counted(total, true); !ok {
			return histSample{}, false
		}
		hs.counts = append(hs.counts, total)
		hs.bounds = append(hs.bounds, math.Inf(1))
	}
	return hs, true
}

// sortedUnique reports whether bounds ascend strictly, as every client library writes
// them; anything else is not a histogram deploywatch can difference safely.
func sortedUnique(bounds []float64) bool {
	for i := 1; i < len(bounds); i++ {
		if bounds[i] <= bounds[i-1] {
			return false
		}
	}
	return true
}

// isError reports a 5xx series, by the status label (hand-rolled instrumentation) or the
// code label (client_golang's promhttp).
func isError(labels []*dto.LabelPair) bool {
	for _, l := range labels {
		if n := l.GetName(); n != "status" && n != "code" {
			continue
		}
		if v := l.GetValue(); len(v) == 3 && v[0] == '5' && isDigit(v[1]) && isDigit(v[2]) {
			return true
		}
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// labelKey identifies a series by its labels, whatever order the exposition lists them in.
func labelKey(labels []*dto.LabelPair) string {
	if !slices.IsSortedFunc(labels, byName) {
		labels = slices.SortedFunc(slices.Values(labels), byName)
	}
	n := 0
	for _, l := range labels {
		n += len(l.GetName()) + len(l.GetValue()) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for _, l := range labels {
		// 0xff never occurs in UTF-8, so names and values cannot run into each other.
		b.WriteString(l.GetName())
		b.WriteByte(0xff)
		b.WriteString(l.GetValue())
		b.WriteByte(0xff)
	}
	return b.String()
}

func byName(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) }
