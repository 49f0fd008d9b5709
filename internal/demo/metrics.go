package demo

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsPath is where the service exposes its Prometheus metrics.
const metricsPath = "/metrics"

// otherRoute is the route label of any path the service does not serve, so a scan of
// random paths cannot blow up the number of series.
const otherRoute = "other"

// metrics holds one service's request metrics. Each service has its own registry, never
// the global one, so that many services in one process (tests) keep separate counts.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  http.Handler
}

// newMetrics registers the two request families, named and labelled as instrumented
// services commonly do, so the default error-rate and latency queries find them.
func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by method, route template and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	// A bare registry and HandlerFor: no Go, process or handler metrics, so the exposition
	// holds exactly the two families above.
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

// observe records one answered request.
func (m *metrics) observe(method, path string, code int, took time.Duration) {
	method, route := methodLabel(method), routeLabel(path)
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(method, route).Observe(took.Seconds())
}

// serveMetrics answers a scrape. It skips the simulated latency, so only a hung or
// crashed process makes scrapes fail, as it would with a real exporter.
func (s *Service) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method not allowed"})
		return
	}
	s.metrics.handler.ServeHTTP(w, r)
}

// routeLabel is the route template of a path: the path itself for the service's routes
// (none has parameters), "other" for anything else.
func routeLabel(path string) string {
	if _, ok := routes[path]; ok {
		return path
	}
	return otherRoute
}

// methodLabel keeps the standard methods and folds anything else into "OTHER", bounding the
// label's values.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

// WriteHeader records the code and passes it on.
func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records the implicit 200 of a body written without a header.
func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status is the code written, 200 when the handler wrote nothing.
func (w *statusRecorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
