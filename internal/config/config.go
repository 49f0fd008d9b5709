// Package config turns the user's settings into a typed, validated Config. Settings come
// from four layers — CLI flags, INPUT_<NAME> variables (GitHub runner, GitLab template), a
// YAML file, built-in defaults — with that precedence. Every problem is reported at once,
// each naming the input, its value and what is allowed. The package reads no environment
// and no files: the caller hands it the layers.
package config

import (
	"crypto/x509"
	"net/http"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Mode is what a run does; see the design's lifecycle.
type Mode string

// Modes.
const (
	ModeRun     Mode = "run"
	ModeStart   Mode = "start"
	ModeMonitor Mode = "monitor"
	ModeFinish  Mode = "finish"
)

// Config is the validated configuration of a run.
type Config struct {
	Mode            Mode
	Environment     string
	Description     string
	ExpectedVersion string
	Schedule        []time.Duration
	Interval        time.Duration
	Cooldown        time.Duration
	Warmup          time.Duration
	FailOn          model.Severity
	DryRun          bool
	ConfigFile      string
	// Persistence, EmergencyPersistence and MaxProbeErrors are the defaults of every check.
	Persistence          int
	EmergencyPersistence int
	MaxProbeErrors       int
	HTTPHeaders          http.Header
	HTTPTimeout          time.Duration
	// CACertPath is ca_cert when it names a PEM file, which the caller reads (this
	// package reads no files) with ParseCACert into CACerts.
	CACertPath string
	// CACerts are trusted besides the system roots by every HTTP client of the run.
	CACerts []*x509.Certificate
	// Checks are every check to run, from the inputs first, then the config file's list.
	Checks     []Check
	ReportPath string
	// SummaryPath, JUnitPath and DotenvPath are the other files a run writes, when set.
	SummaryPath string
	JUnitPath   string
	DotenvPath  string
	// StartedAt and DeploymentID hand a start over to a later monitor or finish run.
	StartedAt    time.Time
	DeploymentID string
	// FinalStatus is the verdict a finish run reports.
	FinalStatus model.Verdict
	Metrics     Metrics
	Kube        Kube
	Sinks       Sinks
	// Secrets lists every secret value, to mask and redact before anything is printed.
	Secrets []string
	// Origins says where each input's value came from, for `validate`.
	Origins map[string]Origin
}

// CheckType is the kind of a configured check.
type CheckType string

// Check types of the YAML `checks` list.
const (
	CheckReadiness  CheckType = "readiness"
	CheckLiveness   CheckType = "liveness"
	CheckVersion    CheckType = "version"
	CheckHTTP       CheckType = "http"
	CheckPrometheus CheckType = "prometheus"
)

// CheckTypes lists the valid check types.
func CheckTypes() []CheckType {
	return []CheckType{CheckReadiness, CheckLiveness, CheckVersion, CheckHTTP, CheckPrometheus}
}

// Check is one configured check, resolved against the run-wide defaults.
type Check struct {
	Name         string
	Type         CheckType
	Method       string
	URL          string
	Headers      http.Header
	Body         string
	ExpectStatus string
	Expect       string // jq expression that must be truthy (http checks)
	Field        string // jq path of the version (version checks)
	Expected     string // expected version (version checks)
	Severity     model.Severity
	Persistence  int
	// EmergencyPersistence counts breaches rated emergency (the service unreachable); it
	// is at most Persistence.
	EmergencyPersistence int
	MaxProbeErrors       int
	Timeout              time.Duration
	// Source names where the check was defined ("health_url", "checks[2]"), for messages.
	Source string
	origin Origin
}

// Metrics holds the metric-check settings (Prometheus or direct scrape).
type Metrics struct {
	PrometheusURL      string
	PrometheusToken    string
	PrometheusHeaders  http.Header
	MetricsURLs        []string
	Selector           string
	ErrorRateQuery     string
	ErrorRateThreshold float64
	LatencyQuery       string
	LatencyThreshold   Threshold
	CPUThreshold       float64
	MemoryThreshold    float64
	Queries            []string
	Baseline           Baseline
	// History is how far back the seasonal bands and the anomaly detector learn; 0 is off.
	History time.Duration
	// Checks are the metric checks to run: the defaults, the queries lines, then the
	// config file's metric checks.
	Checks []MetricCheck
}

// Kube holds the Kubernetes settings.
type Kube struct {
	Kubeconfig      string
	Context         string
	Namespace       string
	Deployment      string
	PodSelector     string
	MaxRestarts     int
	LogErrorPattern string
	MaxLogErrors    int
	RolloutTimeout  time.Duration
	Rollback        bool
}

// Sinks holds where events are reported.
type Sinks struct {
	GitHubToken         string
	DeploymentStatus    bool
	Comment             string
	CommitStatus        bool
	GitLabToken         string
	SlackWebhookURL     string
	WebhookURL          string
	WebhookToken        string
	GrafanaURL          string
	GrafanaToken        string
	GrafanaDashboardUID string
	DatadogAPIKey       string
	DatadogSite         string
	DatadogAPIURL       string
	SMTPURL             string
	EmailTo             []string
	EmailFrom           string
	NotifyOn            model.Severity
	// EnvironmentURL is where the deployed environment is reached ("View deployment").
	EnvironmentURL string
	// ProductionEnvironment and TransientEnvironment describe the GitHub deployment.
	ProductionEnvironment bool
	TransientEnvironment  bool
	// Notifiers are the chat, webhook, dashboard and email destinations: those of the
	// inputs, then the config file's `sinks` list.
	Notifiers []Notifier
}

// Origin is where a setting's value came from.
type Origin struct {
	Layer Layer
	// Name is how the user wrote it: "--interval", "INPUT_INTERVAL", "deploywatch.yml".
	Name string
}

// Layer is one source of settings, in increasing precedence.
type Layer int

// Layers.
const (
	LayerDefault Layer = iota
	LayerFile
	LayerInput
	LayerFlag
)

func (o Origin) String() string {
	switch o.Layer {
	case LayerFlag:
		return "flag " + o.Name
	case LayerInput:
		return o.Name
	case LayerFile:
		return o.Name
	}
	return "default"
}
