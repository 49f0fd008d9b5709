package prometheus

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// innerTransport stands for a caller's own transport: it must be wrapped, not replaced.
type innerTransport struct{}

func (innerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Inner", "yes")
	return http.DefaultTransport.RoundTrip(r)
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		name     string
		prefix   string                   // where the backend serves the API
		url      func(base string) string // the configured URL from the backend's
		opts     Options
		wantPath string
		want     map[string]string // header values; "" means absent
	}{
		{name: "no_credentials", url: same, opts: Options{UserAgent: "deploywatch/test"}, wantPath: "/api/v1/query",
			want: map[string]string{"Authorization": "", "User-Agent": "deploywatch/test"}},
		{name: "path_prefix", prefix: "/prometheus", url: suffix("/prometheus"), wantPath: "/prometheus/api/v1/query",
			want: map[string]string{"Authorization": ""}},
		{name: "path_prefix_trailing_slash", prefix: "/prometheus", url: suffix("/prometheus/"), wantPath: "/prometheus/api/v1/query",
			want: map[string]string{"Authorization": ""}},
		{name: "basic_auth_from_url", prefix: "/prometheus", url: userinfo("alice:s3cr3t-pw", "/prometheus"),
			wantPath: "/prometheus/api/v1/query", want: map[string]string{"Authorization": basic("alice", "s3cr3t-pw")}},
		{name: "bearer_token", url: same, opts: Options{Token: "tok-123456"}, wantPath: "/api/v1/query",
			want: map[string]string{"Authorization": "Bearer tok-123456"}},
		{name: "token_wins_over_url_password", url: userinfo("alice:s3cr3t-pw", ""), opts: Options{Token: "tok-123456"},
			wantPath: "/api/v1/query", want: map[string]string{"Authorization": "Bearer tok-123456"}},
		{name: "extra_headers_and_token", url: same, wantPath: "/api/v1/query",
			opts: Options{Token: "tok-123456", Headers: http.Header{"X-Scope-OrgID": {"tenant-1"}, "Authorization": {"Basic Zm9vOmJhcg=="}}},
			want: map[string]string{"X-Scope-Orgid": "tenant-1", "Authorization": "Bearer tok-123456"}},
		{name: "extra_authorization_alone", url: same, wantPath: "/api/v1/query",
			opts: Options{Headers: http.Header{"authorization": {"Basic Zm9vOmJhcg=="}}},
			want: map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}},
		{name: "host_header_sets_the_host", url: same, wantPath: "/api/v1/query",
			opts: Options{Headers: http.Header{"Host": {"prometheus.internal"}}},
			want: map[string]string{"Host": "prometheus.internal"}},
		{name: "callers_transport_wrapped", url: same, wantPath: "/api/v1/query",
			opts: Options{Token: "tok-123456", Client: &http.Client{Transport: innerTransport{}}},
			want: map[string]string{"X-Inner": "yes", "Authorization": "Bearer tok-123456"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, tt.prefix, map[string]reply{"/api/v1/query": ok("vector.json")})
			o := tt.opts
			o.URL = tt.url(b.URL)
			c := newClient(t, o)
			if _, err := c.Query(t.Context(), "up", docsTime); err != nil {
				t.Fatal(err)
			}
			reqs := b.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if reqs[0].Path != tt.wantPath {
				t.Errorf("path = %s, want %s", reqs[0].Path, tt.wantPath)
			}
			got := map[string]string{}
			for name := range tt.want {
				got[name] = reqs[0].Header.Get(name)
				if name == "Host" { // Go moves it out of the header map
					got[name] = reqs[0].Host
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func same(base string) string { return base }

func suffix(path string) func(string) string {
	return func(base string) string { return base + path }
}

func userinfo(info, path string) func(string) string {
	return func(base string) string { return strings.Replace(base, "http://", "http://"+info+"@", 1) + path }
}

// TestRedirectKeepsCredentialsHome: a backend that redirects elsewhere must not receive
// the token or the extra headers there.
func TestRedirectKeepsCredentialsHome(t *testing.T) {
	t.Parallel()
	elsewhere := newBackend(t, "", map[string]reply{"/api/v1/query": ok("vector.json")})
	other := strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer home.Close()
	c := newClient(t, Options{URL: home.URL, Token: "tok-123456", Headers: http.Header{"X-Scope-OrgID": {"tenant-1"}}})
	if _, err := c.Query(t.Context(), "up", docsTime); err != nil {
		t.Fatal(err)
	}
	reqs := elsewhere.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests reached the redirect target, want 1", len(reqs))
	}
	for _, name := range []string{"Authorization", "X-Scope-OrgID"} {
		if v := reqs[0].Header.Get(name); v != "" {
			t.Errorf("redirect target got %s: %q", name, v)
		}
	}
	if reqs[0].Method != http.MethodPost || reqs[0].Form.Get("query") != "up" {
		t.Errorf("redirected request = %s query=%q, want the POST form", reqs[0].Method, reqs[0].Form.Get("query"))
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		reply  reply
		err    outcome
	}{
		{name: "answers", reply: ok("scalar.json")},
		{name: "unauthorized", reply: reply{status: http.StatusUnauthorized, contentType: "text/plain", body: "Unauthorized\n"},
			err: outcome{kind: Unauthorized, msg: `prometheus: Prometheus at {url} refused the credentials (HTTP 401): check prometheus_token`}},
		{name: "path_prefix_missing", prefix: "/prometheus", reply: ok("scalar.json"),
			err: outcome{kind: NotAPI, msg: `prometheus: {url} is not a Prometheus API (HTTP 404 at /api/v1/query): check the URL and its path prefix`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t, tt.prefix, map[string]reply{"/api/v1/query": tt.reply})
			c := newClient(t, Options{URL: b.URL})
			err := c.Ping(t.Context())
			checkErr(t, err, tt.err, "1", b.URL)
			reqs := b.requests()
			if tt.prefix == "" && len(reqs) != 1 {
				t.Errorf("%d requests, want 1", len(reqs))
			}
			for _, r := range reqs {
				if r.Form.Get("query") != "1" || r.Form.Has("time") {
					t.Errorf("ping sent query=%q time=%q, want query=1 and the backend's now", r.Form.Get("query"), r.Form.Get("time"))
				}
			}
		})
	}
}
