package config

import "strings"

// ValueType is how an input's text is read.
type ValueType string

// Value types.
const (
	TypeString    ValueType = "string"
	TypeURL       ValueType = "url"
	TypeDuration  ValueType = "duration"
	TypeDurations ValueType = "durations"
	TypePercent   ValueType = "percent"
	TypeBool      ValueType = "bool"
	TypeCount     ValueType = "count"
	TypeEnum      ValueType = "enum"
	TypeLines     ValueType = "lines"
	TypeThreshold ValueType = "threshold"
	TypeTime      ValueType = "time"
	TypeBaseline  ValueType = "baseline"
	TypeSelector  ValueType = "selector"
)

// Feature groups inputs by the capability that uses them.
type Feature string

// Features.
const (
	FeatureCore    Feature = "core"
	FeatureMetrics Feature = "metrics"
	FeatureKube    Feature = "kubernetes"
	FeatureEvents  Feature = "events"
)

// Input describes one setting of the user-facing contract. The same table produces the
// INPUT_<NAME> reader, the CLI flags, the YAML keys, the JSON Schema, and is checked
// against action.yml and the README by tests, so one setting has one name everywhere.
type Input struct {
	Name string
	// Default is the literal default ("" when there is none or it is computed, see DefaultDoc).
	Default string
	// DefaultDoc explains a computed default.
	DefaultDoc  string
	Description string
	Type        ValueType
	Options     []string
	Secret      bool
	Feature     Feature
	// ActionDefault, when set, is action.yml's default instead of Default (an expression).
	ActionDefault string
}

// Env is the variable the GitHub runner and the GitLab template set for the input.
func (in Input) Env() string { return "INPUT_" + strings.ToUpper(in.Name) }

// Flag is the CLI flag name, without dashes.
func (in Input) Flag() string { return strings.ReplaceAll(in.Name, "_", "-") }

// Inputs returns the whole contract, in the design's order.
func Inputs() []Input { return append([]Input(nil), inputs...) }

// LookupInput finds an input by name.
func LookupInput(name string) (Input, bool) {
	for _, in := range inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}

var inputs = []Input{
	{Name: "mode", Default: "run", Type: TypeEnum, Options: []string{"run", "start", "monitor", "finish"}, Feature: FeatureCore,
		Description: "What to do: run (the whole lifecycle), start (announce and record the start only), monitor (rollout to verdict after a start), finish (post a final status)."},
	{Name: "environment", Default: "production", Type: TypeString, Feature: FeatureCore,
		Description: "Environment name used in every event, report and comment."},
	{Name: "description", DefaultDoc: "Deploy <sha7> to <environment>", Type: TypeString, Feature: FeatureCore,
		Description: "Human description of the deployment (the deployment event's deployment_request)."},
	{Name: "expected_version", DefaultDoc: "the run's commit SHA (the pull or merge request's head in a merge-commit pipeline)", Type: TypeString, Feature: FeatureCore,
		Description: "Version the service must report at info_url; a short SHA matches its long form."},
	{Name: "schedule", Default: "10s,30s,1m,5m", Type: TypeDurations, Feature: FeatureCore,
		Description: "Progressive checkpoints after the start, at which progress is published."},
	{Name: "interval", Default: "10s", Type: TypeDuration, Feature: FeatureCore,
		Description: "Period between two rounds of checks; detection takes at most two intervals."},
	{Name: "cooldown", Default: "5m", Type: TypeDuration, Feature: FeatureCore,
		Description: "Extra monitoring after the last checkpoint, to catch latent problems."},
	{Name: "warmup", Default: "0s", Type: TypeDuration, Feature: FeatureCore,
		Description: "Grace period at the start: breaches are reported but not fatal (emergencies excepted)."},
	{Name: "fail_on", Default: "critical", Type: TypeEnum, Options: []string{"warning", "critical", "emergency"}, Feature: FeatureCore,
		Description: "Lowest severity that fails the step."},
	{Name: "dry_run", Default: "false", Type: TypeBool, Feature: FeatureCore,
		Description: "Evaluate and report, but never fail the step or roll back."},
	{Name: "config", Type: TypeString, Feature: FeatureCore,
		Description: "Path to a YAML config with the full model (checks with their own thresholds and severities); see `deploywatch schema`."},
	{Name: "health_url", Type: TypeURL, Feature: FeatureCore,
		Description: "Readiness endpoint; 2xx = ready; a JSON `checks` map is reported per dependency."},
	{Name: "live_url", Type: TypeURL, Feature: FeatureCore,
		Description: "Liveness endpoint; 2xx = alive."},
	{Name: "info_url", Type: TypeURL, Feature: FeatureCore,
		Description: "Deployment info endpoint used for version verification."},
	{Name: "version_field", Default: ".commit", Type: TypeString, Feature: FeatureCore,
		Description: "jq path of the version in the info_url response."},
	{Name: "smoke_tests", Type: TypeLines, Feature: FeatureCore,
		Description: "One per line: `METHOD URL [jq-expression]`; 2xx required and the expression must be truthy, e.g. `GET https://api/x/status .status == \"ok\"`."},
	{Name: "http_headers", Type: TypeLines, Secret: true, Feature: FeatureCore,
		Description: "One `Name: value` per line, sent to every HTTP check; values are secrets."},
	{Name: "http_timeout", Default: "5s", Type: TypeDuration, Feature: FeatureCore,
		Description: "Timeout of each HTTP request; a service that does not answer in time is failing."},
	{Name: "ca_cert", Type: TypeString, Feature: FeatureCore,
		Description: "Certificate authority to trust besides the system's, as PEM content or the path of a PEM file: for a service, Prometheus, metrics_url or a sink behind a private CA."},
	{Name: "persistence", Default: "2", Type: TypeCount, Feature: FeatureCore,
		Description: "Consecutive breaches before a warning or critical breach counts (emergencies: see emergency_persistence)."},
	{Name: "emergency_persistence", Default: "1", Type: TypeCount, Feature: FeatureCore,
		Description: "Consecutive emergencies (the service refusing connections, resetting them or not answering in time) before one counts; 1 fails at once, 2 forgives one lost request. At most persistence."},
	{Name: "max_probe_errors", Default: "3", Type: TypeCount, Feature: FeatureCore,
		Description: "Consecutive probe errors (unreadable answers, backend down) tolerated per check before the run is inconclusive."},
	{Name: "report_path", Default: "deploywatch-report.json", Type: TypeString, Feature: FeatureCore,
		Description: "Where the JSON report is written, relative to the workspace."},
	{Name: "summary_path", DefaultDoc: "deploywatch-summary.md on GitLab", Type: TypeString, Feature: FeatureCore,
		Description: "Also write the Markdown summary to this file (GitLab exposes it in the merge request); off when empty."},
	{Name: "junit_path", DefaultDoc: "deploywatch-junit.xml on GitLab", Type: TypeString, Feature: FeatureCore,
		Description: "Write a JUnit XML report here, one test case per check (GitLab's test summary, Jenkins); off when empty."},
	{Name: "dotenv_path", DefaultDoc: "deploywatch.env on GitLab", Type: TypeString, Feature: FeatureCore,
		Description: "Write the outputs as a dotenv file here (GitLab's reports:dotenv: 20 variables at most, single-line values); off when empty."},
	{Name: "started_at", DefaultDoc: "now", Type: TypeTime, Feature: FeatureCore,
		Description: "Start of the deployment (RFC 3339), for mode monitor after a separate start; the started_at output of mode start."},
	{Name: "deployment_id", Type: TypeString, Feature: FeatureCore,
		Description: "Deployment handle from a previous start, for modes monitor and finish."},
	{Name: "status", Type: TypeEnum, Options: []string{"healthy", "degraded", "failed", "inconclusive", "cancelled"}, Feature: FeatureCore,
		Description: "Final status to post in mode finish."},
	{Name: "prometheus_url", Type: TypeURL, Feature: FeatureMetrics,
		Description: "Prometheus (or compatible) HTTP API base URL."},
	{Name: "prometheus_token", Type: TypeString, Secret: true, Feature: FeatureMetrics,
		Description: "Bearer token for prometheus_url (secret)."},
	{Name: "prometheus_headers", Type: TypeLines, Secret: true, Feature: FeatureMetrics,
		Description: "Extra headers for prometheus_url, one `Name: value` per line (e.g. `X-Scope-OrgID: tenant` for Mimir); values are secrets."},
	{Name: "metrics_url", Type: TypeLines, Feature: FeatureMetrics,
		Description: "Scrape these /metrics endpoints directly when there is no Prometheus; one URL per line (one per replica, summed)."},
	{Name: "selector", Type: TypeSelector, Feature: FeatureMetrics,
		Description: "Label matchers added to the default queries, e.g. `job=\"api\",env=\"prod\"`."},
	{Name: "error_rate_query", DefaultDoc: "5xx ratio of http_requests_total", Type: TypeString, Feature: FeatureMetrics,
		Description: "PromQL returning the error ratio."},
	{Name: "error_rate_threshold", Default: "1%", Type: TypePercent, Feature: FeatureMetrics,
		Description: "Error ratio above which the deploy is failing (critical)."},
	{Name: "latency_query", DefaultDoc: "p99 of http_request_duration_seconds", Type: TypeString, Feature: FeatureMetrics,
		Description: "PromQL returning a latency in seconds."},
	{Name: "latency_threshold", Default: "2x", Type: TypeThreshold, Feature: FeatureMetrics,
		Description: "Latency limit, relative to the baseline (`2x`) or absolute (`500ms`); warning."},
	{Name: "cpu_threshold", Default: "90%", Type: TypePercent, Feature: FeatureMetrics,
		Description: "CPU use of limit above which a warning is raised."},
	{Name: "memory_threshold", Default: "95%", Type: TypePercent, Feature: FeatureMetrics,
		Description: "Memory use of limit above which a warning is raised."},
	{Name: "queries", Type: TypeLines, Feature: FeatureMetrics,
		Description: "Extra checks, one per line: `name: <promql> <op> <value> [severity] [on_no_data=pass|fail|inconclusive]`."},
	{Name: "baseline", Default: "30m", Type: TypeBaseline, Feature: FeatureMetrics,
		Description: "Pre-deploy window used as the baseline; add offsets to also compare with the same window a day or a week earlier (`30m,1d,1w`)."},
	{Name: "history", Default: "7d", Type: TypeDuration, Feature: FeatureMetrics,
		Description: "How much of a metric's history (from Prometheus) the seasonal bands and the anomaly detector learn from; 0 turns them off."},
	{Name: "kubeconfig", Type: TypeString, Secret: true, Feature: FeatureKube,
		Description: "Kubeconfig content or path (else in-cluster, else $KUBECONFIG); secret."},
	{Name: "kube_context", DefaultDoc: "the kubeconfig's current context", Type: TypeString, Feature: FeatureKube,
		Description: "Context of the kubeconfig to use."},
	{Name: "namespace", Default: "default", Type: TypeString, Feature: FeatureKube,
		Description: "Kubernetes namespace of the deployment; left at `default` (or set to it), the kubeconfig context's namespace when it names one (the pod's, in a cluster)."},
	{Name: "deployment", Type: TypeString, Feature: FeatureKube,
		Description: "Workload to watch: a Deployment name, or kind/name for a statefulset or daemonset (rollout status, pods, rollback)."},
	{Name: "pod_selector", DefaultDoc: "the Deployment's selector", Type: TypeString, Feature: FeatureKube,
		Description: "Label selector of the pods."},
	{Name: "max_restarts", Default: "2", Type: TypeCount, Feature: FeatureKube,
		Description: "Container restarts since the start above which the deploy is failing (critical)."},
	{Name: "log_error_pattern", Type: TypeString, Feature: FeatureKube,
		Description: "Regular expression counted in the new pods' logs since the start; off when empty."},
	{Name: "max_log_errors", Default: "0", Type: TypeCount, Feature: FeatureKube,
		Description: "Log lines matching log_error_pattern tolerated since the start; one more fails the deploy (critical)."},
	{Name: "rollout_timeout", Default: "10m", Type: TypeDuration, Feature: FeatureKube,
		Description: "How long the rollout of the deployment may take before it counts as failed (critical)."},
	{Name: "rollback", Default: "false", Type: TypeBool, Feature: FeatureKube,
		Description: "On a failed verdict, undo the Deployment to its previous revision."},
	{Name: "github_token", ActionDefault: "${{ github.token }}", DefaultDoc: "${{ github.token }}", Type: TypeString, Secret: true, Feature: FeatureEvents,
		Description: "Token for GitHub deployments, statuses and the pull request comment."},
	{Name: "deployment_status", Default: "true", Type: TypeBool, Feature: FeatureEvents,
		Description: "Record the deployment and its outcome: a GitHub deployment with statuses, or a GitLab deployment."},
	{Name: "comment", Default: "auto", Type: TypeEnum, Options: []string{"auto", "pr", "commit", "off"}, Feature: FeatureEvents,
		Description: "Sticky comment: auto (the pull or merge request if the run belongs to one, else the commit), pr (the pull or merge request only), commit, off."},
	{Name: "commit_status", Default: "false", Type: TypeBool, Feature: FeatureEvents,
		Description: "Also set a commit status named deploywatch/<environment>."},
	{Name: "gitlab_token", DefaultDoc: "$CI_JOB_TOKEN", Type: TypeString, Secret: true, Feature: FeatureEvents,
		Description: "GitLab token: CI_JOB_TOKEN records the deployment; a project access token with the api scope also enables the merge request note and the commit status."},
	{Name: "slack_webhook_url", Type: TypeURL, Secret: true, Feature: FeatureEvents,
		Description: "Slack incoming webhook URL (secret)."},
	{Name: "webhook_url", Type: TypeURL, Secret: true, Feature: FeatureEvents,
		Description: "Deployment-event API endpoint (Cased schema)."},
	{Name: "webhook_token", Type: TypeString, Secret: true, Feature: FeatureEvents,
		Description: "Bearer token for webhook_url (secret)."},
	{Name: "grafana_url", Type: TypeURL, Feature: FeatureEvents,
		Description: "Grafana base URL for deployment annotations."},
	{Name: "grafana_token", Type: TypeString, Secret: true, Feature: FeatureEvents,
		Description: "Grafana service account token (secret)."},
	{Name: "grafana_dashboard_uid", Type: TypeString, Feature: FeatureEvents,
		Description: "Dashboard to annotate (all dashboards when empty)."},
	{Name: "datadog_api_key", Type: TypeString, Secret: true, Feature: FeatureEvents,
		Description: "Datadog API key for deployment events (secret)."},
	{Name: "datadog_site", Default: "datadoghq.com", Type: TypeString, Feature: FeatureEvents,
		Description: "Datadog site, e.g. datadoghq.eu."},
	{Name: "datadog_api_url", DefaultDoc: "https://api.<datadog_site>", Type: TypeURL, Feature: FeatureEvents,
		Description: "Datadog API base URL, to send events through a proxy; overrides datadog_site."},
	{Name: "smtp_url", Type: TypeString, Secret: true, Feature: FeatureEvents,
		Description: "SMTP server for email about critical and emergency problems: smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (secret)."},
	{Name: "email_to", Type: TypeLines, Feature: FeatureEvents,
		Description: "Recipients of the email, one per line or comma-separated."},
	{Name: "email_from", DefaultDoc: "deploywatch@<smtp host>", Type: TypeString, Feature: FeatureEvents,
		Description: "Sender address of the email."},
	{Name: "environment_url", Type: TypeURL, Feature: FeatureEvents,
		Description: "URL of the deployed environment, linked from the GitHub deployment (View deployment) and the reports."},
	{Name: "production_environment", Default: "auto", Type: TypeEnum, Options: []string{"auto", "true", "false"}, Feature: FeatureEvents,
		Description: "Whether the GitHub deployment is to a production environment; auto: when environment is production, prod or live."},
	{Name: "transient_environment", Default: "false", Type: TypeBool, Feature: FeatureEvents,
		Description: "Whether the GitHub deployment's environment goes away later (a preview); it is then shown as destroyed when made inactive."},
	{Name: "notify_on", Default: "warning", Type: TypeEnum, Options: []string{"info", "warning", "critical", "emergency"}, Feature: FeatureEvents,
		Description: "Lowest severity of the findings sent to Slack, Grafana and Datadog (start and finish always go); the webhook gets the start and the outcome, email critical and emergency unless its `sinks` item sets notify_on."},
}
