package prometheus

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/source"
)

// docsTime is the instant of the documentation's examples, 2015-07-01T20:10:51.781Z.
var docsTime = time.UnixMilli(1435781451781)

// recordedTime is the instant the recorded fixtures were evaluated at.
var recordedTime = time.Unix(1600000600, 0)

// outcome is what a call should return: samples or series, or one kind of error.
type outcome struct {
	noData   bool
	queryErr *source.QueryError
	kind     Kind
	msg      string // the whole error message; {url} is the backend's URL
}

// checkErr asserts err against want and reports whether the call failed.
func checkErr(t *testing.T, err error, want outcome, q, url string) bool {
	t.Helper()
	switch {
	case want.noData:
		if !errors.Is(err, source.ErrNoData) || err.Error() != "no data: "+q {
			t.Errorf("err = %v, want ErrNoData naming the query", err)
		}
	case want.queryErr != nil:
		var qe *source.QueryError
		if !errors.As(err, &qe) {
			t.Fatalf("err = %v, want a *source.QueryError", err)
		}
		if diff := cmp.Diff(want.queryErr, qe); diff != "" {
			t.Errorf("QueryError (-want +got):\n%s", diff)
		}
	case want.kind != "":
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want a *Error", err)
		}
		if e.Kind != want.kind {
			t.Errorf("Kind = %q, want %q", e.Kind, want.kind)
		}
		if got, wantMsg := err.Error(), expand(want.msg, url); got != wantMsg {
			t.Errorf("err =\n%s\nwant\n%s", got, wantMsg)
		}
	case want.msg != "":
		if err == nil || err.Error() != expand(want.msg, url) {
			t.Errorf("err = %v, want %s", err, expand(want.msg, url))
		}
	default:
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return false
	}
	if err == nil {
		t.Fatal("no error")
	}
	return true
}

func TestQuery(t *testing.T) {
	t.Parallel()
	const bad = `sum(rate(http_requests_total[5m])`
	tests := []struct {
		name    string
		reply   reply
		q       string
		at      time.Time
		want    []source.Sample
		err     outcome
		methods []string // default: one POST
	}{
		{name: "vector_from_docs", reply: ok("vector.json"), q: "up", at: docsTime, want: []source.Sample{
			{Labels: map[string]string{"__name__": "up", "job": "prometheus", "instance": "localhost:9090"}, Value: 1},
			{Labels: map[string]string{"__name__": "up", "job": "node", "instance": "localhost:9100"}, Value: 0},
		}},
		{name: "scalar_has_no_labels", reply: ok("scalar.json"), q: "scalar(x)", at: recordedTime,
			want: []source.Sample{{Labels: map[string]string{}, Value: 0.1}}},
		{name: "nan_dropped_from_vector", reply: ok("nan_some.json"), q: "a / b", at: recordedTime,
			want: []source.Sample{{Labels: map[string]string{"status": "200"}, Value: 1}}},
		{name: "empty_vector_is_no_data", reply: ok("empty.json"), q: `http_requests_total{job="nothing"}`, at: recordedTime,
			err: outcome{noData: true}},
		{name: "all_nan_is_no_data", reply: ok("nan_all.json"), q: "a - a + NaN", at: recordedTime, err: outcome{noData: true}},
		{name: "nan_scalar_is_no_data", reply: ok("nan_scalar.json"), q: "0/0", at: recordedTime, err: outcome{noData: true}},
		{name: "range_vector_is_query_error", reply: ok("range_vector.json"), q: "x[20s]", at: recordedTime,
			err: outcome{queryErr: &source.QueryError{Query: "x[20s]",
				Reason: "the query returns a range vector, not one number per series: apply rate(), avg_over_time() or similar to it"}}},
		{name: "string_is_error", reply: ok("string.json"), q: `"hello"`, at: recordedTime,
			err: outcome{kind: Failed, msg: `prometheus query "\"hello\"": Prometheus at {url} sent an answer that cannot be read (HTTP 200: unexpected value type "string")`}},
		{name: "bad_data_is_query_error", reply: reply{status: http.StatusBadRequest, file: "bad_data.json"}, q: bad, at: recordedTime,
			err: outcome{queryErr: &source.QueryError{Query: bad, Reason: "1:34: parse error: unclosed left parenthesis"}}},
		{name: "execution_error_is_rejected", reply: reply{status: http.StatusUnprocessableEntity, file: "execution.json"},
			q: "a + on() a", at: recordedTime, err: outcome{kind: Rejected,
				msg: `prometheus query "a + on() a": Prometheus at {url} rejected the query (HTTP 422 Unprocessable Entity: ` +
					`found duplicate series for the match group {} on the right hand-side of the operation: ` +
					`[{__name__="demo_requests_total", status="503"}, {__name__="demo_requests_total", status="200"}];` +
					`many-to-many matching not allowed: matching labels must be unique on one side)`}},
		{name: "server_timeout_503", reply: reply{status: http.StatusServiceUnavailable, file: "timeout.json"}, q: "up", at: recordedTime,
			err: outcome{kind: Failed, msg: `prometheus query "up": Prometheus at {url} failed (HTTP 503 Service Unavailable: query timed out in expression evaluation)`}},
		{name: "proxy_502_page", reply: reply{status: http.StatusBadGateway, contentType: "text/html", body: "<html><body>502 Bad Gateway</body></html>"},
			q: "up", at: recordedTime,
			err: outcome{kind: Failed, msg: `prometheus query "up": Prometheus at {url} failed (HTTP 502 Bad Gateway)`}},
		{name: "unauthorized_401", reply: reply{status: http.StatusUnauthorized, contentType: "text/plain", body: "Unauthorized\n"},
			q: "up", at: recordedTime,
			err: outcome{kind: Unauthorized, msg: `prometheus query "up": Prometheus at {url} refused the credentials (HTTP 401): check prometheus_token`}},
		{name: "forbidden_403_after_get_fallback", reply: reply{status: http.StatusForbidden, contentType: "text/plain", body: "Forbidden\n"},
			q: "up", at: recordedTime, methods: []string{http.MethodPost, http.MethodGet},
			err: outcome{kind: Unauthorized, msg: `prometheus query "up": Prometheus at {url} refused the credentials (HTTP 403): check prometheus_token`}},
		{name: "html_404_is_not_api", reply: reply{status: http.StatusNotFound, contentType: "text/html", file: "not_found.html"},
			q: "up", at: recordedTime,
			err: outcome{kind: NotAPI, msg: `prometheus query "up": {url} is not a Prometheus API (HTTP 404, an HTML page at /api/v1/query): check the URL and its path prefix`}},
		{name: "html_login_page_is_not_api", reply: reply{status: http.StatusOK, contentType: "text/html; charset=utf-8", body: "<!doctype html><title>Sign in</title>"},
			q: "up", at: recordedTime,
			err: outcome{kind: NotAPI, msg: `prometheus query "up": {url} is not a Prometheus API (HTTP 200, an HTML page at /api/v1/query): check the URL and its path prefix`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, "", map[string]reply{"/api/v1/query": tt.reply})
			c := newClient(t, Options{URL: b.URL})
			got, err := c.Query(t.Context(), tt.q, tt.at)
			if !checkErr(t, err, tt.err, tt.q, b.URL) {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("samples (-want +got):\n%s", diff)
				}
			}
			methods := tt.methods
			if methods == nil {
				methods = []string{http.MethodPost}
			}
			reqs := b.requests()
			var gotMethods []string
			for _, r := range reqs {
				gotMethods = append(gotMethods, r.Method)
				if r.Path != "/api/v1/query" || r.Form.Get("query") != tt.q || r.Form.Get("time") != formatTime(tt.at) {
					t.Errorf("request %s %s query=%q time=%q, want /api/v1/query query=%q time=%q",
						r.Method, r.Path, r.Form.Get("query"), r.Form.Get("time"), tt.q, formatTime(tt.at))
				}
			}
			if diff := cmp.Diff(methods, gotMethods); diff != "" {
				t.Errorf("methods (-want +got):\n%s", diff)
			}
		})
	}
}

// formatTime is how the API's time parameters look: Unix seconds with a fraction.
func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}
