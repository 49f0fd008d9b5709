package prometheus

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/source"
)

func TestQueryRange(t *testing.T) {
	t.Parallel()
	docsStart, recStart := time.UnixMilli(1435781430781), time.Unix(1600000580, 0)
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	tests := []struct {
		name       string
		reply      reply
		q          string
		start, end time.Time
		step       time.Duration
		wantStep   string
		want       []source.Series
		err        outcome
	}{
		{name: "matrix_from_docs", reply: ok("matrix.json"), q: "up", start: docsStart, end: docsStart.Add(30 * time.Second),
			step: 15 * time.Second, wantStep: "15", want: []source.Series{
				{Labels: map[string]string{"__name__": "up", "job": "prometheus", "instance": "localhost:9090"},
					Points: []source.Point{{T: at(1435781430781), V: 1}, {T: at(1435781445781), V: 1}, {T: at(1435781460781), V: 1}}},
				{Labels: map[string]string{"__name__": "up", "job": "node", "instance": "localhost:9091"},
					Points: []source.Point{{T: at(1435781430781), V: 0}, {T: at(1435781445781), V: 0}, {T: at(1435781460781), V: 1}}},
			}},
		{name: "nan_points_dropped", reply: ok("matrix_nan.json"), q: "a / b", start: recStart, end: recStart.Add(20 * time.Second),
			step: 10 * time.Second, wantStep: "10", want: []source.Series{
				{Labels: map[string]string{"status": "200"},
					Points: []source.Point{{T: at(1600000580000), V: 1}, {T: at(1600000590000), V: 1}, {T: at(1600000600000), V: 1}}},
				{Labels: map[string]string{"status": "503"},
					Points: []source.Point{{T: at(1600000580000), V: 1}, {T: at(1600000590000), V: 1}}},
			}},
		{name: "all_nan_is_no_data", reply: ok("matrix_all_nan.json"), q: "a / 0 * 0", start: recStart, end: recStart.Add(20 * time.Second),
			step: 10 * time.Second, wantStep: "10", err: outcome{noData: true}},
		{name: "empty_is_no_data", reply: ok("matrix_empty.json"), q: "nothing_here", start: recStart, end: recStart.Add(20 * time.Second),
			step: 1500 * time.Millisecond, wantStep: "1.5", err: outcome{noData: true}},
		{name: "bad_data_is_query_error", reply: reply{status: http.StatusBadRequest, file: "bad_data.json"}, q: "sum(", start: recStart,
			end: recStart, step: time.Minute, wantStep: "60",
			err: outcome{queryErr: &source.QueryError{Query: "sum(", Reason: "1:34: parse error: unclosed left parenthesis"}}},
		{name: "vector_answer_is_error", reply: ok("vector.json"), q: "up", start: recStart, end: recStart, step: time.Minute, wantStep: "60",
			err: outcome{msg: `prometheus query range "up": unexpected vector answer, want a matrix`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, "", map[string]reply{"/api/v1/query_range": tt.reply})
			c := newClient(t, Options{URL: b.URL})
			got, err := c.QueryRange(t.Context(), tt.q, tt.start, tt.end, tt.step)
			if !checkErr(t, err, tt.err, tt.q, b.URL) {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("series (-want +got):\n%s", diff)
				}
			}
			reqs := b.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			gotReq := []string{r.Method, r.Path, r.Form.Get("query"), r.Form.Get("start"), r.Form.Get("end"), r.Form.Get("step")}
			wantReq := []string{http.MethodPost, "/api/v1/query_range", tt.q, formatTime(tt.start), formatTime(tt.end), tt.wantStep}
			if diff := cmp.Diff(wantReq, gotReq); diff != "" {
				t.Errorf("request [method path query start end step] (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQueryRangeArguments: arguments the backend would reject as bad_data are ours to
// refuse, before any request, so they never pass for a broken query.
func TestQueryRangeArguments(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		end  time.Time
		step time.Duration
		want string
	}{
		{name: "zero_step", end: start.Add(time.Minute), step: 0,
			want: `prometheus query range "up": step 0s is not positive`},
		{name: "end_before_start", end: start.Add(-time.Minute), step: time.Second,
			want: `prometheus query range "up": end 2026-11-21T11:59:00Z before start 2026-11-21T12:00:00Z`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, "", map[string]reply{"/api/v1/query_range": ok("matrix.json")})
			c := newClient(t, Options{URL: b.URL})
			_, err := c.QueryRange(t.Context(), "up", start, tt.end, tt.step)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
			if n := len(b.requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}
