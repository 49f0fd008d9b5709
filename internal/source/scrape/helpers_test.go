package scrape

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// service is a /metrics endpoint on loopback whose exposition a test changes between
// scrapes.
type service struct {
	srv *httptest.Server

	mu     sync.Mutex
	body   string
	status int
	ctype  string
	header http.Header // of the last request
}

func newService(t testing.TB, body string) *service {
	t.Helper()
	s := &service{body: body, status: http.StatusOK, ctype: "text/plain; version=0.0.4; charset=utf-8"}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.header = r.Header.Clone()
		w.Header().Set("Content-Type", s.ctype)
		w.WriteHeader(s.status)
		fmt.Fprint(w, s.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// set changes what the next scrapes read.
func (s *service) set(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = body
}

// setType changes the Content-Type of the answers.
func (s *service) setType(ctype string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctype = ctype
}

// fail makes the service answer status with body.
func (s *service) fail(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *service) lastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header
}

func (s *service) url() string { return s.srv.URL + "/metrics" }

// counter writes a counter family as client_golang does, series keyed by their label
// text (`code="200",method="get"`) in sorted order.
func counter(name string, series map[string]float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP %s Requests.\n# TYPE %s counter\n", name, name)
	for _, labels := range slices.Sorted(maps.Keys(series)) {
		fmt.Fprintf(&b, "%s{%s} %s\n", name, labels, strconv.FormatFloat(series[labels], 'g', -1, 64))
	}
	return b.String()
}

// hist is one series of a histogram: its label text and cumulative counts by bound.
type hist struct {
	labels string
	bounds []float64
	counts []float64
}

// histogram writes a histogram family as client_golang does: buckets, _sum, _count.
func histogram(name string, series ...hist) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP %s Latency.\n# TYPE %s histogram\n", name, name)
	for _, h := range series {
		sep := ""
		if h.labels != "" {
			sep = ","
		}
		for i, ub := range h.bounds {
			le := strconv.FormatFloat(ub, 'g', -1, 64)
			if math.IsInf(ub, 1) {
				le = "+Inf"
			}
			fmt.Fprintf(&b, "%s_bucket{%s%sle=%q} %g\n", name, h.labels, sep, le, h.counts[i])
		}
		braces := ""
		if h.labels != "" {
			braces = "{" + h.labels + "}"
		}
		fmt.Fprintf(&b, "%s_sum%s 0\n%s_count%s %g\n", name, braces, name, braces, h.counts[len(h.counts)-1])
	}
	return b.String()
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustNew(t testing.TB, o Options) *Scraper {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func mustScrape(t testing.TB, s *Scraper) Snapshot {
	t.Helper()
	snap, err := s.Scrape(context.Background())
	if err != nil {
		t.Fatalf("Scrape: %v", err)
	}
	return snap
}
