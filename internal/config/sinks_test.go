package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestNotifiersFromInputsAndFile(t *testing.T) {
	t.Parallel()
	f, fps := ParseFile("deploywatch.yml", []byte(`
sinks:
  - type: slack
    url: https://hooks.slack.com/services/T1/B1/oncall
    notify_on: critical
  - type: email
    url: smtp://alerts:m4ilp4ss@smtp.example.com:587
    to: [oncall@example.com, "Team <team@example.com>"]
  - type: datadog
    api_key: dd-k3y-from-file
    site: datadoghq.eu
  - type: email
    url: smtps://smtp.example.com
    to: [ops@example.com]
    notify_on: warning
`))
	if fps != nil {
		t.Fatal(fps)
	}
	c, warnings, ps := load(t, Sources{Inputs: map[string]string{
		"health_url": "http://svc/ready", "slack_webhook_url": "https://hooks.slack.com/services/T/B/general",
		"webhook_url": "https://app.cased.com/api/v1/deployments/", "webhook_token": "cased-t0ken",
		"grafana_url": "https://grafana.example.com", "grafana_token": "glsa_t0ken", "grafana_dashboard_uid": "shop",
		"smtp_url": "smtp://relay.example.com:25", "email_to": "dev@example.com",
		"notify_on": "info",
	}, File: f, Context: model.RunContext{SHA: sha}})
	if ps != nil || len(warnings) > 0 {
		t.Fatalf("problems %v warnings %v", problemLines(ps), warnings)
	}
	want := []Notifier{
		{Type: NotifierSlack, URL: "https://hooks.slack.com/services/T/B/general", NotifyOn: model.SeverityInfo, Source: "slack_webhook_url"},
		{Type: NotifierWebhook, URL: "https://app.cased.com/api/v1/deployments/", Token: "cased-t0ken", NotifyOn: model.SeverityInfo, Source: "webhook_url"},
		{Type: NotifierGrafana, URL: "https://grafana.example.com", Token: "glsa_t0ken", DashboardUID: "shop", NotifyOn: model.SeverityInfo, Source: "grafana_url"},
		// Email is for problems: the notify_on input (Slack, Grafana, Datadog) leaves it at
		// critical; an item's own notify_on sets it.
		{Type: NotifierEmail, URL: "smtp://relay.example.com:25", To: []string{"dev@example.com"}, NotifyOn: model.SeverityCritical, Source: "smtp_url"},
		{Type: NotifierSlack, URL: "https://hooks.slack.com/services/T1/B1/oncall", NotifyOn: model.SeverityCritical, Source: "sinks[0]"},
		{Type: NotifierEmail, URL: "smtp://alerts:m4ilp4ss@smtp.example.com:587", To: []string{"oncall@example.com", "Team <team@example.com>"},
			NotifyOn: model.SeverityCritical, Source: "sinks[1]"},
		{Type: NotifierDatadog, Token: "dd-k3y-from-file", Site: "datadoghq.eu", NotifyOn: model.SeverityInfo, Source: "sinks[2]"},
		{Type: NotifierEmail, URL: "smtps://smtp.example.com", To: []string{"ops@example.com"}, NotifyOn: model.SeverityWarning, Source: "sinks[3]"},
	}
	if diff := cmp.Diff(want, c.Sinks.Notifiers); diff != "" {
		t.Errorf("notifiers (-want +got):\n%s", diff)
	}
	for _, secret := range []string{"https://hooks.slack.com/services/T1/B1/oncall", "m4ilp4ss", "dd-k3y-from-file", "cased-t0ken", "glsa_t0ken"} {
		if !slices.Contains(c.Secrets, secret) {
			t.Errorf("secret %q is not masked; secrets %q", secret, c.Secrets)
		}
	}
}

// The valid types of the `sinks` list are the ones the caller registered, and the
// error for another lists them.
func TestSinkTypesFromTheCaller(t *testing.T) {
	t.Parallel()
	f, fps := ParseFile("deploywatch.yml", []byte("sinks:\n  - type: email\n    url: smtp://relay.example.com\n    to: [a@example.com]\n"))
	if fps != nil {
		t.Fatal(fps)
	}
	tests := []struct {
		name  string
		types []string
		want  []string
	}{
		{name: "registered", types: []string{"email", "slack"}},
		{name: "not_registered", types: []string{"slack", "webhook"},
			want: []string{`sinks[0].type: "email" is not a sink type; valid types: slack, webhook`}},
		{name: "nil_is_every_checked_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, ps := load(t, Sources{Inputs: map[string]string{"health_url": "http://svc/ready"}, File: f,
				Context: model.RunContext{SHA: sha}, SinkTypes: tt.types})
			var got []string
			for _, p := range ps {
				got = append(got, p.Input+": "+p.Msg)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotifierProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]string
		file   string
		want   []string // substrings, one per problem
	}{
		{name: "unknown_type_lists_the_valid_ones", file: "sinks:\n  - type: teams\n    url: https://x.example/hook\n",
			want: []string{`sinks[0].type (from deploywatch.yml:2): "teams" is not a sink type; valid types: datadog, email, grafana, slack, webhook`}},
		{name: "missing_type", file: "sinks:\n  - url: https://x.example/hook\n", want: []string{"sinks[0].type (from deploywatch.yml:2): is required; valid types:"}},
		{name: "unknown_key_suggests", file: "sinks:\n  - type: slack\n    ulr: https://x.example/hook\n",
			want: []string{"sinks[0].ulr (from deploywatch.yml:2): is not a sink setting; did you mean url?", "sinks[0].url (from deploywatch.yml:2): is required for a slack sink"}},
		{name: "bad_notify_on", file: "sinks:\n  - type: slack\n    url: https://x.example/h\n    notify_on: loud\n",
			want: []string{"sinks[0].notify_on (from deploywatch.yml:2): is not allowed; allowed: info, warning, critical, emergency"}},
		{name: "notify_on_on_a_webhook", file: "sinks:\n  - type: webhook\n    url: https://x.example/h\n    notify_on: critical\n",
			want: []string{"sinks[0].notify_on (from deploywatch.yml:2): does nothing on a webhook sink"}},
		{name: "datadog_site", inputs: map[string]string{"datadog_api_key": "k", "datadog_site": "datadog.com"},
			want: []string{`datadog_site "datadog.com" (from INPUT_DATADOG_SITE): "datadog.com" is not a Datadog site; valid sites: datadoghq.com, us3.datadoghq.com`}},
		{name: "smtp_url_scheme", inputs: map[string]string{"smtp_url": "https://mail.example.com", "email_to": "a@example.com"},
			want: []string{"smtp_url (value hidden: secret) (from INPUT_SMTP_URL): must be smtp://host:port (STARTTLS) or smtps://host:port (TLS)"}},
		{name: "email_without_recipients", inputs: map[string]string{"smtp_url": "smtp://mail.example.com:587"},
			want: []string{"email_to: needs at least one address"}},
		{name: "bad_recipient", inputs: map[string]string{"smtp_url": "smtp://mail.example.com:587", "email_to": "oncall, b@example.com"},
			want: []string{`email_to "oncall, b@example.com" (from INPUT_EMAIL_TO): "oncall" is not an email address`}},
		{name: "companions_without_their_sink", inputs: map[string]string{"webhook_token": "t", "grafana_dashboard_uid": "shop", "email_to": "a@example.com"},
			want: []string{"webhook_token (from INPUT_WEBHOOK_TOKEN): needs webhook_url", "grafana_dashboard_uid (from INPUT_GRAFANA_DASHBOARD_UID): needs grafana_url", "email_to (from INPUT_EMAIL_TO): needs smtp_url"}},
		{name: "slack_url_not_http", inputs: map[string]string{"slack_webhook_url": "hooks.slack.com/services/x"},
			want: []string{"slack_webhook_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inputs := map[string]string{"health_url": "http://svc/ready"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			src := Sources{Inputs: inputs, Context: model.RunContext{SHA: sha}}
			var fps Problems
			if tt.file != "" {
				src.File, fps = ParseFile("deploywatch.yml", []byte(tt.file))
			}
			var lines []string
			if src.File != nil || fps == nil {
				_, _, ps := load(t, src)
				lines = problemLines(append(fps, ps...))
			} else {
				lines = problemLines(fps)
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", lines, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}

func TestProductionEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env, setting string
		want         bool
	}{
		{"production", "auto", true}, {"prod", "auto", true}, {"Live", "auto", true},
		{"staging", "auto", false}, {"staging", "true", true}, {"production", "false", false},
	}
	for _, tt := range tests {
		c, _, ps := load(t, Sources{Inputs: map[string]string{"health_url": "http://svc/ready", "environment": tt.env, "production_environment": tt.setting},
			Context: model.RunContext{SHA: sha}})
		if ps != nil {
			t.Fatal(ps)
		}
		if c.Sinks.ProductionEnvironment != tt.want {
			t.Errorf("environment %q, production_environment %s: %v, want %v", tt.env, tt.setting, c.Sinks.ProductionEnvironment, tt.want)
		}
	}
}
