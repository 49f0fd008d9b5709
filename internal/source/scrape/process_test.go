package scrape

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/source"
)

// startGauge writes the process collector's gauge of a process started at t.
func startGauge(t time.Time) string {
	return "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n" +
		"# TYPE process_start_time_seconds gauge\n" +
		"process_start_time_seconds " + strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64) + "\n"
}

// exposition is one target's /metrics: requests by code, a latency histogram, and its
// process start when not zero.
func exposition(ok, failed float64, counts []float64, started time.Time) string {
	s := counter("http_requests_total", map[string]float64{`code="200"`: ok, `code="503"`: failed}) +
		histogram("http_request_duration_seconds", hist{bounds: []float64{0.1, 0.25, math.Inf(1)}, counts: counts})
	if !started.IsZero() {
		s += startGauge(started)
	}
	return s
}

// TestFirstScrapeLifetime: the counters at a target's first scrape are its process's whole
// traffic (the old version's, when the process predates the deploy); the running totals
// still start from that scrape. Whether they are old is decided by the processes' starts.
func TestFirstScrapeLifetime(t *testing.T) {
	t.Parallel()
	deploy := time.Now().Add(-time.Minute)
	tests := []struct {
		name       string
		starts     [2]time.Time
		wantOld    bool
		wantWhy    string
		wantRateOK bool
	}{
		{name: "old_processes", starts: [2]time.Time{deploy.Add(-3 * time.Hour), deploy.Add(-time.Hour)}, wantOld: true, wantRateOK: true},
		{name: "fresh_process", starts: [2]time.Time{deploy.Add(-time.Hour), deploy.Add(20 * time.Second)}, wantWhy: "1 of 2 targets started after the deploy start", wantRateOK: true},
		{name: "start_not_exposed", starts: [2]time.Time{deploy.Add(-time.Hour), {}}, wantWhy: "exposes no process_start_time_seconds, so its counters may be the new version's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newService(t, exposition(30_000, 30, []float64{29_900, 30_010, 30_030}, tt.starts[0]))
			b := newService(t, exposition(11_160, 10, []float64{11_100, 11_165, 11_170}, tt.starts[1]))
			s := mustNew(t, Options{Targets: []string{a.url(), b.url()}})
			first := mustScrape(t, s)
			if first.Totals.Requests != 0 {
				t.Errorf("the running totals start at the first scrape: %+v", first.Totals)
			}
			want := source.Traffic{Requests: 41_200, Errors: 40, Buckets: []source.Bucket{{UpperBound: 0.1, Count: 41_000}, {UpperBound: 0.25, Count: 41_175}, {UpperBound: math.Inf(1), Count: 41_200}}}
			if diff := cmp.Diff(want, first.Lifetime()); diff != "" {
				t.Errorf("lifetime (-want +got):\n%s", diff)
			}
			old, why := first.StartedBefore(deploy)
			if old != tt.wantOld || !strings.Contains(why, tt.wantWhy) {
				t.Errorf("StartedBefore = %v, %q; want %v, %q", old, why, tt.wantOld, tt.wantWhy)
			}
			rate, ok := first.LifetimeRate()
			if ok != tt.wantRateOK {
				t.Fatalf("LifetimeRate ok = %v", ok)
			}
			if ok {
				// Each target's requests over its process's age, summed.
				wantRate := 30_030/first.At.Sub(first.Processes[0].Started).Seconds() + 11_170/first.At.Sub(first.Processes[1].Started).Seconds()
				if math.Abs(rate-wantRate) > 1e-9 {
					t.Errorf("rate %v, want %v", rate, wantRate)
				}
			}
			// Later traffic adds to the totals from zero, as before.
			b.set(exposition(11_260, 10, []float64{11_200, 11_265, 11_270}, tt.starts[1]))
			if next := mustScrape(t, s); next.Totals.Requests != 100 {
				t.Errorf("totals after the first scrape: %+v", next.Totals)
			}
		})
	}
}

func TestProcessStartOddValues(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		"# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds NaN\n",
		"# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds -5\n",
		"# TYPE process_start_time_seconds counter\nprocess_start_time_seconds 1.7e9\n",
	} {
		s := mustNew(t, Options{Targets: []string{newService(t, counter("http_requests_total", map[string]float64{`code="200"`: 5})+body).url()}})
		snap := mustScrape(t, s)
		if _, _, ok := snap.Started(); ok {
			t.Errorf("%q read as a process start: %v", body, snap.Processes[0].Started)
		}
	}
}
