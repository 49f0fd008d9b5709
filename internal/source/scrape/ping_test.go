package scrape

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		requests string
		// wantErr are substrings of the error, in order; none for a passing preflight.
		wantErr []string
	}{
		{name: "counter_exposed", body: fixture(t, "service.prom")},
		{name: "histogram_count_exposed", body: fixture(t, "service.prom"), requests: "http_request_duration_seconds_count"},
		{
			name: "counter_missing_lists_the_service_metrics_first", body: fixture(t, "service.prom"), requests: "requests_total",
			wantErr: []string{
				`no metric "requests_total"`,
				"exposed: http_request_duration_seconds, http_requests_total, orders_in_flight, go_gc_duration_seconds, go_goroutines, go_info, go_memstats_alloc_bytes, go_threads, process_cpu_seconds_total, process_open_fds and 4 more",
			},
		},
		{name: "nothing_exposed", body: "# no metrics yet\n", wantErr: []string{`no metric "http_requests_total": the endpoint exposes no metrics`}},
		{name: "wrong_type", body: fixture(t, "service.prom"), requests: "orders_in_flight", wantErr: []string{`metric "orders_in_flight" is a gauge, not a counter`}},
		{name: "invalid_body", body: fixture(t, "invalid.prom"), wantErr: []string{"text format parsing error in line 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := newService(t, tt.body)
			s := mustNew(t, Options{Targets: []string{svc.url()}, RequestsMetric: tt.requests})
			err := s.Ping(context.Background())
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Ping: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Ping passed, want an error")
			}
			rest := err.Error()
			for _, want := range append([]string{svc.url()}, tt.wantErr...) {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("Ping error %q: want %q (in order)", err, want)
				}
				rest = rest[i+len(want):]
			}
		})
	}
}

func TestPingLeavesTotalsAlone(t *testing.T) {
	t.Parallel()
	svc := newService(t, counter("http_requests_total", map[string]float64{`code="200"`: 1}))
	s := mustNew(t, Options{Targets: []string{svc.url()}})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc.set(counter("http_requests_total", map[string]float64{`code="200"`: 5}))
	if snap := mustScrape(t, s); snap.Totals.Requests != 0 {
		t.Fatalf("requests = %v after the first scrape, want 0: Ping must not be a starting point", snap.Totals.Requests)
	}
}

func TestPingNamesEveryFailingTarget(t *testing.T) {
	t.Parallel()
	good := newService(t, fixture(t, "service.prom"))
	denied := newService(t, "")
	denied.fail(http.StatusUnauthorized, "missing bearer token\n")
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	s := mustNew(t, Options{Targets: []string{good.url(), denied.url(), down.URL + "/metrics?token=abc123"}})
	err := s.Ping(context.Background())
	if err == nil {
		t.Fatal("Ping passed with two targets failing")
	}
	msg := err.Error()
	for _, want := range []string{
		denied.url() + ": HTTP 401 Unauthorized: missing bearer token",
		down.URL + "/metrics?token=REDACTED: dial tcp",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Ping error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, good.url()) || strings.Contains(msg, "abc123") {
		t.Errorf("Ping error %q names the good target or leaks the token", msg)
	}
}

// TestSecretsStayOutOfErrors collects every error a scraper can produce with secret
// headers and a token in a URL, including servers that echo the secrets back.
func TestSecretsStayOutOfErrors(t *testing.T) {
	t.Parallel()
	const (
		bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ"
		apiKey = "k3y-0f-the-kingdom"
		token  = "q-tok-42xyz"
	)
	secrets := []string{"eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ", apiKey, token}
	echo := func(status int, format string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprintf(w, format, r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	denied := echo(http.StatusForbidden, "token %s / %s is not allowed")
	garbled := echo(http.StatusOK, "http_requests_total{code=\"200\"} %s\nkey %s\n")
	quoted := echo(http.StatusOK, "# TYPE x counter\nx{a=\"%s\",b=\"%s\"} 1\n")
	var (
		mu   sync.Mutex
		seen http.Header
	)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = r.Header.Clone()
		fmt.Fprint(w, "# TYPE other_total counter\nother_total 1\n")
	}))
	t.Cleanup(plain.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	targets := []string{
		denied.URL + "/metrics", garbled.URL + "/metrics", quoted.URL + "/metrics",
		plain.URL + "/metrics?access_token=" + token, down.URL + "/metrics?api_key=" + token,
	}
	s := mustNew(t, Options{Targets: targets, Headers: http.Header{"Authorization": {bearer}, "X-Api-Key": {apiKey}}, Timeout: time.Second})
	var errs []error
	snap, err := s.Scrape(context.Background())
	errs = append(errs, err)
	errs = append(errs, snap.Failures...)
	errs = append(errs, s.Ping(context.Background()))
	if len(snap.Failures) != 3 || errs[len(errs)-1] == nil {
		t.Fatalf("failures %v, ping %v: want three failed scrapes and a failed ping", snap.Failures, errs[len(errs)-1])
	}
	mu.Lock()
	defer mu.Unlock()
	if seen.Get("Authorization") != bearer || seen.Get("X-Api-Key") != apiKey {
		t.Fatalf("the headers did not reach the target: %v", seen)
	}
	for _, e := range errs {
		if e == nil {
			continue
		}
		for _, secret := range secrets {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("error leaks %q: %v", secret, e)
			}
		}
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("X-Api-Key") != "")
		fmt.Fprint(w, fixture(t, "service.prom"))
	}))
	t.Cleanup(other.Close)
	mux := http.NewServeMux()
	mux.Handle("/elsewhere", http.RedirectHandler(other.URL+"/metrics", http.StatusFound))
	mux.Handle("/old-metrics", http.RedirectHandler("/metrics", http.StatusMovedPermanently))
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, fixture(t, "service.prom")) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	headers := http.Header{"X-Api-Key": {"secret-value"}}

	s := mustNew(t, Options{Targets: []string{srv.URL + "/old-metrics"}, Headers: headers})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("redirect within the host: %v", err)
	}
	s = mustNew(t, Options{Targets: []string{srv.URL + "/elsewhere"}, Headers: headers})
	err := s.Ping(context.Background())
	if err == nil || !strings.Contains(err.Error(), "refused redirect to another host") || leaked.Load() {
		t.Fatalf("redirect to another host: error %v, headers sent there: %v; want it refused", err, leaked.Load())
	}
}

func TestPingTellsAMissingCounterFromAnOutage(t *testing.T) {
	t.Parallel()
	quiet := newService(t, "# TYPE go_goroutines gauge\ngo_goroutines 7\n").srv
	sc, err := New(Options{Targets: []string{quiet.URL}})
	if err != nil {
		t.Fatal(err)
	}
	err = sc.Ping(t.Context())
	if !errors.Is(err, ErrNoCounter) || strings.Count(err.Error(), "http_requests_total") != 1 {
		t.Errorf("missing counter: %v", err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	sc, _ = New(Options{Targets: []string{quiet.URL, down.URL}})
	if err := sc.Ping(t.Context()); err == nil || errors.Is(err, ErrNoCounter) {
		t.Errorf("an unreachable target is not a missing counter: %v", err)
	}
}
