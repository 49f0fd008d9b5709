package prometheus

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/source"
	"github.com/deploywatch/deploywatch/internal/testutil/promserver"
)

// backfill is 10 minutes of a service at 20 requests/s, 10 % of them 503s, every 10 s
// from 1600000000 (fixed, so the answers are exact; the harness keeps old blocks).
func backfill() string {
	var b strings.Builder
	b.WriteString("# TYPE demo_requests counter\n")
	for i := range 61 {
		ts := 1600000000 + i*10
		fmt.Fprintf(&b, "demo_requests_total{status=\"200\"} %d %d\n", i*180, ts)
		fmt.Fprintf(&b, "demo_requests_total{status=\"503\"} %d %d\n", i*20, ts)
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// TestRealPrometheus runs the client against the Debian Prometheus 2.42.
func TestRealPrometheus(t *testing.T) {
	t.Parallel()
	s := promserver.Start(t, promserver.Options{Backfill: backfill()})
	c := newClient(t, Options{URL: s.URL, UserAgent: "deploywatch/test"})
	end := time.Unix(1600000600, 0)

	t.Run("ping", func(t *testing.T) {
		t.Parallel()
		if err := c.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("instant_ratio", func(t *testing.T) {
		t.Parallel()
		got, err := c.Query(t.Context(),
			`sum(rate(demo_requests_total{status="503"}[1m])) / sum(rate(demo_requests_total[1m]))`, end)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]source.Sample{{Labels: map[string]string{}, Value: 0.1}}, got); diff != "" {
			t.Errorf("samples (-want +got):\n%s", diff)
		}
	})
	t.Run("instant_series", func(t *testing.T) {
		t.Parallel()
		got, err := c.Query(t.Context(), `demo_requests_total`, end)
		if err != nil {
			t.Fatal(err)
		}
		want := []source.Sample{
			{Labels: map[string]string{"__name__": "demo_requests_total", "status": "200"}, Value: 10800},
			{Labels: map[string]string{"__name__": "demo_requests_total", "status": "503"}, Value: 1200},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("samples (-want +got):\n%s", diff)
		}
	})
	t.Run("range", func(t *testing.T) {
		t.Parallel()
		start := end.Add(-time.Minute)
		got, err := c.QueryRange(t.Context(), `sum by (status) (rate(demo_requests_total[1m]))`, start, end, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		points := func(v float64) []source.Point {
			return []source.Point{{T: start.UTC(), V: v}, {T: start.Add(30 * time.Second).UTC(), V: v}, {T: end.UTC(), V: v}}
		}
		want := []source.Series{
			{Labels: map[string]string{"status": "200"}, Points: points(18)},
			{Labels: map[string]string{"status": "503"}, Points: points(2)},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("series (-want +got):\n%s", diff)
		}
	})
	t.Run("parse_error", func(t *testing.T) {
		t.Parallel()
		const bad = `sum(rate(demo_requests_total[1m])`
		_, err := c.Query(t.Context(), bad, end)
		want := &source.QueryError{Query: bad, Reason: "1:34: parse error: unclosed left parenthesis"}
		var got *source.QueryError
		if !errors.As(err, &got) {
			t.Fatalf("err = %v, want a *source.QueryError", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("QueryError (-want +got):\n%s", diff)
		}
	})
	t.Run("no_data", func(t *testing.T) {
		t.Parallel()
		_, err := c.Query(t.Context(), `demo_requests_total{status="500"}`, end)
		if !errors.Is(err, source.ErrNoData) {
			t.Errorf("err = %v, want ErrNoData", err)
		}
	})
	t.Run("wrong_path_prefix", func(t *testing.T) {
		t.Parallel()
		wrong := newClient(t, Options{URL: s.URL + "/prometheus"})
		err := wrong.Ping(t.Context())
		want := `prometheus: ` + s.URL + `/prometheus is not a Prometheus API (HTTP 404 at /prometheus/api/v1/query): check the URL and its path prefix`
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %s", err, want)
		}
	})
}
