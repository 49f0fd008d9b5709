package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
)

// The secret scan's recording servers: sinks, the probed service, a proxy and SMTP.

type ssRequest struct {
	service, method, path string
	header                http.Header
	body                  string
}

// ssRecorder records the requests of every server of one run.
type ssRecorder struct {
	mu   sync.Mutex
	reqs []ssRequest
}

func (rec *ssRecorder) add(r ssRequest) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, r)
}

func (rec *ssRecorder) all() []ssRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// record wraps h: each request is recorded under service(path) with its body.
func (rec *ssRecorder) record(service func(path string) string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		rec.add(ssRequest{service: service(r.URL.Path), method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: string(body)})
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// ssSinks is one server for every HTTP sink, as in events_test.go: the fake GitHub at
// the root, the fake GitLab under /api/v4, Slack, the deployment-event API, Grafana,
// Datadog. With reject, each service answers its first request 500 (retried, and logged)
// and the others 401 (the sink turns itself off, with a warning), quoting the credentials
// and the path it was sent.
type ssSinks struct {
	*httptest.Server
	github *githubtest.Server
	gitlab *gitlabtest.Server

	mu     sync.Mutex
	failed map[string]bool // services that answered their 500
}

func ssSinkService(path string) string {
	for prefix, s := range map[string]string{"/api/v4/": "gitlab", "/hooks/slack/": "slack", "/cased/": "webhook", "/grafana/": "grafana", "/datadog/": "datadog"} {
		if strings.HasPrefix(path, prefix) {
			return s
		}
	}
	return "github"
}

func ssStartSinks(t *testing.T, rec *ssRecorder, reject bool) *ssSinks {
	t.Helper()
	s := &ssSinks{github: githubtest.New(), gitlab: gitlabtest.New(), failed: map[string]bool{}}
	s.Server = httptest.NewServer(rec.record(ssSinkService, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc := ssSinkService(r.URL.Path)
		if reject {
			echo := []string{r.URL.RequestURI()}
			for _, h := range []string{"Authorization", "Dd-Api-Key", "Private-Token", "Job-Token"} {
				if v := r.Header.Get(h); v != "" {
					echo = append(echo, h+": "+v)
				}
			}
			status := http.StatusUnauthorized
			s.mu.Lock()
			if !s.failed[svc] {
				status = http.StatusInternalServerError
				s.failed[svc] = true
			}
			s.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "refused " + strings.Join(echo, " ")})
			return
		}
		switch svc {
		case "github":
			s.github.ServeHTTP(w, r)
		case "gitlab":
			s.gitlab.ServeHTTP(w, r)
		case "grafana":
			if r.Method == http.MethodPost {
				_, _ = io.WriteString(w, `{"id":77,"message":"Annotation added"}`)
				return
			}
			_, _ = io.WriteString(w, `{"message":"Annotation patched"}`)
		case "datadog":
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"status":"ok"}`)
		case "webhook":
			_, _ = io.WriteString(w, `{}`)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})))
	t.Cleanup(s.Close)
	s.github.URL, s.gitlab.URL = s.URL, s.URL
	return s
}

// ssStartProbe is the service under test as the HTTP checks see it, echoing the request's
// headers back: /health answers 503 with each header as a failing dependency, /info
// reports the Authorization header as its version, /echo returns the headers as JSON,
// /metrics passes the demo service's metrics on.
func ssStartProbe(t *testing.T, rec *ssRecorder, demoURL string) *httptest.Server {
	t.Helper()
	headers := func(r *http.Request) map[string]string {
		m := map[string]string{}
		for k, vs := range r.Header {
			m[strings.ToLower(k)] = strings.Join(vs, ", ")
		}
		return m
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		deps := map[string]any{}
		for k, v := range headers(r) {
			deps[k] = map[string]string{"status": "down", "error": "rejected " + k + ": " + v}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "down", "checks": deps})
	})
	mux.HandleFunc("/live", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/info", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"commit": r.Header.Get("Authorization"), "headers": headers(r)})
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) { _ = json.NewEncoder(w).Encode(headers(r)) })
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(demoURL + "/metrics")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		_, _ = io.Copy(w, resp.Body)
	})
	srv := httptest.NewServer(rec.record(func(string) string { return "probe" }, mux))
	t.Cleanup(srv.Close)
	return srv
}

// ssStartProxy records the requests to the real Prometheus at target.
func ssStartProxy(t *testing.T, rec *ssRecorder, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rec.record(func(string) string { return "prometheus" }, httputil.NewSingleHostReverseProxy(u)))
	t.Cleanup(srv.Close)
	return srv
}

func ssWithUser(raw, user, pass string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.User = url.UserPassword(user, pass)
	return u.String()
}

// ssClosedAddr is a loopback address nothing listens on.
func ssClosedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// ssSMTP is an SMTP server on loopback offering AUTH PLAIN. With reject it refuses the
// credentials quoting them back, decoded, as a careless server might.
type ssSMTP struct {
	addr   string
	rec    *ssRecorder
	reject bool
	wg     sync.WaitGroup
}

func ssStartSMTP(t *testing.T, rec *ssRecorder, reject bool) *ssSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ssSMTP{addr: ln.Addr().String(), rec: rec, reject: reject}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.session(c) })
		}
	})
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *ssSMTP) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) { _ = tp.PrintfLine(format, args...) }
	reply("220 ss.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			reply("250-ss.test\r\n250 AUTH PLAIN")
		case "AUTH":
			_, resp, _ := strings.Cut(arg, " ")
			s.rec.add(ssRequest{service: "smtp", method: "AUTH", header: http.Header{"Auth": {resp}}})
			if s.reject {
				dec, _ := base64.StdEncoding.DecodeString(resp)
				reply("535 5.7.8 credentials %s rejected: %s", resp, strings.ReplaceAll(string(dec), "\x00", " "))
				continue
			}
			reply("235 2.7.0 accepted")
		case "DATA":
			reply("354 end with .")
			body, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			// Scanned as sent and decoded: quoted-printable may break a secret over lines.
			decoded, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
			s.rec.add(ssRequest{service: "smtp", method: "DATA", body: string(body) + "\n" + string(decoded)})
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}
