package config

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploywatch/deploywatch/internal/model"
)

func loadFile(t *testing.T, path string) (*Config, Problems) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, ps := ParseFile(path, data)
	if f == nil {
		return nil, ps
	}
	c, _, lps := load(t, Sources{File: f})
	return c, append(ps, lps...)
}

func TestFullConfigFile(t *testing.T) {
	t.Parallel()
	c, ps := loadFile(t, "testdata/configs/full.yml")
	if ps != nil {
		t.Fatal(ps)
	}
	var names []string
	for _, ch := range c.Checks {
		names = append(names, ch.Name)
	}
	want := []string{"readiness", "liveness", "version", "smoke GET /api/v1/status", "smoke POST /auth/health",
		"checkout", "version /health/info", "readiness /health/ready"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("check names (-want +got):\n%s", diff)
	}
	checkout := c.Checks[5]
	wantCheckout := Check{Name: "checkout", Type: CheckHTTP, Method: "POST", URL: "https://payments.example.com/api/v1/checkout/dry-run",
		Headers: http.Header{"X-Deploy-Probe": {"deploywatch"}, "Content-Type": {"application/json"}}, Body: `{"amount": 100}`,
		ExpectStatus: "200,201", Expect: ".approved == true", Field: ".build.commit", Expected: "0123456789abcdef0123456789abcdef01234567",
		Severity: model.SeverityCritical, Persistence: 2, EmergencyPersistence: 1, MaxProbeErrors: 4, Timeout: 2 * time.Second, Source: "checks[0]"}
	if diff := cmp.Diff(wantCheckout, checkout, cmpopts.IgnoreUnexported(Check{})); diff != "" {
		t.Errorf("checkout check (-want +got):\n%s", diff)
	}
	if c.Checks[7].Severity != model.SeverityWarning || c.Checks[0].Persistence != 3 || c.Checks[0].Timeout != 3*time.Second {
		t.Errorf("per-check and global settings not applied: %+v", c.Checks)
	}
	if c.Interval != 5*time.Second || c.ReportPath != "reports/deploywatch.json" || c.Environment != "staging" {
		t.Errorf("inputs from the file not applied: %+v", c)
	}
	var sinks []string
	for _, n := range c.Sinks.Notifiers {
		sinks = append(sinks, n.Type+"@"+n.NotifyOn.String())
	}
	if diff := cmp.Diff([]string{"slack@critical", "email@critical", "grafana@warning"}, sinks); diff != "" {
		t.Errorf("sinks (-want +got):\n%s", diff)
	}
}

func TestParseFileShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		yaml    string
		want    map[string]string
		wantErr string
	}{
		{"empty", "", map[string]string{}, ""},
		{"comment_only", "# nothing\n", map[string]string{}, ""},
		{"scalar_list_map", "schedule: 10s,1m\nsmoke_tests: |\n  GET http://a/x\n  GET http://a/y\nhttp_headers: {A: b}\n",
			map[string]string{"schedule": "10s,1m", "smoke_tests": "GET http://a/x\nGET http://a/y\n", "http_headers": "A: b"}, ""},
		{"not_a_mapping", "- a\n- b\n", nil, "config (from x.yml): must be a YAML mapping"},
		{"bad_yaml", "a: [\n", nil, "config (from x.yml): is not valid YAML"},
		{"config_in_file", "config: other.yml\n", map[string]string{}, "config (from x.yml:1): cannot be set inside a config file"},
		{"map_for_scalar", "interval: {a: 1}\n", map[string]string{}, "interval (from x.yml:1): must be a single value, not a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, ps := ParseFile("x.yml", []byte(tt.yaml))
			if tt.wantErr == "" && ps != nil || tt.wantErr != "" && (len(ps) != 1 || !strings.Contains(ps[0].Error(), tt.wantErr)) {
				t.Fatalf("problems = %v, want %q", ps, tt.wantErr)
			}
			if tt.want != nil && (f == nil || !cmp.Equal(tt.want, f.Values)) {
				t.Errorf("values = %v, want %v", f, tt.want)
			}
		})
	}
}
