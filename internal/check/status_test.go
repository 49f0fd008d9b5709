package check

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// TestReadiness covers the status rule and the dependency shapes of the seed (FastAPI
// "checks" of strings), Spring Boot ("components") and the IETF health-check draft.
func TestReadiness(t *testing.T) {
	t.Parallel()
	longDetail := strings.Repeat("x", 500)
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   func(shown string) model.Measurement
	}{
		{
			name: "seed_all_ok", status: 200, ctype: "application/json",
			body: `{"status":"ready","checks":{"redis":"ok","database":"ok"}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx",
					Message: "ready: GET " + shown + " returned 200 OK; 2 dependencies ok",
					Parts:   []model.Part{{Name: "database", OK: true}, {Name: "redis", OK: true}}}
			},
		},
		{
			name: "seed_not_ready", status: 503, ctype: "application/json",
			body: `{"status":"not_ready","checks":{"database":"error: connection refused","redis":"ok"}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "503", Expected: "2xx",
					Message: "GET " + shown + " returned 503 Service Unavailable (expected 2xx); failing: database (error: connection refused)",
					Parts:   []model.Part{{Name: "database", Detail: "error: connection refused"}, {Name: "redis", OK: true}}}
			},
		},
		{
			name: "ready_with_degraded_dependency", status: 200, ctype: "application/json",
			body: `{"status":"ready","checks":{"database":"ok","redis":"error: timeout"}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Severity: model.SeverityWarning, Value: "redis failing", Expected: "every dependency ok",
					Message: `ready (200), but dependency redis reports "error: timeout"`,
					Parts:   []model.Part{{Name: "database", OK: true}, {Name: "redis", Detail: "error: timeout"}}}
			},
		},
		{
			name: "ready_with_two_degraded_dependencies", status: 200, ctype: "application/json",
			body: `{"checks":{"database":"ok","redis":"error: timeout","queue":false}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Severity: model.SeverityWarning, Value: "queue, redis failing", Expected: "every dependency ok",
					Message: `ready (200), but dependencies queue reports "false", redis reports "error: timeout"`,
					Parts: []model.Part{{Name: "database", OK: true}, {Name: "queue", Detail: "false"},
						{Name: "redis", Detail: "error: timeout"}}}
			},
		},
		{
			name: "ready_with_many_degraded_dependencies", status: 200, ctype: "application/json",
			body: `{"checks":{"a":"slow","b":"slow","c":"slow","d":"slow","e":"slow","f":"slow"}}`,
			want: func(shown string) model.Measurement {
				var parts []model.Part
				for _, n := range "abcdef" {
					parts = append(parts, model.Part{Name: string(n), Detail: "slow"})
				}
				return model.Measurement{Breach: true, Severity: model.SeverityWarning, Value: "a, b, c, d, e, +1 more failing", Expected: "every dependency ok",
					Message: `ready (200), but dependencies a reports "slow", b reports "slow", c reports "slow", ` +
						`d reports "slow", e reports "slow", and 1 more`,
					Parts: parts}
			},
		},
		{
			name: "spring_boot_up", status: 200, ctype: "application/vnd.spring-boot.actuator.v3+json",
			body: `{"status":"UP","components":{"db":{"status":"UP","details":{"database":"PostgreSQL"}},"diskSpace":{"status":"UP"},"ping":{"status":"UP"}}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx",
					Message: "ready: GET " + shown + " returned 200 OK; 3 dependencies ok",
					Parts:   []model.Part{{Name: "db", OK: true}, {Name: "diskSpace", OK: true}, {Name: "ping", OK: true}}}
			},
		},
		{
			name: "spring_boot_down", status: 503, ctype: "application/json",
			body: `{"status":"DOWN","components":{"db":{"status":"DOWN","details":{"error":"java.net.ConnectException: Connection refused"}},"ping":{"status":"UP"}}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "503", Expected: "2xx",
					Message: "GET " + shown + " returned 503 Service Unavailable (expected 2xx); failing: db (DOWN: java.net.ConnectException: Connection refused)",
					Parts: []model.Part{{Name: "db", Detail: "DOWN: java.net.ConnectException: Connection refused"},
						{Name: "ping", OK: true}}}
			},
		},
		{
			name: "ietf_draft_pass", status: 200, ctype: "application/health+json",
			body: `{"status":"pass","checks":{"db:responseTime":[{"componentId":"dfd6cf2b","status":"pass","observedValue":12}],"cpu:utilization":[{"componentId":"1","status":"pass"},{"componentId":"2","status":"pass"}]}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx",
					Message: "ready: GET " + shown + " returned 200 OK; 2 dependencies ok",
					Parts:   []model.Part{{Name: "cpu:utilization", OK: true}, {Name: "db:responseTime", OK: true}}}
			},
		},
		{
			name: "ietf_draft_warn", status: 200, ctype: "application/health+json",
			body: `{"status":"warn","checks":{"db:responseTime":[{"status":"pass"}],"cache:connections":[{"status":"pass"},{"status":"warn","output":"pool nearly exhausted"}]}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Severity: model.SeverityWarning, Value: "cache:connections failing", Expected: "every dependency ok",
					Message: `ready (200), but dependency cache:connections reports "warn: pool nearly exhausted"`,
					Parts: []model.Part{{Name: "cache:connections", Detail: "warn: pool nearly exhausted"},
						{Name: "db:responseTime", OK: true}}}
			},
		},
		{
			name: "ok_words_and_booleans", status: 200, ctype: "application/json",
			body: `{"checks":{"a":"OK","b":"Healthy","c":true,"d":{"status":"ready"},"e":{"status":true},"f":" pass "}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx",
					Message: "ready: GET " + shown + " returned 200 OK; 6 dependencies ok",
					Parts: []model.Part{{Name: "a", OK: true}, {Name: "b", OK: true}, {Name: "c", OK: true},
						{Name: "d", OK: true}, {Name: "e", OK: true}, {Name: "f", OK: true}}}
			},
		},
		{
			name: "plain_text_ok", status: 200, ctype: "text/plain", body: "OK\n",
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx", Message: "ready: GET " + shown + " returned 200 OK"}
			},
		},
		{
			name: "plain_text_failure", status: 500, ctype: "text/plain", body: "database down\n",
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "500", Expected: "2xx",
					Message: "GET " + shown + " returned 500 Internal Server Error (expected 2xx)"}
			},
		},
		{
			name: "no_content", status: 204,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "204", Expected: "2xx", Message: "ready: GET " + shown + " returned 204 No Content"}
			},
		},
		{
			name: "unknown_status_code", status: 599,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "599", Expected: "2xx",
					Message: "GET " + shown + " returned 599 (expected 2xx)"}
			},
		},
		{
			name: "control_characters_and_long_details_are_tamed", status: 503, ctype: "application/json",
			body: `{"checks":{"db":"error:\nline two\tand\u0007bell","cache":"` + longDetail + `"}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "503", Expected: "2xx",
					Message: "GET " + shown + " returned 503 Service Unavailable (expected 2xx); failing: cache (" +
						strings.Repeat("x", 99) + "…), db (error: line two and bell)",
					Parts: []model.Part{{Name: "cache", Detail: strings.Repeat("x", 199) + "…"},
						{Name: "db", Detail: "error: line two and bell"}}}
			},
		},
		{
			name: "many_failing_dependencies_are_summarised", status: 503, ctype: "application/json",
			body: `{"checks":{"a":"down","b":"down","c":"down","d":"down","e":"down","f":"down","g":"down"}}`,
			want: func(shown string) model.Measurement {
				var parts []model.Part
				for _, n := range "abcdefg" {
					parts = append(parts, model.Part{Name: string(n), Detail: "down"})
				}
				return model.Measurement{Breach: true, Value: "503", Expected: "2xx",
					Message: "GET " + shown + " returned 503 Service Unavailable (expected 2xx); failing: " +
						"a (down), b (down), c (down), d (down), e (down), and 2 more",
					Parts: parts}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := server(t, respond(tt.status, tt.ctype, tt.body))
			rawURL := withCreds(t, ts.URL, "/health/ready")
			got := probe(t, t.Context(), NewReadiness(testSpec(model.KindReadiness, model.SignalHealth), rawURL, secretConfig()))
			want := tt.want(redact.URL(rawURL))
			want.Check = "readiness check"
			assertMeasurement(t, got, want)
		})
	}
}

// TestLiveness: the status decides; dependencies only explain a failure.
func TestLiveness(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   func(shown string) model.Measurement
	}{
		{
			name: "alive", status: 200, body: `{"status":"alive"}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx", Message: "live: GET " + shown + " returned 200 OK"}
			},
		},
		{
			name: "alive_despite_failing_dependency", status: 200, body: `{"checks":{"db":"error: refused"}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Value: "200", Expected: "2xx", Message: "live: GET " + shown + " returned 200 OK"}
			},
		},
		{
			name: "dead", status: 500, body: `{"checks":{"heap":"error: out of memory"}}`,
			want: func(shown string) model.Measurement {
				return model.Measurement{Breach: true, Value: "500", Expected: "2xx",
					Message: "GET " + shown + " returned 500 Internal Server Error (expected 2xx); failing: heap (error: out of memory)",
					Parts:   []model.Part{{Name: "heap", Detail: "error: out of memory"}}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := server(t, respond(tt.status, "application/json", tt.body))
			rawURL := withCreds(t, ts.URL, "/health/live")
			got := probe(t, t.Context(), NewLiveness(testSpec(model.KindLiveness, model.SignalHealth), rawURL, secretConfig()))
			want := tt.want(redact.URL(rawURL))
			want.Check = "liveness check"
			assertMeasurement(t, got, want)
		})
	}
}

// TestStatusChecksReadBoundedBodies: an oversize or endless body does not matter to
// readiness and liveness; the status decides and the read stops at MaxBody.
func TestStatusChecksReadBoundedBodies(t *testing.T) {
	t.Parallel()
	endless := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("y", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		maxBody int64
		live    bool
	}{
		{name: "oversize_readiness", handler: respond(200, "application/json", `{"checks":{"db":"error"}}`+strings.Repeat(" ", 100)), maxBody: 64},
		{name: "endless_readiness", handler: endless},
		{name: "endless_liveness", handler: endless, live: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := server(t, tt.handler)
			h := secretConfig()
			h.MaxBody = tt.maxBody
			var c Check = NewReadiness(testSpec(model.KindReadiness, model.SignalHealth), ts.URL, h)
			verb := "ready"
			if tt.live {
				c, verb = NewLiveness(testSpec(model.KindLiveness, model.SignalHealth), ts.URL, h), "live"
			}
			got := probe(t, t.Context(), c)
			assertMeasurement(t, got, model.Measurement{Check: c.Spec().Name, Value: "200", Expected: "2xx",
				Message: fmt.Sprintf("%s: GET %s returned 200 OK", verb, ts.URL)})
		})
	}
}
