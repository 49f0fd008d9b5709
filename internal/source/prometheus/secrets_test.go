package prometheus

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

const (
	secretPassword = "pw-s3cr3t-1"
	secretToken    = "tok-s3cr3t-2"
	secretTenant   = "tenant-s3cr3t-3"
	secretKey      = "key-s3cr3t-4"
)

// secretForms are the secrets as they could leak: raw, and the basic-auth encoding.
func secretForms() []string {
	return []string{secretPassword, secretToken, secretTenant, secretKey,
		base64.StdEncoding.EncodeToString([]byte("alice:" + secretPassword))}
}

// echoHeaders answers with an API error quoting every request header: a misbehaving
// backend must not make the client print the credentials.
func echoHeaders(status int, errorType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var quoted []string
		for name, values := range r.Header {
			quoted = append(quoted, name+"="+strings.Join(values, ","))
		}
		body, _ := json.Marshal(map[string]string{"status": "error", "errorType": errorType,
			"error": "rejected request with " + strings.Join(quoted, " ")})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// TestSecretsNeverInErrors scans every error the client can produce for the URL
// password, the token and the extra header values.
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + refused.Addr().String()
	refused.Close()
	fixed := func(r reply) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			body := r.body
			if r.file != "" {
				body = fixture(t, r.file)
			}
			ct := r.contentType
			if ct == "" {
				ct = "application/json"
			}
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(r.status)
			_, _ = w.Write([]byte(body))
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		token   string
	}{
		{name: "echo_500", handler: echoHeaders(http.StatusInternalServerError, "internal"), token: secretToken},
		{name: "echo_bad_data", handler: echoHeaders(http.StatusBadRequest, "bad_data"), token: secretToken},
		{name: "echo_422_basic_auth", handler: echoHeaders(http.StatusUnprocessableEntity, "execution")},
		{name: "unauthorized", handler: fixed(reply{status: http.StatusUnauthorized, contentType: "text/plain", body: "no"}), token: secretToken},
		{name: "forbidden", handler: fixed(reply{status: http.StatusForbidden, contentType: "text/plain", body: "no"})},
		{name: "not_found_html", handler: fixed(reply{status: http.StatusNotFound, contentType: "text/html", file: "not_found.html"})},
		{name: "timeout_503", handler: fixed(reply{status: http.StatusServiceUnavailable, file: "timeout.json"}), token: secretToken},
		{name: "string_answer", handler: fixed(ok("string.json"))},
		{name: "empty_answer", handler: fixed(ok("empty.json"))},
		{name: "refused", token: secretToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := refusedURL
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				base = srv.URL
			}
			c := newClient(t, Options{
				URL:     strings.Replace(base, "http://", "http://alice:"+secretPassword+"@", 1) + "/?api_key=" + secretKey,
				Token:   tt.token,
				Headers: http.Header{"X-Scope-OrgID": {secretTenant}, "X-Api-Key": {secretKey}},
			})
			var errs []error
			_, err := c.Query(t.Context(), "up", docsTime)
			errs = append(errs, err)
			_, err = c.QueryRange(t.Context(), "up", docsTime, docsTime.Add(time.Minute), time.Minute)
			errs = append(errs, err, c.Ping(t.Context()))
			if errs[0] == nil {
				t.Fatal("query succeeded, want an error to scan")
			}
			for _, err := range errs {
				if err == nil {
					continue // a ping accepts any answer of the API
				}
				msg := fmt.Sprintf("%v %+v %#v", err, err, err)
				var apiErr *v1.Error
				if errors.As(err, &apiErr) { // what errors.As hands out, body included
					msg += apiErr.Msg + apiErr.Detail
				}
				for _, s := range secretForms() {
					if strings.Contains(msg, s) {
						t.Errorf("error leaks %q: %s", s, msg)
					}
				}
			}
		})
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		want string
	}{
		{name: "empty", url: "", want: `prometheus url "": want http:// or https:// and a host`},
		{name: "no_scheme", url: "prometheus:9090", want: `prometheus url "prometheus:9090": want http:// or https:// and a host`},
		{name: "other_scheme", url: "ftp://prom", want: `prometheus url "ftp://prom": want http:// or https:// and a host`},
		{name: "no_host", url: "http:///api", want: `prometheus url "http:///api": want http:// or https:// and a host`},
		{name: "unparsable_with_password", url: "http://alice:" + secretPassword + "@prom:port/",
			want: `prometheus url "http://REDACTED@prom:port/": invalid port ":port" after host`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Options{URL: tt.url})
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%q) err = %v, want %s", tt.url, err, tt.want)
			}
		})
	}
}
