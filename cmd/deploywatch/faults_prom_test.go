package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/testutil/promserver"
)

// TestFaultPrometheus runs the binary against a real Prometheus (scraping the demo service
// under traffic, with a healthy history backfilled) reached through a fault-injecting
// proxy on loopback, and breaks Prometheus in every way the monitor must survive. What the
// README promises: a backend that cannot serve the run at the start ends it at once with
// exit 3 and the reason; later, Prometheus's failures are probe errors with their own
// budget — within it the run goes on, past it the run is inconclusive; no data (NaN or an
// empty answer) is never a pass; Prometheus failing never fails the deploy.
func TestFaultPrometheus(t *testing.T) {
	t.Parallel()
	_, prom := promService(t)
	inconclusive := func(texts ...string) svcWant { return svcWant{exit: 3, status: "inconclusive", texts: texts} }
	healthy := svcWant{exit: 0, status: "healthy"}
	tests := []struct {
		name string
		// fault is switched on before the run (atStart) or once monitoring is under way; a
		// fault with a duration is switched off again after it.
		fault   pfMode
		atStart bool
		lasts   time.Duration
		with    map[string]string
		want    svcWant
		// timed: the run must end within this (the preflight's "at once"); 0: no contract.
		timed time.Duration
		// tls serves the proxy over HTTPS with a certificate of its own CA: "untrusted",
		// or "ca_cert" with that CA given as ca_cert.
		tls string
	}{
		{name: "healthy_through_the_proxy", fault: pfPass, want: healthy},
		{name: "refused_at_start", fault: pfRefused, atStart: true, timed: 10 * time.Second,
			want: inconclusive("the monitor could not start", "cannot reach Prometheus at", "connection refused")},
		// Budget raised so the outage, however the rounds fall, stays within it.
		{name: "down_mid_run_and_back", fault: pfDown, lasts: 2500 * time.Millisecond, with: map[string]string{"max_probe_errors": "6"}, want: healthy},
		{name: "http_500_at_start", fault: pf500, atStart: true, timed: 10 * time.Second,
			want: inconclusive("the monitor could not start", "HTTP 500 Internal Server Error: injected storage failure")},
		{name: "http_500_mid_run", fault: pf500, want: inconclusive("HTTP 500 Internal Server Error: injected storage failure")},
		{name: "http_503_retry_after_brief", fault: pf503, lasts: 1500 * time.Millisecond, with: map[string]string{"max_probe_errors": "6"}, want: healthy},
		{name: "http_503_retry_after_lasting", fault: pf503, want: inconclusive("HTTP 503 Service Unavailable")},
		{name: "garbage_json_mid_run", fault: pfGarbage, want: inconclusive("an answer that cannot be read")},
		{name: "huge_body_at_start", fault: pfHuge, atStart: true, timed: 20 * time.Second,
			want: inconclusive("the monitor could not start", "larger than 64 MiB")},
		{name: "huge_body_mid_run", fault: pfHuge, want: inconclusive("larger than 64 MiB")},
		{name: "hangs_at_start", fault: pfHang, atStart: true, timed: 20 * time.Second,
			want: inconclusive("the monitor could not start", "no answer within 10s")},
		// Rounds take a query timeout each, so a 13 s plan sees few of them: no probe error
		// tolerated, and the last round, hung to the end, leaves the run without data.
		{name: "hangs_mid_run", fault: pfHang, with: map[string]string{"max_probe_errors": "0"}, want: inconclusive("no answer within 10s")},
		{name: "nan_values_mid_run", fault: pfNaN, want: inconclusive("no data")},
		{name: "empty_results_mid_run", fault: pfEmpty, want: inconclusive("no data")},
		{name: "tls_unknown_ca", tls: "untrusted", timed: 10 * time.Second,
			want: inconclusive("the monitor could not start", "TLS certificate signed by an unknown authority")},
		{name: "tls_trusted_with_ca_cert", tls: "ca_cert", want: healthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := pfStartProxy(t, prom.URL)
			with := pfInputs(p.URL)
			if tt.fault == pfRefused {
				with["prometheus_url"] = svcClosedURL(t)
			}
			if tt.tls != "" {
				ts := httptest.NewTLSServer(p)
				t.Cleanup(ts.Close)
				with["prometheus_url"] = ts.URL
				if tt.tls == "ca_cert" {
					with["ca_cert"] = svcPEM(ts)
				}
			}
			for k, v := range tt.with {
				with[k] = v
			}
			s := newStep(t, with)
			if tt.atStart {
				p.set(tt.fault)
			}
			s.start()
			if !tt.atStart && tt.fault != pfPass {
				s.waitLog("::group::Monitor", 30*time.Second)
				p.set(tt.fault)
				if tt.lasts > 0 {
					time.Sleep(tt.lasts) // the outage itself; no timing is asserted on it
					p.set(pfPass)
				}
			}
			took := svcJudge(t, s, 90*time.Second, tt.want)
			t.Logf("ended after %s; %d requests answered with the fault", took.Round(time.Millisecond), p.faulted.Load())
			if tt.timed > 0 && took > tt.timed {
				// The preflight's contract is "at once": its budget is 20 s, and a backend
				// that is refused, failing or oversize must not take that long.
				t.Errorf("the run took %s, want within %s", took.Round(time.Millisecond), tt.timed)
			}
			if tt.fault != pfPass && tt.fault != pfRefused && tt.fault != pfDown && p.faulted.Load() == 0 {
				t.Error("no request met the fault: the scenario tested nothing")
			}
			r := svcReadReport(t, s)
			if errs, runs := svcProbeErrors(r, ""); tt.fault == pfPass && errs != 0 {
				t.Errorf("%d probe errors in %d runs through a transparent proxy", errs, runs)
			} else if tt.lasts > 0 && errs == 0 {
				t.Errorf("the %s outage left no probe error in %d runs: it was not seen", tt.lasts, runs)
			}
		})
	}
}

// pfInputs are the inputs of a metric run through the proxy at url: a round every second,
// checkpoints at 2 s and 12 s, so a run lasts about 13 s unless a fault ends it sooner.
// The faults are Prometheus's: the latency limit is far above the demo service's, whose
// p99 a busy test machine can double.
func pfInputs(url string) map[string]string {
	return map[string]string{
		"prometheus_url": url, "selector": `job="` + promserver.Job + `"`, "latency_threshold": "2s",
		"schedule": "2s,12s", "interval": "1s", "cooldown": "1s", "baseline": "30m",
	}
}

// pfMode is what the proxy does to the API's requests.
type pfMode int32

// Proxy modes.
const (
	pfPass    pfMode = iota // Prometheus's own answers
	pfRefused               // (no proxy: prometheus_url points where nothing listens)
	pfDown                  // the proxy stops listening: connections refused
	pf500                   // HTTP 500 with the API's error JSON
	pf503                   // HTTP 503 with Retry-After: 1, as an overloaded frontend answers
	pfGarbage               // HTTP 200, JSON cut short and garbage after it
	pfHuge                  // HTTP 200, a body of a gigabyte
	pfHang                  // no answer until the client gives up
	pfNaN                   // Prometheus's answers with every value NaN
	pfEmpty                 // Prometheus's answers with no series
)

// pfHugeBody bounds the huge answer: far past any sane limit, small enough that the test
// ends even if the client reads it all.
const pfHugeBody = 1 << 30

// pfProxy stands in front of a real Prometheus on its own loopback port and injects
// faults into the /api/v1/ requests.
type pfProxy struct {
	URL     string
	addr    string
	pass    *httputil.ReverseProxy
	rewrite *httputil.ReverseProxy
	mode    atomic.Int32
	faulted atomic.Int64
	stop    chan struct{} // closed at cleanup: releases hung requests

	mu  sync.Mutex
	srv *http.Server // nil while down
}

func pfStartProxy(t *testing.T, target string) *pfProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &pfProxy{stop: make(chan struct{})}
	p.pass = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	p.rewrite = &httputil.ReverseProxy{
		// An uncompressed answer, so it can be rewritten.
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Header.Del("Accept-Encoding") },
		ModifyResponse: p.modify,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr, p.URL = ln.Addr().String(), "http://"+ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		close(p.stop)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.srv != nil {
			_ = p.srv.Close()
		}
	})
	return p
}

func (p *pfProxy) serve(ln net.Listener) {
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(p.srv)
}

// set switches the fault; pfDown closes the port (and every connection), and any other
// mode opens it again on the same address.
func (p *pfProxy) set(m pfMode) {
	p.mode.Store(int32(m))
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case m == pfDown && p.srv != nil:
		_ = p.srv.Close()
		p.srv = nil
	case m != pfDown && p.srv == nil:
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			panic("reopen the proxy's port: " + err.Error())
		}
		p.serve(ln)
	}
}

func (p *pfProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mode := pfMode(p.mode.Load())
	if mode == pfPass || !strings.HasPrefix(r.URL.Path, "/api/v1/") {
		p.pass.ServeHTTP(w, r)
		return
	}
	p.faulted.Add(1)
	w.Header().Set("Content-Type", "application/json")
	switch mode {
	case pf500:
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"status":"error","errorType":"internal","error":"injected storage failure"}`)
	case pf503:
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "overloaded, retry later\n")
	case pfGarbage:
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[17`+"\x00\xff garbage")
	case pfHuge:
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
		chunk := bytes.Repeat([]byte(`{"metric":{"pod":"api-0"},"value":[1,"1"]},`), 1<<12)
		for n := 0; n < pfHugeBody; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client stopped reading
			}
		}
	case pfHang:
		select {
		case <-r.Context().Done():
		case <-p.stop:
		}
	case pfNaN, pfEmpty:
		p.rewrite.ServeHTTP(w, r)
	}
}

// modify rewrites a successful answer of Prometheus: every value NaN, or no series. (A
// scalar, only the preflight's ping, passes unchanged.)
func (p *pfProxy) modify(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	var doc struct {
		Data struct {
			ResultType string           `json:"resultType"`
			Result     []map[string]any `json:"result"`
		} `json:"data"`
	}
	if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &doc) == nil {
		series := doc.Data.Result
		if pfMode(p.mode.Load()) == pfEmpty {
			series = []map[string]any{}
		}
		for _, s := range series {
			points, _ := s["values"].([]any) // a matrix's points, or a vector's one value
			for _, pt := range append(points, s["value"]) {
				if pt, ok := pt.([]any); ok && len(pt) == 2 {
					pt[1] = "NaN"
				}
			}
		}
		body, _ = json.Marshal(map[string]any{"status": "success", "data": map[string]any{"resultType": doc.Data.ResultType, "result": series}})
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}
