package scrape

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploywatch/deploywatch/internal/source"
)

// bk is a bucket, briefly.
func bk(upper, count float64) source.Bucket { return source.Bucket{UpperBound: upper, Count: count} }

var bounds = []float64{0.05, 0.1, 0.25, 0.5, 1, math.Inf(1)}

func TestHistogramWindowQuantile(t *testing.T) {
	t.Parallel()
	const name = "http_request_duration_seconds"
	// Two replicas, two label sets: everything is summed by le.
	a := newService(t, histogram(name,
		hist{`method="get"`, bounds, []float64{100, 120, 130, 140, 150, 150}},
		hist{`method="post"`, bounds, []float64{7, 7, 7, 7, 7, 7}}))
	b := newService(t, histogram(name, hist{`method="get"`, bounds, []float64{500, 600, 700, 800, 900, 1000}}))
	s := mustNew(t, Options{Targets: []string{a.url(), b.url()}})
	first := mustScrape(t, s)
	if len(first.Totals.Buckets) != 0 {
		t.Fatalf("first scrape buckets = %v, want none: it is only the starting point", first.Totals.Buckets)
	}

	// 100 requests: 60 under 50ms, 20 under 100ms, 10 under 250ms, 8 under 500ms, 2 under 1s.
	a.set(histogram(name,
		hist{`method="get"`, bounds, []float64{100 + 30, 120 + 40, 130 + 45, 140 + 49, 150 + 50, 150 + 50}},
		hist{`method="post"`, bounds, []float64{7 + 10, 7 + 15, 7 + 17, 7 + 19, 7 + 20, 7 + 20}}))
	// Replica b restarted: its buckets start again from zero and count whole.
	b.set(histogram(name, hist{`method="get"`, bounds, []float64{20, 25, 28, 30, 30, 30}}))
	second := mustScrape(t, s)

	w := Window(first, second)
	want := []source.Bucket{bk(0.05, 60), bk(0.1, 80), bk(0.25, 90), bk(0.5, 98), bk(1, 100), bk(math.Inf(1), 100)}
	if diff := cmp.Diff(want, w.Buckets); diff != "" {
		t.Fatalf("window buckets (-want +got):\n%s", diff)
	}
	tests := []struct {
		name string
		q    float64
		want float64
	}{
		{name: "p99_in_the_1s_bucket", q: 0.99, want: 0.75},
		{name: "p90_at_a_bound", q: 0.90, want: 0.25},
		{name: "p50_in_the_first_bucket", q: 0.50, want: 0.05 * 50 / 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := source.Quantile(tt.q, w.Buckets); math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestHistogramSeries(t *testing.T) {
	t.Parallel()
	const name = "latency_seconds"
	two := []float64{0.1, math.Inf(1)}
	three := []float64{0.1, 0.5, math.Inf(1)}
	tests := []struct {
		name   string
		bodies []string
		want   []source.Bucket // totals after the last scrape
	}{
		{
			name: "reset_when_any_bucket_drops",
			bodies: []string{
				histogram(name, hist{"", three, []float64{1, 5, 100}}),
				histogram(name, hist{"", three, []float64{3, 6, 7}}),
			},
			want: []source.Bucket{bk(0.1, 3), bk(0.5, 6), bk(math.Inf(1), 7)},
		},
		{
			name: "rebucketed_by_a_deploy_starts_over",
			bodies: []string{
				histogram(name, hist{"", two, []float64{1, 2}}),
				histogram(name, hist{"", two, []float64{2, 4}}),
				histogram(name, hist{"", three, []float64{5, 8, 9}}),
				histogram(name, hist{"", three, []float64{6, 10, 12}}),
			},
			want: []source.Bucket{bk(0.1, 2), bk(0.5, 2), bk(math.Inf(1), 5)},
		},
		{
			name: "count_stands_in_for_a_missing_inf_bucket",
			bodies: []string{
				"# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"0.1\"} 1\nlatency_seconds_count 3\n",
				"# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"0.1\"} 2\nlatency_seconds_count 7\n",
			},
			want: []source.Bucket{bk(0.1, 1), bk(math.Inf(1), 4)},
		},
		{
			name: "no_inf_bucket_nor_count_is_unusable",
			bodies: []string{
				"# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"0.1\"} 1\n",
				"# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"0.1\"} 2\n",
			},
		},
		{
			name: "summary_is_not_a_histogram",
			bodies: []string{
				"# TYPE latency_seconds summary\nlatency_seconds{quantile=\"0.99\"} 0.2\nlatency_seconds_count 3\n",
				"# TYPE latency_seconds summary\nlatency_seconds{quantile=\"0.99\"} 0.3\nlatency_seconds_count 9\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := newService(t, tt.bodies[0])
			s := mustNew(t, Options{Targets: []string{svc.url()}, DurationMetric: name})
			var snap Snapshot
			for _, body := range tt.bodies {
				svc.set(body)
				snap = mustScrape(t, s)
			}
			if diff := cmp.Diff(tt.want, snap.Totals.Buckets, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("buckets (-want +got):\n%s", diff)
			}
		})
	}
}
