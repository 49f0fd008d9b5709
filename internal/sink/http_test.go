package sink

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name        string
		status      int
		h           http.Header
		detail      string
		wantNil     bool
		wantRetry   bool
		wantDisable bool
		wantAfter   time.Duration
	}{
		{name: "ok", status: 200, wantNil: true},
		{name: "created", status: 201, wantNil: true},
		{name: "no_content", status: 204, wantNil: true},
		{name: "bad_request_is_final", status: 400},
		{name: "unprocessable_is_final", status: 422},
		{name: "unauthorized_disables", status: 401, wantDisable: true},
		{name: "forbidden_disables", status: 403, detail: "Resource not accessible by integration", wantDisable: true},
		{name: "not_found_disables", status: 404, wantDisable: true},
		{name: "gone_disables", status: 410, wantDisable: true},
		{name: "too_many_requests", status: 429, h: hdr("Retry-After", "30"), wantRetry: true, wantAfter: 30 * time.Second},
		{name: "secondary_rate_limit_403", status: 403, h: hdr("Retry-After", "60"), detail: "You have exceeded a secondary rate limit", wantRetry: true, wantAfter: time.Minute},
		{name: "primary_rate_limit_403", status: 403, h: hdr("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1795255290"), wantRetry: true, wantAfter: 90 * time.Second},
		{name: "rate_limit_by_message", status: 403, detail: "API rate limit exceeded for installation", wantRetry: true},
		{name: "server_error", status: 500, wantRetry: true},
		{name: "bad_gateway", status: 502, wantRetry: true},
		{name: "unavailable_with_date", status: 503, h: hdr("Retry-After", "Sat, 21 Nov 2026 10:00:05 GMT"), wantRetry: true, wantAfter: 5 * time.Second},
		{name: "request_timeout_is_retried", status: 408, wantRetry: true},
		{name: "request_timeout_with_retry_after", status: 408, h: hdr("Retry-After", "4"), wantRetry: true, wantAfter: 4 * time.Second},
		// A 429 says the limit is spent: its reset counts without X-RateLimit-Remaining.
		{name: "429_reset_seconds_alone", status: 429, h: hdr("X-Ratelimit-Reset", "7"), wantRetry: true, wantAfter: 7 * time.Second},
		{name: "429_reset_unix_time_alone", status: 429, h: hdr("X-Ratelimit-Reset", "1795255290"), wantRetry: true, wantAfter: 90 * time.Second},
		{name: "429_reset_with_requests_left", status: 429, h: hdr("X-Ratelimit-Remaining", "3", "X-Ratelimit-Reset", "7"), wantRetry: true, wantAfter: 7 * time.Second},
		{name: "429_retry_after_wins_over_reset", status: 429, h: hdr("Retry-After", "2", "X-Ratelimit-Reset", "7"), wantRetry: true, wantAfter: 2 * time.Second},
		{name: "429_reset_garbage", status: 429, h: hdr("X-Ratelimit-Reset", "later"), wantRetry: true},
		// Elsewhere a reset alone is only the window's end, not a wait.
		{name: "500_reset_alone_is_no_wait", status: 500, h: hdr("X-Ratelimit-Reset", "7"), wantRetry: true},
		{name: "400_reset_alone_is_no_wait", status: 400, h: hdr("X-Ratelimit-Reset", "7")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tt.h
			if h == nil {
				h = http.Header{}
			}
			e := Classify("op", tt.status, h, tt.detail, now)
			if tt.wantNil {
				if e != nil {
					t.Fatalf("Classify(%d) = %v, want nil", tt.status, e)
				}
				return
			}
			if e == nil {
				t.Fatalf("Classify(%d) = nil", tt.status)
			}
			if e.Retry != tt.wantRetry || e.Disable != tt.wantDisable || e.After != tt.wantAfter {
				t.Errorf("Classify(%d) = retry %v disable %v after %s; want %v %v %s", tt.status, e.Retry, e.Disable, e.After, tt.wantRetry, tt.wantDisable, tt.wantAfter)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    map[string]string
		want time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "12"}, 12 * time.Second},
		{"http_date", map[string]string{"Retry-After": "Sat, 21 Nov 2026 10:01:00 GMT"}, time.Minute},
		{"past_date", map[string]string{"Retry-After": "Sat, 21 Nov 2026 09:00:00 GMT"}, 0},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
		{"github_reset_unix_time", map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "1795255230"}, 30 * time.Second},
		{"datadog_reset_seconds", map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "9"}, 9 * time.Second},
		{"reset_ignored_while_requests_remain", map[string]string{"X-Ratelimit-Remaining": "12", "X-Ratelimit-Reset": "9"}, 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.h {
			h.Set(k, v)
		}
		if got := RetryAfter(h, now); got != tt.want {
			t.Errorf("%s: RetryAfter = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestDetail(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, want string }{
		{`{"message":"Validation Failed","errors":[{"field":"required_contexts"}]}`, "Validation Failed"},
		{`{"errors":["Forbidden"]}`, "[Forbidden]"},
		{`{"error":"invalid token"}`, "invalid token"},
		{"invalid_payload", "invalid_payload"},
		{"line one\nline\ttwo\x1b[31m", "line one line two [31m"},
		{strings.Repeat("x", 300), strings.Repeat("x", 200) + "…"},
	}
	for _, tt := range tests {
		if got := Detail([]byte(tt.body)); got != tt.want {
			t.Errorf("Detail(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	const secretPath = "/services/T000/B000/s3cr3tW3bh00k"
	var gotUA, gotType, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotType = r.Header.Get("User-Agent"), r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		switch r.URL.Path {
		case secretPath:
			w.Write([]byte(`{"id": 17}`))
		case "/bad":
			w.WriteHeader(400)
			w.Write([]byte("invalid_blocks"))
		}
	}))
	t.Cleanup(srv.Close)
	c := NewClient("deploywatch/test", time.Second, nil)

	var out struct{ ID int }
	err := Do(t.Context(), c, Request{Op: "post message", Method: "POST", URL: srv.URL + secretPath, JSON: map[string]string{"text": "hi"}}, &out)
	if err != nil || out.ID != 17 {
		t.Fatalf("Do = %v, answer %+v", err, out)
	}
	if gotUA != "deploywatch/test" || gotType != "application/json" || gotBody != `{"text":"hi"}` {
		t.Errorf("request: user agent %q, content type %q, body %q", gotUA, gotType, gotBody)
	}

	err = Do(t.Context(), c, Request{Op: "post message", Method: "POST", URL: srv.URL + "/bad", JSON: 1}, nil)
	var se *Error
	if !errors.As(err, &se) || se.Status != 400 || se.Retry || err.Error() != "post message: 400 Bad Request: invalid_blocks" {
		t.Errorf("400: %v", err)
	}

	// No answer: the error names the endpoint, never the secret path, and is retryable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	err = Do(t.Context(), c, Request{Op: "post message", Method: "POST", URL: dead + secretPath, JSON: 1}, nil)
	if !Retryable(err) || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), dead) {
		t.Errorf("refused: retryable %v, error %q", Retryable(err), err)
	}

	// Cancelled by the run: not worth a retry.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = Do(ctx, c, Request{Op: "post message", Method: "POST", URL: srv.URL + secretPath, JSON: 1}, nil)
	if err == nil || Retryable(err) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("cancelled: %v (retryable %v)", err, Retryable(err))
	}
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://hooks.slack.com/services/T/B/X":    "https://hooks.slack.com",
		"https://user:pass@grafana.example.com/api": "https://grafana.example.com",
		"not a url": "(endpoint)",
		"https://api.datadoghq.eu/api/v1/events?x=key": "https://api.datadoghq.eu",
	} {
		if got := Endpoint(raw); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", raw, got, want)
		}
	}
}
