// Package datadog records a run's notable events as Datadog events, tagged with the
// environment, repository, version and outcome, and grouped per run by an aggregation key,
// so they show in the event explorer and as overlays on the service's dashboards.
//
// API: Datadog Events API v1, POST https://api.<site>/api/v1/events with the DD-API-KEY
// header (https://docs.datadoghq.com/api/latest/events/#post-an-event); it answers 202
// {"status":"ok","event":{…}}, 403 for a bad key and 429 with X-RateLimit-Reset (seconds).
package datadog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// DefaultSite is the Datadog site used when Config.Site is empty (US1).
const DefaultSite = "datadoghq.com"

// sites are the Datadog sites, each with its API at https://api.<site>.
var sites = []string{
	"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu",
	"ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com", "us2.ddog-gov.com",
}

// Config configures the sink.
type Config struct {
	// APIKey is sent as DD-API-KEY (a secret).
	APIKey string
	// Site is the Datadog site (datadog_site), e.g. datadoghq.eu; empty means DefaultSite.
	Site string
	// NotifyOn is the lowest finding severity recorded (notify_on); the start, a rollback
	// and the end always are. Zero means model.SeverityWarning, the input's default.
	NotifyOn model.Severity
	// BaseURL replaces https://api.<site> (tests, proxies); Site is then not checked.
	BaseURL string
	// Client sends the requests; nil builds one with sink.NewClient.
	Client *http.Client
}

// Sink posts one Datadog event per notable event of the run.
type Sink struct {
	cfg      Config
	endpoint string
}

var _ sink.Sink = (*Sink)(nil)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("datadog_api_key is empty")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("datadog base URL must be an http(s) URL")
		}
	} else {
		var err error
		if base, err = apiBase(cfg.Site); err != nil {
			return nil, err
		}
	}
	if cfg.NotifyOn == model.SeverityNone {
		cfg.NotifyOn = model.SeverityWarning
	}
	if cfg.Client == nil {
		cfg.Client = sink.NewClient("deploywatch", 0, nil)
	}
	return &Sink{cfg: cfg, endpoint: base + "/api/v1/events"}, nil
}

// apiBase is the API root of a site: https://api.<site>.
func apiBase(site string) (string, error) {
	site = strings.ToLower(strings.TrimSpace(site))
	if site == "" {
		site = DefaultSite
	}
	if !slices.Contains(sites, site) {
		return "", fmt.Errorf("datadog_site %q is not a Datadog site; use one of %s", site, strings.Join(sites, ", "))
	}
	return "https://api." + site, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "datadog" }

// Send records ev: the start, findings and their clearing at or above NotifyOn
// (checkpoints only at info), the rollback and the end. A resumed run (mode monitor)
// records nothing, its start was recorded already.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	if ev.Kind == sink.KindResumed || !sink.Notable(ev, s.cfg.NotifyOn) {
		return false, nil
	}
	err := sink.Do(ctx, s.cfg.Client, sink.Request{
		Op: "post datadog event", Method: http.MethodPost, URL: s.endpoint, JSON: buildEvent(ev),
		Header: http.Header{"Dd-Api-Key": {s.cfg.APIKey}},
	}, nil)
	return sink.Retryable(err), err
}
