package scrape

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func parse(t testing.TB, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func TestExtractFixtures(t *testing.T) {
	t.Parallel()
	defBuckets := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, math.Inf(1)}
	tests := []struct {
		name     string
		file     string
		requests float64
		errors   float64
		series   int
		// bounds of every histogram series, and the sum of their +Inf buckets.
		bounds  []float64
		latency float64
	}{
		{name: "client_golang_service", file: "service.prom", requests: 1805, errors: 22, series: 6, bounds: defBuckets, latency: 1805},
		{name: "status_label", file: "status_label.prom", requests: 413, errors: 6, series: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := extract(parse(t, fixture(t, tt.file)), DefaultRequestsMetric, DefaultDurationMetric)
			var requests, errors, latency float64
			for _, c := range r.counters {
				requests += c.value
				if c.isError {
					errors += c.value
				}
			}
			if requests != tt.requests || errors != tt.errors || len(r.counters) != tt.series {
				t.Errorf("%d series, %v requests, %v errors; want %d, %v, %v", len(r.counters), requests, errors, tt.series, tt.requests, tt.errors)
			}
			for _, h := range r.hists {
				if diff := cmp.Diff(tt.bounds, h.bounds); diff != "" {
					t.Errorf("bounds of %q (-want +got):\n%s", h.key, diff)
				}
				latency += h.counts[len(h.counts)-1]
			}
			if latency != tt.latency {
				t.Errorf("histogram observations = %v, want %v", latency, tt.latency)
			}
		})
	}
}

func TestLabelKeyIgnoresOrder(t *testing.T) {
	t.Parallel()
	a := parse(t, "x{code=\"200\",method=\"get\"} 1\n")["x"].GetMetric()[0].GetLabel()
	b := parse(t, "x{method=\"get\",code=\"200\"} 1\n")["x"].GetMetric()[0].GetLabel()
	c := parse(t, "x{method=\"get\",code=\"20\"} 1\n")["x"].GetMetric()[0].GetLabel()
	if labelKey(a) != labelKey(b) {
		t.Errorf("same labels in another order: keys %q and %q differ", labelKey(a), labelKey(b))
	}
	if labelKey(a) == labelKey(c) {
		t.Errorf("different labels share the key %q", labelKey(a))
	}
}
