package scrape

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/source"
)

func TestNew(t *testing.T) {
	t.Parallel()
	ok := "http://127.0.0.1:9090/metrics"
	tests := []struct {
		name    string
		opts    Options
		wantErr string // "" for valid options
	}{
		{name: "defaults", opts: Options{Targets: []string{ok}}},
		{name: "no_target", opts: Options{}, wantErr: "no target"},
		{name: "relative_url", opts: Options{Targets: []string{"/metrics"}}, wantErr: "not an absolute http(s) URL"},
		{name: "other_scheme", opts: Options{Targets: []string{"ftp://host/metrics"}}, wantErr: "not an absolute http(s) URL"},
		{name: "no_host", opts: Options{Targets: []string{"http:///metrics"}}, wantErr: "no host"},
		{name: "listed_twice", opts: Options{Targets: []string{ok, ok}}, wantErr: "listed twice"},
		{name: "password_redacted", opts: Options{Targets: []string{"ftp://u:hunter22@host/metrics"}}, wantErr: "ftp://u:REDACTED@host/metrics"},
		{name: "selector_as_name", opts: Options{Targets: []string{ok}, RequestsMetric: `http_requests_total{job="api"}`}, wantErr: "is not a metric name"},
		{name: "utf8_name", opts: Options{Targets: []string{ok}, RequestsMetric: "http.server.requests"}},
		{name: "bucket_suffix", opts: Options{Targets: []string{ok}, DurationMetric: "latency_seconds_bucket"}, wantErr: "without _bucket"},
		{name: "negative_timeout", opts: Options{Targets: []string{ok}, Timeout: -time.Second}, wantErr: "negative timeout"},
		{name: "negative_body_limit", opts: Options{Targets: []string{ok}, MaxBody: -1}, wantErr: "negative body limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "hunter22"):
				t.Fatalf("New error leaks the URL password: %v", err)
			}
		})
	}
}

func TestScrapeCounters(t *testing.T) {
	t.Parallel()
	type step struct {
		body string
		want source.Traffic
	}
	code := func(series map[string]float64) string { return counter("http_requests_total", series) }
	tests := []struct {
		name  string
		opts  Options
		steps []step
	}{
		{
			name: "first_scrape_is_the_starting_point_then_deltas",
			steps: []step{
				{code(map[string]float64{`code="200",method="get"`: 10, `code="500",method="get"`: 1}), source.Traffic{}},
				{code(map[string]float64{`code="200",method="get"`: 15, `code="500",method="get"`: 3}), source.Traffic{Requests: 7, Errors: 2}},
				{code(map[string]float64{`code="200",method="get"`: 20, `code="500",method="get"`: 3}), source.Traffic{Requests: 12, Errors: 2}},
			},
		},
		{
			name: "counter_reset_counts_the_new_value_whole",
			steps: []step{
				{code(map[string]float64{`code="200"`: 100, `code="503"`: 8}), source.Traffic{}},
				{code(map[string]float64{`code="200"`: 110, `code="503"`: 9}), source.Traffic{Requests: 11, Errors: 1}},
				// The pod restarted: both counters start over from zero.
				{code(map[string]float64{`code="200"`: 4, `code="503"`: 2}), source.Traffic{Requests: 17, Errors: 3}},
				{code(map[string]float64{`code="200"`: 6, `code="503"`: 2}), source.Traffic{Requests: 19, Errors: 3}},
			},
		},
		{
			// client_golang creates the code="500" series at the first 500: all of it is new.
			name: "series_born_mid_run_counts_whole",
			steps: []step{
				{code(map[string]float64{`code="200"`: 10}), source.Traffic{}},
				{code(map[string]float64{`code="200"`: 12, `code="500"`: 5}), source.Traffic{Requests: 7, Errors: 5}},
				{code(map[string]float64{`code="200"`: 12, `code="500"`: 7}), source.Traffic{Requests: 9, Errors: 7}},
			},
		},
		{
			name: "status_label_convention",
			steps: []step{
				{fixture(t, "status_label.prom"), source.Traffic{}},
				{counter("http_requests_total", map[string]float64{
					`route="/",status="200"`: 320, `route="/api/orders",status="200"`: 100,
					`route="/api/orders",status="502"`: 9, `route="/api/orders",status="429"`: 4,
				}), source.Traffic{Requests: 20, Errors: 3}},
			},
		},
		{
			name: "only_three_digit_5xx_codes_are_errors",
			steps: []step{
				{code(map[string]float64{`code="5xx"`: 0, `code="499"`: 0, `code="500"`: 0, `code="599"`: 0, `code="5000"`: 0, `status="504"`: 0}), source.Traffic{}},
				{code(map[string]float64{`code="5xx"`: 1, `code="499"`: 1, `code="500"`: 1, `code="599"`: 1, `code="5000"`: 1, `status="504"`: 1}), source.Traffic{Requests: 6, Errors: 3}},
			},
		},
		{
			name: "series_back_within_three_misses_keeps_its_last_value",
			steps: []step{
				{code(map[string]float64{`code="200"`: 10, `code="500"`: 10}), source.Traffic{}},
				{code(map[string]float64{`code="200"`: 11}), source.Traffic{Requests: 1}},
				{code(map[string]float64{`code="200"`: 11, `code="500"`: 14}), source.Traffic{Requests: 5, Errors: 4}},
			},
		},
		{
			// Gone for three scrapes, a series is a pod that went away; back, it is a new
			// process whose counter started at zero.
			name: "series_back_after_three_misses_counts_as_new",
			steps: []step{
				{code(map[string]float64{`code="200"`: 10, `code="500"`: 10}), source.Traffic{}},
				{code(map[string]float64{`code="200"`: 10}), source.Traffic{}},
				{code(map[string]float64{`code="200"`: 10}), source.Traffic{}},
				{code(map[string]float64{`code="200"`: 10}), source.Traffic{}},
				{code(map[string]float64{`code="200"`: 10, `code="500"`: 4}), source.Traffic{Requests: 4, Errors: 4}},
				{code(map[string]float64{`code="200"`: 10, `code="500"`: 5}), source.Traffic{Requests: 5, Errors: 5}},
			},
		},
		{
			name: "histogram_count_as_request_counter",
			opts: Options{RequestsMetric: "latency_seconds_count"},
			steps: []step{
				{histogram("latency_seconds", hist{`code="200"`, []float64{0.1, math.Inf(1)}, []float64{5, 6}}, hist{`code="500"`, []float64{0.1, math.Inf(1)}, []float64{1, 1}}), source.Traffic{}},
				{histogram("latency_seconds", hist{`code="200"`, []float64{0.1, math.Inf(1)}, []float64{7, 9}}, hist{`code="500"`, []float64{0.1, math.Inf(1)}, []float64{1, 2}}), source.Traffic{Requests: 4, Errors: 1}},
			},
		},
		{
			name: "untyped_counter",
			steps: []step{
				{"http_requests_total{code=\"200\"} 1\nhttp_requests_total{code=\"500\"} 1\n", source.Traffic{}},
				{"http_requests_total{code=\"200\"} 3\nhttp_requests_total{code=\"500\"} 2\n", source.Traffic{Requests: 3, Errors: 1}},
			},
		},
		{
			name: "gauge_is_not_counted",
			steps: []step{
				{"# TYPE http_requests_total gauge\nhttp_requests_total 1\n", source.Traffic{}},
				{"# TYPE http_requests_total gauge\nhttp_requests_total 5\n", source.Traffic{}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := newService(t, tt.steps[0].body)
			tt.opts.Targets = []string{svc.url()}
			s := mustNew(t, tt.opts)
			for i, st := range tt.steps {
				svc.set(st.body)
				snap := mustScrape(t, s)
				if diff := cmp.Diff(st.want, snap.Totals); diff != "" {
					t.Fatalf("step %d: totals (-want +got):\n%s", i+1, diff)
				}
			}
		})
	}
}

func TestScrapeForgetsVanishedSeries(t *testing.T) {
	t.Parallel()
	svc := newService(t, counter("http_requests_total", map[string]float64{`pod="a"`: 1, `pod="b"`: 1}))
	s := mustNew(t, Options{Targets: []string{svc.url()}})
	mustScrape(t, s)
	svc.set(counter("http_requests_total", map[string]float64{`pod="a"`: 2}))
	for i := range maxMisses {
		mustScrape(t, s)
		want := 2
		if i == maxMisses-1 {
			want = 1
		}
		if got := len(s.states[0].counters); got != want {
			t.Fatalf("after %d misses: %d series remembered, want %d", i+1, got, want)
		}
	}
}

func TestScrapeTargets(t *testing.T) {
	t.Parallel()
	a := newService(t, counter("http_requests_total", map[string]float64{`code="200"`: 10, `code="500"`: 1}))
	b := newService(t, counter("http_requests_total", map[string]float64{`code="200"`: 70, `code="500"`: 5}))
	s := mustNew(t, Options{Targets: []string{a.url(), b.url()}})
	mustScrape(t, s)

	a.set(counter("http_requests_total", map[string]float64{`code="200"`: 20, `code="500"`: 2}))
	b.set(counter("http_requests_total", map[string]float64{`code="200"`: 75, `code="500"`: 8}))
	snap := mustScrape(t, s)
	if diff := cmp.Diff(source.Traffic{Requests: 19, Errors: 4}, snap.Totals); diff != "" {
		t.Fatalf("both answering: totals (-want +got):\n%s", diff)
	}
	if snap.Answered != 2 || len(snap.Failures) != 0 {
		t.Fatalf("both answering: answered %d, failures %v", snap.Answered, snap.Failures)
	}

	// One replica down: its failure is reported, the other still counts.
	b.fail(http.StatusServiceUnavailable, "upstream connect error\n")
	a.set(counter("http_requests_total", map[string]float64{`code="200"`: 25, `code="500"`: 2}))
	snap = mustScrape(t, s)
	if diff := cmp.Diff(source.Traffic{Requests: 24, Errors: 4}, snap.Totals); diff != "" {
		t.Fatalf("one down: totals (-want +got):\n%s", diff)
	}
	if snap.Answered != 1 || len(snap.Failures) != 1 {
		t.Fatalf("one down: answered %d, failures %v", snap.Answered, snap.Failures)
	}
	if msg := snap.Failures[0].Error(); !strings.Contains(msg, b.url()) || !strings.Contains(msg, "HTTP 503 Service Unavailable: upstream connect error") {
		t.Fatalf("failure %q should name %s and its status", msg, b.url())
	}

	// All down: an error, and the totals stand.
	a.srv.Close()
	snap, err := s.Scrape(context.Background())
	if err == nil || !strings.Contains(err.Error(), "none of 2 targets answered") || !strings.Contains(err.Error(), a.url()) {
		t.Fatalf("all down: error %v, want none answered naming %s", err, a.url())
	}
	if snap.Answered != 0 || len(snap.Failures) != 2 || snap.Totals.Requests != 24 {
		t.Fatalf("all down: snapshot %+v", snap)
	}
}

func TestScrapeTargetErrors(t *testing.T) {
	t.Parallel()
	big := fixture(t, "service.prom")
	tests := []struct {
		name    string
		body    string
		ctype   string
		opts    Options
		wantErr string
	}{
		{name: "invalid_body", body: fixture(t, "invalid.prom"), wantErr: `text format parsing error in line 4: expected float as value, got "four"`},
		{name: "html_page", body: "<html><body>Sign in</body></html>\n", ctype: "text/html", wantErr: `not Prometheus text format (content type "text/html")`},
		{name: "protobuf", body: "\x00\x01", ctype: "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", wantErr: "protobuf"},
		{name: "body_over_limit", body: big, opts: Options{MaxBody: 1000}, wantErr: "body exceeds 1000 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := newService(t, tt.body)
			if tt.ctype != "" {
				svc.setType(tt.ctype)
			}
			tt.opts.Targets = []string{svc.url()}
			s := mustNew(t, tt.opts)
			_, err := s.Scrape(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), svc.url()) {
				t.Fatalf("error = %v, want it to name %s and contain %q", err, svc.url(), tt.wantErr)
			}
		})
	}
}

func TestScrapeBodyAtLimit(t *testing.T) {
	t.Parallel()
	body := fixture(t, "service.prom")
	svc := newService(t, body)
	s := mustNew(t, Options{Targets: []string{svc.url()}, MaxBody: int64(len(body))})
	mustScrape(t, s)
}

func TestScrapeTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hung.Close)
	t.Cleanup(func() { close(release) })
	s := mustNew(t, Options{Targets: []string{hung.URL}, Timeout: 50 * time.Millisecond})
	_, err := s.Scrape(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a timeout wrapping context.DeadlineExceeded", err)
	}
}

func TestScrapeCancelled(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixture(t, "service.prom"))
	s := mustNew(t, Options{Targets: []string{svc.url()}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Scrape(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func TestScrapeRequest(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixture(t, "service.prom"))
	s := mustNew(t, Options{Targets: []string{svc.url()}, UserAgent: "deploywatch/1.2.3", Timeout: 2 * time.Second,
		Headers: http.Header{"X-Scope-Orgid": {"team-a"}}})
	before := time.Now()
	snap := mustScrape(t, s)
	if snap.At.Before(before) || snap.At.After(time.Now()) {
		t.Errorf("At = %v, not during the scrape", snap.At)
	}
	got := svc.lastHeader()
	want := map[string]string{
		"Accept":                              accept,
		"User-Agent":                          "deploywatch/1.2.3",
		"X-Scope-Orgid":                       "team-a",
		"X-Prometheus-Scrape-Timeout-Seconds": "2",
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, got.Get(k), v)
		}
	}
}

func TestScrapeConcurrentCalls(t *testing.T) {
	t.Parallel()
	svc := newService(t, counter("http_requests_total", map[string]float64{`code="200"`: 1}))
	s := mustNew(t, Options{Targets: []string{svc.url()}})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				if _, err := s.Scrape(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if s.states[0].scrapes != 20 {
		t.Fatalf("%d scrapes recorded, want 20", s.states[0].scrapes)
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	snap := func(req, errs float64, bs ...source.Bucket) Snapshot {
		return Snapshot{Totals: source.Traffic{Requests: req, Errors: errs, Buckets: bs}}
	}
	tests := []struct {
		name      string
		prev, cur Snapshot
		want      source.Traffic
	}{
		{name: "difference", prev: snap(10, 1, source.Bucket{UpperBound: 0.1, Count: 8}, source.Bucket{UpperBound: inf, Count: 10}),
			cur:  snap(25, 3, source.Bucket{UpperBound: 0.1, Count: 18}, source.Bucket{UpperBound: inf, Count: 25}),
			want: source.Traffic{Requests: 15, Errors: 2, Buckets: []source.Bucket{{UpperBound: 0.1, Count: 10}, {UpperBound: inf, Count: 15}}}},
		{name: "bound_new_since_prev", prev: snap(10, 0, source.Bucket{UpperBound: inf, Count: 10}),
			cur:  snap(12, 0, source.Bucket{UpperBound: 0.5, Count: 1}, source.Bucket{UpperBound: inf, Count: 12}),
			want: source.Traffic{Requests: 2, Buckets: []source.Bucket{{UpperBound: 0.5, Count: 1}, {UpperBound: inf, Count: 2}}}},
		{name: "never_negative", prev: snap(10, 5, source.Bucket{UpperBound: inf, Count: 10}), cur: snap(4, 1, source.Bucket{UpperBound: inf, Count: 4}),
			want: source.Traffic{Buckets: []source.Bucket{{UpperBound: inf, Count: 0}}}},
		{name: "from_zero_snapshot", cur: snap(7, 1), want: source.Traffic{Requests: 7, Errors: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Window(tt.prev, tt.cur)); diff != "" {
				t.Fatalf("Window (-want +got):\n%s", diff)
			}
		})
	}
}
