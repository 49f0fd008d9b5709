package config

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/deploywatch/deploywatch/internal/model"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func load(t *testing.T, src Sources) (*Config, []string, Problems) {
	t.Helper()
	c, warnings, err := Load(src)
	if err == nil {
		return c, warnings, nil
	}
	ps, ok := err.(Problems)
	if !ok {
		t.Fatalf("Load error is %T, want Problems: %v", err, err)
	}
	return nil, warnings, ps
}

func problemLines(ps Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, warnings, ps := load(t, Sources{Inputs: map[string]string{"health_url": "http://127.0.0.1:8080/health/ready"}, Context: model.RunContext{SHA: sha}})
	if ps != nil {
		t.Fatal(ps)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %v", warnings)
	}
	want := &Config{
		Mode: ModeRun, Environment: "production", Description: "Deploy 0123456 to production", ExpectedVersion: sha,
		Schedule: []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute},
		Interval: 10 * time.Second, Cooldown: 5 * time.Minute, FailOn: model.SeverityCritical,
		Persistence: 2, EmergencyPersistence: 1, MaxProbeErrors: 3, HTTPHeaders: http.Header{}, HTTPTimeout: 5 * time.Second,
		Checks: []Check{{Name: "readiness", Type: CheckReadiness, Method: "GET", URL: "http://127.0.0.1:8080/health/ready",
			Headers: http.Header{}, Severity: model.SeverityCritical, Persistence: 2, EmergencyPersistence: 1, MaxProbeErrors: 3, Timeout: 5 * time.Second, Source: "health_url"}},
		ReportPath: "deploywatch-report.json",
		Metrics: Metrics{ErrorRateThreshold: 0.01, LatencyThreshold: Threshold{Factor: 2}, CPUThreshold: 0.9, MemoryThreshold: 0.95,
			Baseline: Baseline{Window: 30 * time.Minute}, History: 7 * 24 * time.Hour},
		Kube: Kube{Namespace: "default", MaxRestarts: 2, RolloutTimeout: 10 * time.Minute},
		Sinks: Sinks{DeploymentStatus: true, Comment: "auto", DatadogSite: "datadoghq.com", NotifyOn: model.SeverityWarning,
			ProductionEnvironment: true},
	}
	if diff := cmp.Diff(want, c, cmpIgnoreOrigins); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if o := c.Origins["health_url"]; o.Layer != LayerInput || o.Name != "INPUT_HEALTH_URL" {
		t.Errorf("origin of health_url = %+v", o)
	}
}

var cmpIgnoreOrigins = cmp.Options{cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Origins" }, cmp.Ignore()), cmpopts.IgnoreUnexported(Check{})}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	file, fps := ParseFile("deploywatch.yml", []byte("interval: 7s\ncooldown: 1m\nwarmup: 5s\nfail_on: warning\nhealth_url: http://file/ready\n"))
	if fps != nil {
		t.Fatal(fps)
	}
	c, _, ps := load(t, Sources{
		Flags: map[string]string{"interval": "3s"},
		// The runner passes defaults as inputs: cooldown=5m (its default) must not hide the file's 1m,
		// while a non-default input (warmup) overrides the file.
		Inputs: map[string]string{"interval": "4s", "cooldown": "5m", "warmup": "2s", "fail_on": ""},
		File:   file, Context: model.RunContext{SHA: sha},
	})
	if ps != nil {
		t.Fatal(ps)
	}
	got := []any{c.Interval, c.Cooldown, c.Warmup, c.FailOn, c.Checks[0].URL}
	want := []any{3 * time.Second, time.Minute, 2 * time.Second, model.SeverityWarning, "http://file/ready"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	wantOrigins := map[string]string{"interval": "flag --interval", "cooldown": "deploywatch.yml", "warmup": "INPUT_WARMUP", "fail_on": "deploywatch.yml", "environment": "default"}
	for name, w := range wantOrigins {
		if got := c.Origins[name].String(); got != w {
			t.Errorf("origin of %s = %q, want %q", name, got, w)
		}
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	_, _, ps := load(t, Sources{Inputs: map[string]string{
		"interval":     "10",
		"fail_on":      "fatal",
		"health_url":   "localhost:8080/ready",
		"smoke_tests":  "GET https://api.example.com/status .status == \"ok\"\nGTE https://api.example.com/x",
		"http_headers": "Authorization: Bearer s3cr3t-t0ken\nX-Broken s3cr3t-t0ken",
		"dry_run":      "yes",
		"schedule":     "30s,10s",
		"warmup":       "10m",
	}})
	want := []string{
		`interval "10" (from INPUT_INTERVAL): needs a unit: write e.g. 10s, 1m or 500ms`,
		`schedule "30s,10s" (from INPUT_SCHEDULE): checkpoints must be in increasing order (10s after 30s)`,
		`fail_on "fatal" (from INPUT_FAIL_ON): is not allowed; allowed: warning, critical, emergency`,
		`dry_run "yes" (from INPUT_DRY_RUN): must be true or false`,
		`health_url "localhost:8080/ready" (from INPUT_HEALTH_URL): must be an http:// or https:// URL`,
		`http_headers (value hidden: secret) (from INPUT_HTTP_HEADERS): line 2 has no colon; write Name: value`,
		`smoke_tests line 2 "GTE https://api.example.com/x" (from INPUT_SMOKE_TESTS): method "GTE" is not allowed; allowed: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (write METHOD URL [jq-expression])`,
		`warmup "10m" (from INPUT_WARMUP): must end before the last checkpoint of schedule (30s)`,
	}
	got := problemLines(ps)
	if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for _, line := range got {
		if strings.Contains(line, "s3cr3t") {
			t.Errorf("a problem leaks the secret: %s", line)
		}
	}
}

func TestEmergencyPersistence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		file   string // the checks list of a config file, if any
		want   []int  // EmergencyPersistence of each check, in order
		// wantProblems are the problems, when the configuration is invalid.
		wantProblems []string
	}{
		{name: "default_is_one", want: []int{1}},
		{name: "input_applies_to_every_check", inputs: map[string]string{"emergency_persistence": "2"},
			file: "checks:\n  - {type: liveness, url: 'http://a/live'}\n", want: []int{2, 2}},
		{name: "check_key_overrides_the_input", inputs: map[string]string{"persistence": "3", "emergency_persistence": "2"},
			file: "checks:\n  - {type: liveness, url: 'http://a/live', emergency_persistence: 3}\n", want: []int{2, 3}},
		{name: "lowered_to_a_check's_smaller_persistence", inputs: map[string]string{"emergency_persistence": "2"},
			file: "checks:\n  - {type: liveness, url: 'http://a/live', persistence: 1}\n", want: []int{2, 1}},
		{name: "prometheus_check_takes_it_too", inputs: map[string]string{"emergency_persistence": "2", "prometheus_url": "http://prom:9090", "error_rate_query": "x"},
			file: "checks:\n  - {type: prometheus, query: 'up == 0', threshold: 0, severity: emergency, emergency_persistence: 1}\n"},
		{name: "zero", inputs: map[string]string{"emergency_persistence": "0"},
			wantProblems: []string{`emergency_persistence "0" (from INPUT_EMERGENCY_PERSISTENCE): must be 1 or more`}},
		{name: "not_a_number", inputs: map[string]string{"emergency_persistence": "twice"},
			wantProblems: []string{`emergency_persistence "twice" (from INPUT_EMERGENCY_PERSISTENCE): must be a whole number, 0 or more`}},
		{name: "more_than_persistence", inputs: map[string]string{"emergency_persistence": "3"},
			wantProblems: []string{`emergency_persistence "3" (from INPUT_EMERGENCY_PERSISTENCE): must not be more than persistence (2): an unreachable service is also a breach that persistence confirms`}},
		{name: "check_key_more_than_its_persistence",
			file:         "checks:\n  - {type: liveness, url: 'http://a/live', emergency_persistence: 4}\n",
			wantProblems: []string{`checks[0].emergency_persistence "4" (from x.yml:2): must not be more than the check's persistence (2)`}},
		{name: "check_key_zero",
			file:         "checks:\n  - {type: liveness, url: 'http://a/live', emergency_persistence: 0}\n",
			wantProblems: []string{`checks[0].emergency_persistence "0" (from x.yml:2): must be a whole number, 1 or more`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inputs := map[string]string{"health_url": "http://a/ready"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			src := Sources{Inputs: inputs, Context: model.RunContext{SHA: sha}}
			if tt.file != "" {
				f, fps := ParseFile("x.yml", []byte(tt.file))
				if fps != nil {
					t.Fatal(fps)
				}
				src.File = f
			}
			c, _, ps := load(t, src)
			if diff := cmp.Diff(tt.wantProblems, problemLines(ps)); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
			if c == nil {
				return
			}
			var got []int
			for _, ch := range c.Checks {
				got = append(got, ch.EmergencyPersistence)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("emergency persistence of the checks (-want +got):\n%s", diff)
				}
			}
			for _, mc := range c.Metrics.Checks {
				if mc.Source == "checks[0]" && mc.EmergencyPersistence != 1 {
					t.Errorf("metric check %s: emergency persistence %d, want 1", mc.Name, mc.EmergencyPersistence)
				}
				if mc.Source == "error_rate_threshold" && mc.EmergencyPersistence != 2 {
					t.Errorf("metric check %s: emergency persistence %d, want 2", mc.Name, mc.EmergencyPersistence)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestNoChecks(t *testing.T) {
	t.Parallel()
	_, _, ps := load(t, Sources{})
	want := []string{"checks: none configured; set at least one of health_url, live_url, info_url, smoke_tests, prometheus_url, metrics_url, or checks in the config file"}
	if diff := cmp.Diff(want, problemLines(ps)); diff != "" {
		t.Error(diff)
	}
	if _, _, ps := load(t, Sources{Inputs: map[string]string{"mode": "finish"}}); len(ps) != 1 || !strings.Contains(ps[0].Error(), "status: is required in mode finish") {
		t.Errorf("finish without status: %v", ps)
	}
	if c, _, ps := load(t, Sources{Inputs: map[string]string{"mode": "start"}}); ps != nil || c.Mode != ModeStart {
		t.Errorf("start needs no checks: %v", ps)
	}
}

func TestVersionNeedsExpected(t *testing.T) {
	t.Parallel()
	_, _, ps := load(t, Sources{Inputs: map[string]string{"info_url": "http://svc/health/info"}})
	if len(ps) != 1 || !strings.Contains(ps[0].Error(), "info_url: version verification needs expected_version") {
		t.Errorf("problems = %v", problemLines(ps))
	}
	c, _, ps := load(t, Sources{Inputs: map[string]string{"info_url": "http://svc/health/info"}, Context: model.RunContext{SHA: "merge", HeadSHA: sha}})
	if ps != nil || c.Checks[0].Expected != sha || c.Checks[0].Field != ".commit" {
		t.Errorf("expected version from the pull request head: %+v %v", c.Checks, ps)
	}
}

func TestSecretsCollected(t *testing.T) {
	t.Parallel()
	c, _, ps := load(t, Sources{Inputs: map[string]string{
		"health_url": "http://svc/ready", "http_headers": "Authorization: Bearer abc123\nX-Api-Key: k3y", "github_token": "ghs_token",
	}, Context: model.RunContext{SHA: sha}})
	if ps != nil {
		t.Fatal(ps)
	}
	for _, s := range []string{"Bearer abc123", "k3y", "ghs_token"} {
		if !contains(c.Secrets, s) {
			t.Errorf("secret %q not collected: %q", s, c.Secrets)
		}
	}
	if got := c.Checks[0].Headers.Get("X-Api-Key"); got != "k3y" {
		t.Errorf("header not passed to the check: %q", got)
	}
}

// TestBareTokensAreSecrets: the runner masks exact text, so the token of an
// "Authorization: Bearer <token>" header is a secret on its own, wherever the header is set.
func TestBareTokensAreSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		file   string
		want   []string
	}{
		{name: "http_headers_bearer", inputs: map[string]string{"http_headers": "Authorization: Bearer tok-123456"},
			want: []string{"Bearer tok-123456", "tok-123456"}},
		{name: "prometheus_headers_token_scheme", inputs: map[string]string{"prometheus_headers": "Authorization: Token prom-987654"},
			want: []string{"Token prom-987654", "prom-987654"}},
		{name: "basic_decoded_password", inputs: map[string]string{"http_headers": "Authorization: Basic dXNlcjpodW50ZXIyMg=="},
			want: []string{"Basic dXNlcjpodW50ZXIyMg==", "dXNlcjpodW50ZXIyMg==", "hunter22"}},
		{name: "file_check_header", file: "checks:\n  - {type: liveness, url: 'http://a/live', headers: {Authorization: Bearer file-tok-42}}\n",
			want: []string{"Bearer file-tok-42", "file-tok-42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := Sources{Inputs: tt.inputs}
			if tt.file != "" {
				f, fps := ParseFile("x.yml", []byte(tt.file))
				if fps != nil {
					t.Fatal(fps)
				}
				src.File = f
			}
			got := Secrets(src)
			for _, w := range tt.want {
				if !contains(got, w) {
					t.Errorf("secret %q not collected: %q", w, got)
				}
			}
			for _, scheme := range []string{"Bearer", "Token", "Basic"} {
				if contains(got, scheme) {
					t.Errorf("the scheme %q is collected as a secret: %q", scheme, got)
				}
			}
		})
	}
}

func TestKubeSettings(t *testing.T) {
	t.Parallel()
	c, _, ps := load(t, Sources{Inputs: map[string]string{"deployment": "statefulset/db", "namespace": "shop", "rollback": "true",
		"log_error_pattern": "(?i)panic|fatal", "max_log_errors": "3", "kubeconfig": "apiVersion: v1\nkind: Config"}})
	if ps != nil {
		t.Fatal(ps)
	}
	if k := c.Kube; k.Deployment != "statefulset/db" || !k.Rollback || k.MaxLogErrors != 3 || k.RolloutTimeout != 10*time.Minute || !contains(c.Secrets, "apiVersion: v1\nkind: Config") {
		t.Errorf("kube settings: %+v", k)
	}
	_, _, ps = load(t, Sources{Inputs: map[string]string{"deployment": "cronjob/x", "log_error_pattern": "(unclosed"}})
	want := []string{
		`deployment "cronjob/x" (from INPUT_DEPLOYMENT): kind "cronjob" is not followed; allowed: deployment, statefulset, daemonset`,
		"log_error_pattern \"(unclosed\" (from INPUT_LOG_ERROR_PATTERN): is not a regular expression: error parsing regexp: missing closing ): `(unclosed`",
	}
	if diff := cmp.Diff(sorted(want), sorted(problemLines(ps))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	_, _, ps = load(t, Sources{Inputs: map[string]string{"health_url": "http://svc/ready", "expected_version": "x", "rollback": "true", "pod_selector": "app=api"}})
	want = []string{
		`pod_selector "app=api" (from INPUT_POD_SELECTOR): needs deployment: the workload whose rollout and pods to watch`,
		`rollback "true" (from INPUT_ROLLBACK): needs deployment: the workload whose rollout and pods to watch`,
	}
	if diff := cmp.Diff(sorted(want), sorted(problemLines(ps))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestUnknownInputs(t *testing.T) {
	t.Parallel()
	got := UnknownInputs([]string{"PATH", "INPUT_HEALTH_URL", "INPUT_HEALTHURL", "INPUT_FAIL-ON", "INPUT_ZZZZZZZZ"})
	want := []string{
		"INPUT_FAIL-ON is not an input of deploywatch and is ignored; did you mean fail_on?",
		"INPUT_HEALTHURL is not an input of deploywatch and is ignored; did you mean health_url?",
		"INPUT_ZZZZZZZZ is not an input of deploywatch and is ignored",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSecretsBeforeValidation(t *testing.T) {
	t.Parallel()
	file, _ := ParseFile("x.yml", []byte("checks:\n  - url: https://u:filepass@svc/x\n    headers: {X-Key: filekey}\n"))
	got := Secrets(Sources{
		Inputs: map[string]string{"interval": "broken", "github_token": "ghs_abc", "health_url": "https://user:urlpass@svc/ready",
			"http_headers": "Authorization: Bearer hdr"},
		File: file,
	})
	for _, want := range []string{"ghs_abc", "urlpass", "Bearer hdr", "filepass", "filekey"} {
		if !contains(got, want) {
			t.Errorf("Secrets() = %q, missing %q", got, want)
		}
	}
	// Passwords in every URL input, including ones that are not valid http(s) URLs.
	got = Secrets(Sources{Inputs: map[string]string{
		"environment_url": "https://u:envpass@shop.example.com", "datadog_api_url": "https://k:ddpass@api.datadoghq.eu",
		"live_url": "ftp://u:ftppass@svc/live", "info_url": "https://u:bad%zzpass@svc/info",
	}})
	for _, want := range []string{"envpass", "ddpass", "ftppass", "bad%zzpass"} {
		if !contains(got, want) {
			t.Errorf("Secrets() = %q, missing %q", got, want)
		}
	}
}
