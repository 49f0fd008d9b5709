package check

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deploywatch/deploywatch/internal/redact"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// TestRedirectLimit: ten redirects are followed, an eleventh is a breach at the check's
// own severity, and the URL where it stopped is shown redacted.
func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		redirects int // how many redirects before a 200; -1 loops forever
		wantHits  int64
		want      func(shown, stoppedAt string) model.Measurement
	}{
		{
			name:      "ten_redirects_are_followed",
			redirects: 10,
			wantHits:  11,
			want: func(shown, _ string) model.Measurement {
				return model.Measurement{Check: "readiness check", Value: "200", Expected: "2xx",
					Message: "ready: GET " + shown + " returned 200 OK"}
			},
		},
		{
			name:      "loop_is_a_breach",
			redirects: -1,
			wantHits:  11,
			want: func(shown, stoppedAt string) model.Measurement {
				return model.Measurement{Check: "readiness check", Breach: true, Value: "too many redirects",
					Expected: "2xx",
					Message:  "GET " + shown + ": redirect loop: stopped after 10 redirects at " + stoppedAt}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			ts := server(t, func(w http.ResponseWriter, r *http.Request) {
				n := hits.Add(1)
				if tt.redirects >= 0 && n > int64(tt.redirects) {
					w.WriteHeader(http.StatusOK)
					return
				}
				// The service-issued token must be redacted in the message too.
				http.Redirect(w, r, fmt.Sprintf("/hop/%d?signature=server-issued-sig&page=%d", n, n), http.StatusFound)
			})
			rawURL := withCreds(t, ts.URL, "/health/ready")
			got := probe(t, t.Context(), NewReadiness(testSpec(model.KindReadiness, model.SignalHealth), rawURL, secretConfig()))
			// A relative Location keeps the first URL's userinfo, redacted here too.
			stoppedAt := "http://deployer:REDACTED@" + strings.TrimPrefix(ts.URL, "http://") + "/hop/11?signature=REDACTED&page=11"
			assertMeasurement(t, got, tt.want(redact.URL(rawURL), stoppedAt))
			if h := hits.Load(); h != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", h, tt.wantHits)
			}
		})
	}
}

// TestRedirectHeaders: configured headers are credentials for the first host. They follow
// a redirect on the same host and are dropped as soon as the chain leaves it (even if it
// comes back); the Referer, which could carry a token, is never sent.
func TestRedirectHeaders(t *testing.T) {
	t.Parallel()
	type seen struct {
		Authorization, APIKey, TestSecret, Referer, UserAgent string
	}
	withSecrets := seen{Authorization: "Bearer " + secretBearer, APIKey: secretAPIKey, TestSecret: secretTestHdr,
		UserAgent: "deploywatch"}
	dropped := seen{UserAgent: "deploywatch"}
	tests := []struct {
		name string
		// start is the first URL, given the recording server's base URL.
		start func(t *testing.T, base string) string
		want  seen
	}{
		{
			name:  "no_redirect_sends_headers",
			start: func(t *testing.T, base string) string { return base + "/final" },
			want:  withSecrets,
		},
		{
			name:  "same_host_keeps_headers",
			start: func(t *testing.T, base string) string { return base + "/start" },
			want:  withSecrets,
		},
		{
			name:  "other_host_drops_headers",
			start: func(t *testing.T, base string) string { return redirector(t, base+"/final") + "/start" },
			want:  dropped,
		},
		{
			name: "leaving_and_coming_back_drops_headers",
			start: func(t *testing.T, base string) string {
				return base + "/bounce?to=" + redirector(t, base+"/final")
			},
			want: dropped,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec headerRecorder
			ts := server(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/start":
					http.Redirect(w, r, "/final", http.StatusFound)
				case "/bounce":
					http.Redirect(w, r, r.URL.Query().Get("to")+"/start", http.StatusTemporaryRedirect)
				default:
					rec.record(r)
					w.WriteHeader(http.StatusOK)
					fmt.Fprint(w, `{"ok":true}`)
				}
			})
			smoke, err := NewSmoke(testSpec(model.KindSmoke, model.SignalSmoke), SmokeTest{
				Method: "GET", URL: tt.start(t, ts.URL), Expr: ".ok",
				Headers: http.Header{"X-Test-Secret": {secretTestHdr}},
			}, secretConfig())
			if err != nil {
				t.Fatal(err)
			}
			m := probe(t, t.Context(), smoke)
			if m.Breach || m.ProbeError != "" {
				t.Fatalf("smoke test did not pass: %+v", m)
			}
			h, _ := rec.last(t)
			got := seen{Authorization: h.Get("Authorization"), APIKey: h.Get("X-Api-Key"),
				TestSecret: h.Get("X-Test-Secret"), Referer: h.Get("Referer"), UserAgent: h.Get("User-Agent")}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("headers at the final host (-want +got):\n%s", diff)
			}
		})
	}
}

// redirector starts another host that redirects every request to target and returns
// its base URL.
func redirector(t *testing.T, target string) string {
	return server(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}).URL
}

// TestHeadersSent: configured headers, the user agent and a Host override reach the
// service; a smoke test's own header replaces a configured one of the same name.
func TestHeadersSent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		config     HTTPConfig
		perTest    http.Header
		wantHeader http.Header
		wantHost   string
	}{
		{
			name:       "configured_headers_and_default_user_agent",
			config:     secretConfig(),
			wantHeader: http.Header{"Authorization": {"Bearer " + secretBearer}, "X-Api-Key": {secretAPIKey}, "User-Agent": {"deploywatch"}},
		},
		{
			name:       "custom_user_agent",
			config:     HTTPConfig{Headers: secretHeaders(), UserAgent: "deploywatch/1.2.3"},
			wantHeader: http.Header{"Authorization": {"Bearer " + secretBearer}, "X-Api-Key": {secretAPIKey}, "User-Agent": {"deploywatch/1.2.3"}},
		},
		{
			name:       "per_test_header_replaces_configured",
			config:     secretConfig(),
			perTest:    http.Header{"x-api-key": {secretTestHdr}},
			wantHeader: http.Header{"Authorization": {"Bearer " + secretBearer}, "X-Api-Key": {secretTestHdr}, "User-Agent": {"deploywatch"}},
		},
		{
			name:       "host_header_sets_request_host",
			config:     HTTPConfig{Headers: http.Header{"Host": {"api.example.test"}, "X-Api-Key": {secretAPIKey}}},
			wantHeader: http.Header{"X-Api-Key": {secretAPIKey}, "User-Agent": {"deploywatch"}},
			wantHost:   "api.example.test",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rec headerRecorder
			ts := server(t, func(w http.ResponseWriter, r *http.Request) {
				rec.record(r)
				w.WriteHeader(http.StatusNoContent)
			})
			c, err := NewSmoke(testSpec(model.KindSmoke, model.SignalSmoke),
				SmokeTest{URL: ts.URL + "/x", Headers: tt.perTest}, tt.config)
			if err != nil {
				t.Fatal(err)
			}
			m := probe(t, t.Context(), c)
			if m.Breach || m.ProbeError != "" || m.Value != strconv.Itoa(http.StatusNoContent) {
				t.Fatalf("unexpected measurement %+v", m)
			}
			h, host := rec.last(t)
			for name := range tt.wantHeader {
				if diff := cmp.Diff(tt.wantHeader.Values(name), h.Values(name)); diff != "" {
					t.Errorf("header %s (-want +got):\n%s", name, diff)
				}
			}
			wantHost := tt.wantHost
			if wantHost == "" {
				wantHost = strings.TrimPrefix(ts.URL, "http://")
			}
			if host != wantHost {
				t.Errorf("Host = %q, want %q", host, wantHost)
			}
		})
	}
}

func TestSameHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, from, to string
		want           bool
	}{
		{"same", "http://api.test/a", "http://api.test/b", true},
		{"host_case", "http://API.test/a", "http://api.TEST/b", true},
		{"default_http_port", "http://api.test/a", "http://api.test:80/b", true},
		{"default_https_port", "https://api.test/a", "https://api.test:443/b", true},
		{"other_port", "http://api.test:8080/a", "http://api.test:8081/b", false},
		{"other_host", "https://api.test/a", "https://evil.test/a", false},
		{"subdomain", "https://api.test/a", "https://x.api.test/a", false},
		{"downgrade_to_http", "https://api.test/a", "http://api.test:443/a", false},
		{"upgrade_to_https", "http://api.test:8443/a", "https://api.test:8443/a", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from, err := url.Parse(tt.from)
			if err != nil {
				t.Fatal(err)
			}
			to, err := url.Parse(tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if got := sameHost(from, to); got != tt.want {
				t.Errorf("sameHost(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
}
