package check

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/model"
)

// echo is a service that repeats its request's credentials back in every place a check
// might show service text: the JSON body, dependency details, error bodies.
func echo(w http.ResponseWriter, r *http.Request) {
	user, pass, _ := r.BasicAuth()
	seen := map[string]any{
		"authorization": r.Header.Get("Authorization"),
		"api_key":       r.Header.Get("X-Api-Key"),
		"test":          r.Header.Get("X-Test-Secret"),
		"url":           r.URL.String(),
		"basic":         user + ":" + pass,
	}
	seen["checks"] = map[string]any{
		"auth": "error: rejected " + r.Header.Get("Authorization") + " and " + r.Header.Get("X-Api-Key"),
		"db":   "ok",
	}
	status := http.StatusOK
	if s := r.URL.Query().Get("status"); s != "" {
		status, _ = strconv.Atoi(s)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(seen)
}

// TestSecretsNeverShow: a service echoing every credential it received cannot make a
// measurement show one, whatever field the echo lands in. TestMain also scans every
// measurement of the whole suite for the same secrets.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	ts := server(t, echo)
	at := func(path, status string) string {
		u := withCreds(t, ts.URL, path)
		if status != "" {
			u += "&status=" + status
		}
		return u
	}
	smoke := func(expr, status string, h HTTPConfig) func(t *testing.T) Check {
		return func(t *testing.T) Check {
			c, err := NewSmoke(testSpec(model.KindSmoke, model.SignalSmoke), SmokeTest{URL: at("/api", status), Expr: expr,
				Headers: http.Header{"X-Test-Secret": {secretTestHdr}}}, h)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	noAuthHeader := HTTPConfig{Headers: http.Header{"X-Api-Key": {secretAPIKey}}}
	tests := []struct {
		name  string
		check func(t *testing.T) Check
		// wantRedacted: the echo reached the measurement and was replaced.
		wantRedacted bool
		wantBreach   bool
	}{
		{"smoke_value_is_the_authorization_header", smoke(".authorization", "", secretConfig()), true, false},
		{"smoke_value_is_the_api_key", smoke(".api_key", "", secretConfig()), true, false},
		{"smoke_value_is_the_per_test_header", smoke(".test", "", secretConfig()), true, false},
		{"smoke_value_is_the_url_token", smoke(".url", "", secretConfig()), true, false},
		{"smoke_value_is_the_url_password", smoke(".basic", "", noAuthHeader), true, false},
		{"smoke_failing_comparison_shows_value", smoke(`.authorization == "nope" or .authorization`, "", secretConfig()), true, false},
		{"smoke_runtime_error_previews_secret", smoke(".authorization | .x", "", secretConfig()), true, true},
		{"smoke_error_body_excerpt", smoke("", "500", secretConfig()), true, true},
		{"readiness_dependency_detail", func(t *testing.T) Check {
			return NewReadiness(testSpec(model.KindReadiness, model.SignalHealth), at("/ready", "503"), secretConfig())
		}, true, true},
		{"readiness_degraded_message", func(t *testing.T) Check {
			return NewReadiness(testSpec(model.KindReadiness, model.SignalHealth), at("/ready", ""), secretConfig())
		}, true, true},
		{"version_value_is_the_api_key", func(t *testing.T) Check {
			c, err := NewVersion(testSpec(model.KindVersion, model.SignalVersion), at("/info", ""), ".api_key", shaA, secretConfig())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, true, true},
		{"unreachable_message_shows_url", func(t *testing.T) Check {
			u := strings.Replace(refusedURL(t), "http://", "http://deployer:"+secretPassword+"@", 1) + "?access_token=" + secretQuery
			return NewLiveness(testSpec(model.KindLiveness, model.SignalHealth), u, secretConfig())
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := probe(t, t.Context(), tt.check(t))
			if m.Breach != tt.wantBreach || m.ProbeError != "" {
				t.Errorf("Breach = %v, ProbeError = %q; want Breach %v and no probe error (%+v)", m.Breach, m.ProbeError, tt.wantBreach, m)
			}
			all := strings.Join(measurementTexts(m), "\n")
			for _, s := range leakSecrets {
				// Any 8 characters in a row of a secret count as a leak.
				for i := 0; i+8 <= len(s); i++ {
					if strings.Contains(all, s[i:i+8]) {
						t.Fatalf("measurement shows part of secret %q: %+v", s, m)
					}
				}
			}
			if tt.wantRedacted && !strings.Contains(all, "REDACTED") {
				t.Errorf("the echoed secret did not reach the measurement, so this case proves nothing: %+v", m)
			}
		})
	}
}
