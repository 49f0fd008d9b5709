package demo

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// endpoint is one request of the endpoint table and its healthy answer.
type endpoint struct {
	name, method, path string
	code               int
	body               string
}

var healthyEndpoints = []endpoint{
	{"live", http.MethodGet, "/health/live", 200, `{"status":"alive"}`},
	{"ready", http.MethodGet, "/health/ready", 200, `{"status":"ready","checks":{"database":"ok","redis":"ok"}}`},
	{"status", http.MethodGet, "/api/v1/status", 200, `{"status":"ok","version":"1.4.2"}`},
	{"auth", http.MethodPost, "/auth/health", 200, `{"status":"ok"}`},
	{"not_found", http.MethodGet, "/admin", 404, `{"error":"not found","path":"/admin"}`},
	{"wrong_method", http.MethodGet, "/auth/health", 405, `{"error":"method not allowed"}`},
}

// faultAnswers overrides the healthy answers per fault, keyed by endpoint name.
var faultAnswers = map[Fault]map[string]endpoint{
	FaultNone: {},
	FaultReadiness: {
		"ready": {code: 503, body: `{"status":"not_ready","checks":{"database":"error: connection pool exhausted","redis":"ok"}}`},
	},
	FaultDependency: {
		"ready": {code: 200, body: `{"status":"ready","checks":{"database":"ok","redis":"error: timeout"}}`},
	},
	FaultVersion: {
		"status": {code: 200, body: `{"status":"ok","version":"1.4.1"}`},
	},
	FaultSmoke: {
		"status": {code: 200, body: `{"status":"degraded","version":"1.4.2"}`},
		"auth":   {code: 500, body: `{"status":"error","error":"token signing key unavailable"}`},
	},
	FaultBadInfo: {},
	// The metric-only faults leave every health and smoke-test answer as it was.
	FaultErrors:  {},
	FaultLatency: {},
}

func TestEndpointsPerFault(t *testing.T) {
	t.Parallel()
	for fault, overrides := range faultAnswers {
		t.Run(string(fault), func(t *testing.T) {
			t.Parallel()
			s := startTest(t)
			s.SetFault(fault)
			for _, ep := range healthyEndpoints {
				t.Run(ep.name, func(t *testing.T) {
					want := ep
					if o, ok := overrides[ep.name]; ok {
						want.code, want.body = o.code, o.body
					}
					got := mustDo(t, ep.method, s.URL()+ep.path)
					if got.code != want.code {
						t.Errorf("%s %s = %d, want %d", ep.method, ep.path, got.code, want.code)
					}
					if got.contentType != "application/json" {
						t.Errorf("Content-Type = %q, want application/json", got.contentType)
					}
					if diff := cmp.Diff(decode(t, want.body), decode(t, got.body)); diff != "" {
						t.Errorf("%s %s body (-want +got):\n%s", ep.method, ep.path, diff)
					}
				})
			}
		})
	}
}

func TestInfoPerFault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault Fault
		want  Release
	}{
		{name: "healthy_reports_the_deploy", fault: FaultNone, want: newRelease},
		{name: "version_keeps_the_old_commit", fault: FaultVersion, want: oldRelease},
		{name: "other_faults_report_the_deploy", fault: FaultReadiness, want: newRelease},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startTest(t)
			s.SetFault(tc.fault)
			got := mustDo(t, http.MethodGet, s.URL()+"/health/info")
			if got.code != http.StatusOK {
				t.Fatalf("status = %d, want 200", got.code)
			}
			var info infoBody
			if err := json.Unmarshal([]byte(got.body), &info); err != nil {
				t.Fatalf("info is not JSON: %v", err)
			}
			if diff := cmp.Diff(tc.want, Release{Version: info.Version, Commit: info.Commit}); diff != "" {
				t.Errorf("release (-want +got):\n%s", diff)
			}
			if info.DeployedAt == "" || info.UptimeSeconds < 0 {
				t.Errorf("deployed_at %q, uptime %v: want a time and a non-negative uptime", info.DeployedAt, info.UptimeSeconds)
			}
		})
	}
}

func TestDeployChangesInfo(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	next := NewRelease("1.5.0")
	s.Deploy(next)
	var info infoBody
	if err := json.Unmarshal([]byte(mustDo(t, http.MethodGet, s.URL()+"/health/info").body), &info); err != nil {
		t.Fatalf("info: %v", err)
	}
	if info.Commit != next.Commit || info.Version != "1.5.0" {
		t.Errorf("info = %s@%s, want 1.5.0@%s", info.Version, info.Commit, next.Commit)
	}
}

func TestBadInfoIsNotJSON(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	s.SetFault(FaultBadInfo)
	got := mustDo(t, http.MethodGet, s.URL()+"/health/info")
	if got.code != http.StatusOK {
		t.Errorf("status = %d, want 200", got.code)
	}
	if json.Valid([]byte(got.body)) {
		t.Errorf("body is valid JSON, want a broken page: %s", got.body)
	}
	if !strings.HasPrefix(got.body, "<!DOCTYPE html>") || strings.HasSuffix(got.body, "</html>") {
		t.Errorf("body = %q, want a truncated HTML page", got.body)
	}
}

func TestOrders(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	list := mustDo(t, http.MethodGet, s.URL()+"/api/v1/orders")
	var orders orderList
	if list.code != http.StatusOK || json.Unmarshal([]byte(list.body), &orders) != nil {
		t.Fatalf("GET orders = %d %s", list.code, list.body)
	}
	if n := len(orders.Orders); n < 3 || n > 10 {
		t.Errorf("got %d orders, want 3..10", n)
	}
	for _, o := range orders.Orders {
		if !strings.HasPrefix(o.ID, "ord_") || o.TotalCents <= 0 || o.Currency != "EUR" || o.CreatedAt == "" {
			t.Errorf("implausible order %+v", o)
		}
	}
	created := mustDo(t, http.MethodPost, s.URL()+"/api/v1/orders")
	var o order
	if created.code != http.StatusCreated || json.Unmarshal([]byte(created.body), &o) != nil || o.Status != "pending" {
		t.Errorf("POST orders = %d %s, want 201 with a pending order", created.code, created.body)
	}
}

func TestOrdersFailWhenDatabaseFails(t *testing.T) {
	t.Parallel()
	s := startTest(t)
	s.SetFault(FaultReadiness)
	codes := map[int]int{}
	for range 40 {
		a := mustDo(t, http.MethodGet, s.URL()+"/api/v1/orders")
		codes[a.code]++
		if a.code == http.StatusServiceUnavailable {
			if diff := cmp.Diff(decode(t, `{"error":"database: connection pool exhausted"}`), decode(t, a.body)); diff != "" {
				t.Errorf("error body (-want +got):\n%s", diff)
			}
		}
	}
	// Half the requests fail: 40 all-or-nothing draws would be a 1e-12 coincidence.
	if codes[http.StatusServiceUnavailable] == 0 || codes[http.StatusOK] == 0 {
		t.Errorf("status codes %v, want both 200 and 503", codes)
	}
}
