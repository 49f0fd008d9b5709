package demo

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"time"
)

// route is one endpoint of the service.
type route int

// Routes. routeNone is any unknown path.
const (
	routeNone route = iota
	routeLive
	routeReady
	routeInfo
	routeStatus
	routeAuth
	routeListOrders
	routeCreateOrder
)

// routes maps path and method to a route; a path whose method is missing answers 405.
var routes = map[string]map[string]route{
	"/health/live":   {http.MethodGet: routeLive},
	"/health/ready":  {http.MethodGet: routeReady},
	"/health/info":   {http.MethodGet: routeInfo},
	"/api/v1/status": {http.MethodGet: routeStatus},
	"/auth/health":   {http.MethodPost: routeAuth},
	"/api/v1/orders": {http.MethodGet: routeListOrders, http.MethodPost: routeCreateOrder},
}

// ServeHTTP answers one request as the service in its current fault would, and records it
// in the request metrics unless it is a scrape of /metrics or got no answer.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		panic(http.ErrAbortHandler) // the server is going away; drop the connection
	}
	s.handlers.Add(1) // under mu, so Stop's Wait never races a new handler
	s.mu.Unlock()
	defer s.handlers.Done()

	if !s.waitWhileHung(r) {
		// No answer at all: returning would let net/http send an empty 200 before Stop
		// closes the connection.
		panic(http.ErrAbortHandler)
	}
	if r.URL.Path == metricsPath {
		s.serveMetrics(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	if !s.answer(rec, r) {
		panic(http.ErrAbortHandler) // as above: a slow answer cut short is no answer
	}
	s.metrics.observe(r.Method, r.URL.Path, rec.status(), time.Since(began))
}

// answer routes the request, waits its latency and writes the answer. It reports false
// when the request got no answer: the client gave up or the service stopped first.
func (s *Service) answer(w http.ResponseWriter, r *http.Request) bool {
	rt := routeNone
	if methods, ok := routes[r.URL.Path]; ok {
		var allowed bool
		if rt, allowed = methods[r.Method]; !allowed {
			w.Header().Set("Allow", allowHeader(methods))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method not allowed"})
			return true
		}
	}
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)) // a real API reads its input
	}
	if !s.sleep(r, s.delay(rt)) {
		return false
	}
	s.respond(w, r, rt)
	return true
}

// waitWhileHung blocks while FaultHang is in effect. It reports false when the request
// should get no answer: the client gave up or the service stopped.
func (s *Service) waitWhileHung(r *http.Request) bool {
	for {
		s.mu.Lock()
		f, changed := s.fault, s.changed
		s.mu.Unlock()
		switch f {
		case FaultCrash:
			panic(http.ErrAbortHandler) // a request racing the crash dies with the process
		case FaultHang:
		default:
			return true
		}
		select {
		case <-r.Context().Done():
			return false
		case <-s.stopped:
			return false
		case <-changed:
		}
	}
}

// sleep waits d, reporting false when the client gave up or the service stopped first.
func (s *Service) sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.stopped:
		return false
	}
}

// respond writes the route's answer for the state at the time of answering.
func (s *Service) respond(w http.ResponseWriter, r *http.Request, rt route) {
	s.mu.Lock()
	f := s.fault
	d, started := s.serving(f), s.startedAt
	if f == FaultVersion && s.previous != nil {
		started = d.at // the old process kept running; it never restarted
	}
	s.mu.Unlock()
	switch rt {
	case routeLive:
		writeJSON(w, http.StatusOK, statusBody{Status: "alive"})
	case routeReady:
		writeReady(w, f)
	case routeInfo:
		if f == FaultBadInfo {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, truncatedErrorPage)
			return
		}
		uptime := time.Since(started).Seconds()
		writeJSON(w, http.StatusOK, infoBody{
			Version:       d.release.Version,
			Commit:        d.release.Commit,
			DeployedAt:    d.at.UTC().Format(time.RFC3339),
			UptimeSeconds: math.Round(uptime*10) / 10,
		})
	case routeStatus:
		status := "ok"
		if f == FaultSmoke {
			status = "degraded"
		}
		writeJSON(w, http.StatusOK, apiStatusBody{Status: status, Version: d.release.Version})
	case routeAuth:
		if f == FaultSmoke {
			writeJSON(w, http.StatusInternalServerError,
				errorBody{Status: "error", Error: "token signing key unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
	case routeListOrders, routeCreateOrder:
		s.respondOrders(w, rt, f)
	default:
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not found", Path: r.URL.Path})
	}
}

// serving is the deployment /health/info reports under fault f; s.mu must be held.
func (s *Service) serving(f Fault) deployment {
	if f == FaultVersion && s.previous != nil {
		return *s.previous
	}
	return s.current
}

// writeReady answers the readiness endpoint: redis is a soft dependency (its failure keeps
// the service ready), the database a hard one.
func writeReady(w http.ResponseWriter, f Fault) {
	checks := map[string]string{"database": "ok", "redis": "ok"}
	status, code := "ready", http.StatusOK
	switch f {
	case FaultReadiness:
		checks["database"] = "error: connection pool exhausted"
		status, code = "not_ready", http.StatusServiceUnavailable
	case FaultDependency:
		checks["redis"] = "error: timeout"
	}
	writeJSON(w, code, readyBody{Status: status, Checks: checks})
}

// truncatedErrorPage is what a proxy in front of a broken info endpoint might send: HTML,
// cut off mid-stream.
const truncatedErrorPage = "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n" +
	"<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>ngi"

// Response bodies.
type (
	statusBody struct {
		Status string `json:"status"`
	}
	readyBody struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	infoBody struct {
		Version       string  `json:"version"`
		Commit        string  `json:"commit"`
		DeployedAt    string  `json:"deployed_at"`
		UptimeSeconds float64 `json:"uptime_seconds"`
	}
	apiStatusBody struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}
	errorBody struct {
		Status string `json:"status,omitempty"`
		Error  string `json:"error"`
		Path   string `json:"path,omitempty"`
	}
)

// writeJSON writes v as the JSON response with the given status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// allowHeader lists a path's methods for a 405 answer.
func allowHeader(methods map[string]route) string {
	if _, ok := methods[http.MethodPost]; ok {
		if _, ok := methods[http.MethodGet]; ok {
			return "GET, POST"
		}
		return "POST"
	}
	return "GET"
}
