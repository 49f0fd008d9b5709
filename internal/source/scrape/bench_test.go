package scrape

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// exposition2000 is a realistic 2,000-series scrape: a request counter by route, method
// and code (400 series), a latency histogram by route and method with the default
// buckets (1,400 series with _sum and _count), and 200 gauges of other business.
func exposition2000() string {
	bs := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, math.Inf(1)}
	reqs := map[string]float64{}
	var hs []hist
	for r := range 50 {
		for _, m := range []string{"get", "post"} {
			labels := fmt.Sprintf(`method=%q,route="/api/v1/resource%d"`, m, r)
			for i, code := range []string{"200", "404", "500", "503"} {
				reqs[fmt.Sprintf(`code=%q,%s`, code, labels)] = float64(1000*r + 10*i + 7)
			}
			counts := make([]float64, len(bs))
			for i := range counts {
				counts[i] = float64(100*r + 40*i)
			}
			hs = append(hs, hist{labels, bs, counts})
		}
	}
	var b strings.Builder
	b.WriteString("# HELP cache_entries Entries per shard.\n# TYPE cache_entries gauge\n")
	for i := range 200 {
		fmt.Fprintf(&b, "cache_entries{shard=\"%d\"} %d\n", i, 31*i)
	}
	b.WriteString(histogram(DefaultDurationMetric, hs...))
	b.WriteString(counter(DefaultRequestsMetric, reqs))
	return b.String()
}

func BenchmarkScrape(b *testing.B) {
	body := exposition2000()
	if n := strings.Count(body, "\n") - strings.Count(body, "#"); n != 2000 {
		b.Fatalf("exposition has %d series, want 2000", n)
	}
	svc := newService(b, body)
	s := mustNew(b, Options{Targets: []string{svc.url()}})
	mustScrape(b, s)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Scrape(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
