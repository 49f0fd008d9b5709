package scrape

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/deploywatch/deploywatch/internal/source"
)

// TestRealClientGolang scrapes what the real client_golang library serves (gzipped, with
// its runtime metrics) rather than hand-written exposition.
func TestRealClientGolang(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."}, []string{"code", "method"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Latency.", Buckets: prometheus.DefBuckets}, []string{"method"})
	reg.MustRegister(requests, latency, collectors.NewGoCollector())
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)

	// Traffic before the first scrape is history, not the window.
	for range 5 {
		requests.WithLabelValues("200", "get").Inc()
		latency.WithLabelValues("get").Observe(3)
	}
	requests.WithLabelValues("500", "post")
	latency.WithLabelValues("post")

	s := mustNew(t, Options{Targets: []string{srv.URL}})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	first := mustScrape(t, s)
	for range 90 {
		requests.WithLabelValues("200", "get").Inc()
		latency.WithLabelValues("get").Observe(0.02)
	}
	for range 10 {
		requests.WithLabelValues("500", "post").Inc()
		latency.WithLabelValues("post").Observe(0.3)
	}
	w := Window(first, mustScrape(t, s))

	if w.Requests != 100 || w.Errors != 10 {
		t.Errorf("window: %v requests, %v errors; want 100, 10", w.Requests, w.Errors)
	}
	if got := count(w.Buckets, math.Inf(1)); got != 100 {
		t.Errorf("window histogram holds %v observations, want 100", got)
	}
	// 90 in (0.01, 0.025], 10 in (0.25, 0.5]: PromQL's linear interpolation.
	for q, want := range map[float64]float64{0.99: 0.25 + 0.25*9/10, 0.5: 0.01 + 0.015*50/90} {
		if got := source.Quantile(q, w.Buckets); math.Abs(got-want) > 1e-9 {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func count(bs []source.Bucket, bound float64) float64 {
	for _, b := range bs {
		if b.UpperBound == bound {
			return b.Count
		}
	}
	return math.NaN()
}
