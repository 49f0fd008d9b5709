package demo

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metric family names the service exposes.
const (
	requestsTotal   = "http_requests_total"
	requestDuration = "http_request_duration_seconds"
)

// parseExposition parses a text exposition the way a scraper does.
func parseExposition(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// scrape fetches and parses the service's /metrics over the network.
func scrape(t *testing.T, s *Service) map[string]*dto.MetricFamily {
	t.Helper()
	a := mustDo(t, http.MethodGet, s.URL()+metricsPath)
	if a.code != http.StatusOK || !strings.HasPrefix(a.contentType, "text/plain") {
		t.Fatalf("GET /metrics = %d %q, want 200 text/plain", a.code, a.contentType)
	}
	return parseExposition(t, a.body)
}

// scrapeDirect parses /metrics answered by the handler itself, for synctest bubbles.
func scrapeDirect(t *testing.T, s *Service) map[string]*dto.MetricFamily {
	t.Helper()
	rec := serveDirect(s, http.MethodGet, metricsPath)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200", rec.Code)
	}
	return parseExposition(t, rec.Body.String())
}

// samples flattens families into `name{label="value",...}` keys: counters give their value,
// histograms their _count (the _sum, a real duration, is left to sums).
func samples(fams map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				out[seriesKey(name, m)] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				out[seriesKey(name+"_count", m)] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// sums maps each histogram series to its _sum in seconds.
func sums(fams map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				out[seriesKey(name+"_sum", m)] = h.GetSampleSum()
			}
		}
	}
	return out
}

// seriesKey writes a series the way PromQL prints it, labels sorted.
func seriesKey(name string, m *dto.Metric) string {
	labels := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	slices.Sort(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}

func TestMetricsCountRequests(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	send := func(n int, method, path string) {
		for range n {
			mustDo(t, method, s.URL()+path)
		}
	}
	send(10, http.MethodGet, "/api/v1/status")
	send(3, http.MethodGet, "/health/live")
	send(2, http.MethodPost, "/auth/health")
	send(2, http.MethodGet, "/wp-login.php")
	send(1, http.MethodGet, "/auth/health")
	send(1, "PROPFIND", "/health/live")
	send(2, http.MethodGet, metricsPath) // scrapes are not counted
	s.SetFault(FaultReadiness)
	send(4, http.MethodGet, "/health/ready")
	s.SetFault(FaultNone)
	send(1, http.MethodGet, "/health/ready")

	fams := scrape(t, s)
	if got := slices.Sorted(maps.Keys(fams)); !slices.Equal(got, []string{requestDuration, requestsTotal}) {
		t.Errorf("families = %v, want only the two request families", got)
	}
	want := map[string]float64{
		`http_requests_total{method="GET",route="/api/v1/status",status="200"}`:    10,
		`http_requests_total{method="GET",route="/health/live",status="200"}`:      3,
		`http_requests_total{method="POST",route="/auth/health",status="200"}`:     2,
		`http_requests_total{method="GET",route="other",status="404"}`:             2,
		`http_requests_total{method="GET",route="/auth/health",status="405"}`:      1,
		`http_requests_total{method="OTHER",route="/health/live",status="405"}`:    1,
		`http_requests_total{method="GET",route="/health/ready",status="503"}`:     4,
		`http_requests_total{method="GET",route="/health/ready",status="200"}`:     1,
		`http_request_duration_seconds_count{method="GET",route="/api/v1/status"}`: 10,
		`http_request_duration_seconds_count{method="GET",route="/health/live"}`:   3,
		`http_request_duration_seconds_count{method="POST",route="/auth/health"}`:  2,
		`http_request_duration_seconds_count{method="GET",route="other"}`:          2,
		`http_request_duration_seconds_count{method="GET",route="/auth/health"}`:   1,
		`http_request_duration_seconds_count{method="OTHER",route="/health/live"}`: 1,
		`http_request_duration_seconds_count{method="GET",route="/health/ready"}`:  5,
	}
	if diff := cmp.Diff(want, samples(fams)); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	// The status endpoint's drawn latency is ~5ms; ten answers cannot sum to less than a few.
	if sum := sums(fams)[`http_request_duration_seconds_sum{method="GET",route="/api/v1/status"}`]; sum < 0.01 {
		t.Errorf("status duration sum = %vs, want the simulated latency included", sum)
	}
	var bounds []float64
	for _, b := range fams[requestDuration].GetMetric()[0].GetHistogram().GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
	}
	// The parser keeps the +Inf bucket the exposition always ends with.
	if diff := cmp.Diff(append(slices.Clone(prometheus.DefBuckets), math.Inf(1)), bounds); diff != "" {
		t.Errorf("bucket bounds (-want +got):\n%s", diff)
	}
}

func TestMetricsAreIndependentPerService(t *testing.T) {
	t.Parallel()
	a, b := startTest(t), startTest(t)
	for range 3 {
		mustDo(t, http.MethodGet, a.URL()+"/health/live")
	}
	for range 5 {
		mustDo(t, http.MethodGet, b.URL()+"/api/v1/status")
	}
	tests := []struct {
		name string
		s    *Service
		want map[string]float64
	}{
		{name: "first", s: a, want: map[string]float64{
			`http_requests_total{method="GET",route="/health/live",status="200"}`:    3,
			`http_request_duration_seconds_count{method="GET",route="/health/live"}`: 3,
		}},
		{name: "second", s: b, want: map[string]float64{
			`http_requests_total{method="GET",route="/api/v1/status",status="200"}`:    5,
			`http_request_duration_seconds_count{method="GET",route="/api/v1/status"}`: 5,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, samples(scrape(t, tc.s))); diff != "" {
				t.Errorf("series (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetricsEndpointMethods(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	tests := []struct {
		name   string
		method string
		code   int
	}{
		{name: "get", method: http.MethodGet, code: http.StatusOK},
		{name: "head", method: http.MethodHead, code: http.StatusOK},
		{name: "post_is_refused", method: http.MethodPost, code: http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := mustDo(t, tc.method, s.URL()+metricsPath); got.code != tc.code {
				t.Errorf("%s /metrics = %d, want %d", tc.method, got.code, tc.code)
			}
		})
	}
}

func TestUnansweredRequestsRecordNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   Fault
		path    string
		release func(s *Service, cancel context.CancelFunc)
	}{
		{name: "hang_abandoned_by_the_client", fault: FaultHang, path: "/health/live",
			release: func(_ *Service, cancel context.CancelFunc) { cancel() }},
		{name: "slow_answer_abandoned_by_the_client", fault: FaultSlow, path: "/api/v1/orders",
			release: func(_ *Service, cancel context.CancelFunc) { cancel() }},
		{name: "hang_dropped_by_stop", fault: FaultHang, path: "/health/ready",
			release: func(s *Service, _ context.CancelFunc) { s.Stop() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newService(Options{}, 1)
				s.SetFault(tc.fault)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				done := make(chan struct{})
				var dropped bool
				go func() {
					defer close(done)
					req := httptest.NewRequestWithContext(ctx, http.MethodGet, tc.path, nil)
					dropped = serveOrDrop(s, httptest.NewRecorder(), req)
				}()
				time.Sleep(time.Second) // the handler is waiting: hung, or inside its 1.5s delay
				synctest.Wait()
				tc.release(s, cancel)
				<-done
				if !dropped {
					t.Error("an unanswered request was answered, want it dropped")
				}
				// The registry outlives Stop, so read it directly rather than through ServeHTTP.
				rec := httptest.NewRecorder()
				s.metrics.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metricsPath, nil))
				if got := samples(parseExposition(t, rec.Body.String())); len(got) != 0 {
					t.Errorf("series after an unanswered request = %v, want none", got)
				}
			})
		})
	}
}

func TestMetricsHangWithTheProcess(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newService(Options{}, 1)
		serveDirect(s, http.MethodGet, "/health/live")
		s.SetFault(FaultHang)
		var rec *httptest.ResponseRecorder
		done := make(chan struct{})
		go func() {
			defer close(done)
			rec = serveDirect(s, http.MethodGet, metricsPath)
		}()
		time.Sleep(time.Hour)
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("/metrics answered while the process hung")
		default:
		}
		s.SetFault(FaultNone)
		<-done
		want := map[string]float64{
			`http_requests_total{method="GET",route="/health/live",status="200"}`:    1,
			`http_request_duration_seconds_count{method="GET",route="/health/live"}`: 1,
		}
		if diff := cmp.Diff(want, samples(parseExposition(t, rec.Body.String()))); diff != "" {
			t.Errorf("series after the hang (-want +got):\n%s", diff)
		}
	})
}
