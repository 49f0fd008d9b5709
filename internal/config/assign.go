package config

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// assign parses one input's text into its typed field.
func assign(c *Config, in Input, text string) error {
	text = strings.TrimSpace(text)
	if in.Type == TypeEnum && !contains(in.Options, text) {
		return fmt.Errorf("is not allowed; allowed: %s", strings.Join(in.Options, ", "))
	}
	switch in.Type {
	case TypeURL:
		if _, err := ParseHTTPURL(text); err != nil {
			return err
		}
	}
	switch in.Name {
	case "mode":
		c.Mode = Mode(text)
	case "environment":
		c.Environment = text
	case "description":
		c.Description = text
	case "expected_version":
		c.ExpectedVersion = text
	case "schedule":
		return setDurations(&c.Schedule, text)
	case "interval":
		return setDuration(&c.Interval, text)
	case "cooldown":
		return setDuration(&c.Cooldown, text)
	case "warmup":
		return setDuration(&c.Warmup, text)
	case "fail_on":
		return setSeverity(&c.FailOn, text)
	case "dry_run":
		return setBool(&c.DryRun, text)
	case "config":
		c.ConfigFile = text
	case "production_environment":
		// environment comes first in the table, so auto can read it here.
		env := strings.ToLower(c.Environment)
		c.Sinks.ProductionEnvironment = text == "true" || text == "auto" && (env == "production" || env == "prod" || env == "live")
	case "health_url", "live_url", "info_url", "version_field", "smoke_tests", "ca_cert":
		// Read when the checks are built; ca_cert by caCert.
	case "http_headers":
		h, err := parseHeaders(text)
		if err != nil {
			return err
		}
		c.HTTPHeaders = h
	case "http_timeout":
		return setDuration(&c.HTTPTimeout, text)
	case "persistence":
		return setCount(&c.Persistence, text)
	case "emergency_persistence":
		return setCount(&c.EmergencyPersistence, text)
	case "max_probe_errors":
		return setCount(&c.MaxProbeErrors, text)
	case "summary_path":
		c.SummaryPath = text
	case "junit_path":
		c.JUnitPath = text
	case "dotenv_path":
		c.DotenvPath = text
	case "report_path":
		c.ReportPath = text
	case "started_at":
		t, err := time.Parse(time.RFC3339, text)
		if err != nil {
			return errors.New("must be an RFC 3339 time such as 2026-11-21T10:00:00Z")
		}
		c.StartedAt = t
	case "deployment_id":
		c.DeploymentID = text
	case "status":
		c.FinalStatus = model.Verdict(text)
	default:
		return assignLater(c, in, text)
	}
	return nil
}

// assignLater parses the inputs of the metrics, Kubernetes and events features.
func assignLater(c *Config, in Input, text string) error {
	m, k, s := &c.Metrics, &c.Kube, &c.Sinks
	switch in.Name {
	case "prometheus_url":
		m.PrometheusURL = text
	case "prometheus_token":
		m.PrometheusToken = text
	case "prometheus_headers":
		h, err := parseHeaders(text)
		m.PrometheusHeaders = h
		return err
	case "metrics_url":
		return setURLs(&m.MetricsURLs, text)
	case "selector":
		sel, err := ParseSelector(text)
		m.Selector = sel
		return err
	case "error_rate_query":
		m.ErrorRateQuery = text
	case "error_rate_threshold":
		return setPercent(&m.ErrorRateThreshold, text)
	case "latency_query":
		m.LatencyQuery = text
	case "latency_threshold":
		t, err := ParseLatencyThreshold(text)
		m.LatencyThreshold = t
		return err
	case "cpu_threshold":
		return setPercent(&m.CPUThreshold, text)
	case "memory_threshold":
		return setPercent(&m.MemoryThreshold, text)
	case "queries":
		m.Queries = splitLines(text)
	case "baseline":
		b, err := ParseBaseline(text)
		m.Baseline = b
		return err
	case "history":
		return setDuration(&m.History, text)
	case "kubeconfig":
		k.Kubeconfig = text
	case "kube_context":
		k.Context = text
	case "max_log_errors":
		return setCount(&k.MaxLogErrors, text)
	case "rollout_timeout":
		return setDuration(&k.RolloutTimeout, text)
	case "namespace":
		k.Namespace = text
	case "deployment":
		k.Deployment = text
	case "pod_selector":
		k.PodSelector = text
	case "max_restarts":
		return setCount(&k.MaxRestarts, text)
	case "log_error_pattern":
		if _, err := regexp.Compile(text); err != nil {
			return fmt.Errorf("is not a regular expression: %w", err)
		}
		k.LogErrorPattern = text
	case "rollback":
		return setBool(&k.Rollback, text)
	default:
		return assignSink(s, in, text)
	}
	return nil
}

func assignSink(s *Sinks, in Input, text string) error {
	switch in.Name {
	case "github_token":
		s.GitHubToken = text
	case "deployment_status":
		return setBool(&s.DeploymentStatus, text)
	case "comment":
		s.Comment = text
	case "commit_status":
		return setBool(&s.CommitStatus, text)
	case "gitlab_token":
		s.GitLabToken = text
	case "slack_webhook_url":
		s.SlackWebhookURL = text
	case "webhook_url":
		s.WebhookURL = text
	case "webhook_token":
		s.WebhookToken = text
	case "grafana_url":
		s.GrafanaURL = text
	case "grafana_token":
		s.GrafanaToken = text
	case "grafana_dashboard_uid":
		s.GrafanaDashboardUID = text
	case "datadog_api_key":
		s.DatadogAPIKey = text
	case "datadog_site":
		s.DatadogSite = text
	case "datadog_api_url":
		s.DatadogAPIURL = text
	case "notify_on":
		return setSeverity(&s.NotifyOn, text)
	case "smtp_url":
		if err := checkSMTPURL(text); err != nil {
			return err
		}
		s.SMTPURL = text
	case "email_to":
		s.EmailTo = splitList(text)
	case "email_from":
		s.EmailFrom = text
	case "environment_url":
		s.EnvironmentURL = text
	case "transient_environment":
		return setBool(&s.TransientEnvironment, text)
	default:
		return fmt.Errorf("has no meaning in this version")
	}
	return nil
}

func setDuration(dst *time.Duration, text string) (err error) {
	*dst, err = ParseDuration(text)
	return err
}

func setDurations(dst *[]time.Duration, text string) (err error) {
	*dst, err = ParseDurations(text)
	return err
}

func setPercent(dst *float64, text string) (err error) {
	*dst, err = ParsePercent(text)
	return err
}

func setBool(dst *bool, text string) (err error) {
	*dst, err = ParseBool(text)
	return err
}

func setCount(dst *int, text string) (err error) {
	*dst, err = ParseCount(text)
	return err
}

func setSeverity(dst *model.Severity, text string) (err error) {
	*dst, err = model.ParseSeverity(text)
	return err
}

// parseHeaders reads `Name: value` lines. Messages never quote a value: values are secrets.
func parseHeaders(text string) (http.Header, error) {
	h := http.Header{}
	var errs []error
	for i, l := range splitLines(text) {
		name, value, ok := strings.Cut(l, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("line %d has no colon; write Name: value", i+1))
		case !validHeaderName(name):
			errs = append(errs, fmt.Errorf("line %d: %q is not a valid header name", i+1, truncate(name, 40)))
		case !validHeaderValue(value):
			errs = append(errs, fmt.Errorf("line %d: the value of %s holds characters a header cannot carry", i+1, name))
		default:
			h.Add(textproto.CanonicalMIMEHeaderKey(name), value)
		}
	}
	return h, errors.Join(errs...)
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control characters other than tab.
func validHeaderValue(v string) bool {
	for _, r := range v {
		if (r < ' ' && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}

func setURLs(dst *[]string, text string) error {
	var errs []error
	for _, u := range splitList(text) {
		if _, err := ParseHTTPURL(u); err != nil {
			errs = append(errs, fmt.Errorf("%q %w", truncate(u, 80), err))
			continue
		}
		*dst = append(*dst, u)
	}
	return errors.Join(errs...)
}
