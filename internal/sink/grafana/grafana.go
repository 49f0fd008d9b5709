// Package grafana marks deployments on Grafana dashboards through the annotations HTTP
// API: a deploy is a region annotation from its start to its end (POST /api/annotations
// at the start, PATCH /api/annotations/{id} with timeEnd at the end), and notable
// findings and rollbacks are point annotations, so the moment shows on every graph.
//
// API: https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/annotations/
// (fields time, timeEnd, tags, text, dashboardUID; find with GET /api/annotations?tags=…).
package grafana

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Config configures the sink.
type Config struct {
	// URL is Grafana's base URL, which may hold a sub-path (https://example.com/grafana).
	// A user:password in it is sent as basic authentication, never as part of the URL.
	URL string
	// Token is a service account token, sent as a Bearer token.
	Token string
	// DashboardUID ties the annotations to one dashboard; empty makes them organization
	// annotations, which dashboards show by querying their tags.
	DashboardUID string
	// NotifyOn is the lowest finding severity annotated; zero means warning.
	NotifyOn model.Severity
	// Client sends the requests; nil builds one with sink.NewClient.
	Client *http.Client
}

// Sink annotates a deployment on Grafana.
type Sink struct {
	cfg    Config
	base   string // the URL without userinfo and trailing slash
	header http.Header

	mu sync.Mutex
	// region is the id of the deploy's region annotation, 0 until known.
	region int64
	// unsure holds the creations whose outcome is unknown (no answer, a 5xx): the next
	// attempt looks for the annotation before creating it again.
	unsure map[string]bool
}

var _ sink.Sink = (*Sink)(nil)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	base, user, err := parseBase(cfg.URL)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	switch {
	case user != nil && cfg.Token != "":
		return nil, errors.New("grafana_url holds a user and password and grafana_token is set: use one of them")
	case cfg.Token != "":
		h.Set("Authorization", "Bearer "+cfg.Token)
	case user != nil:
		pass, _ := user.Password()
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user.Username()+":"+pass)))
	}
	if cfg.NotifyOn == model.SeverityNone {
		cfg.NotifyOn = model.SeverityWarning
	}
	if cfg.Client == nil {
		cfg.Client = sink.NewClient("deploywatch", 0, nil)
	}
	return &Sink{cfg: cfg, base: base, header: h, unsure: map[string]bool{}}, nil
}

// parseBase checks a Grafana base URL and splits off its userinfo. Errors never quote the
// URL: it may hold a password.
func parseBase(raw string) (base string, user *url.Userinfo, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, errors.New("grafana_url must be an http(s) URL, e.g. https://grafana.example.com")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", nil, errors.New("grafana_url must be Grafana's base URL, without a query or fragment")
	}
	user, u.User = u.User, nil
	return strings.TrimRight(u.String(), "/"), user, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "grafana" }

// Send opens the deploy's region at the start (or finds it again when resuming), closes
// it at the end, and adds a point annotation for each notable finding and the rollback.
// Checkpoints are not annotated: they would clutter every graph.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	err := s.send(ctx, ev)
	return sink.Retryable(err), err
}

func (s *Sink) send(ctx context.Context, ev sink.Event) error {
	switch ev.Kind {
	case sink.KindStarted, sink.KindResumed:
		return s.open(ctx, ev)
	case sink.KindFinished:
		return s.close(ctx, ev)
	case sink.KindFinding, sink.KindCleared:
		if ev.Finding != nil && sink.Notable(ev, s.cfg.NotifyOn) {
			return s.point(ctx, findingPoint(ev, s.cfg.DashboardUID))
		}
	case sink.KindRolledBack:
		if ev.Report.Rollback != nil {
			return s.point(ctx, rollbackPoint(ev, s.cfg.DashboardUID))
		}
	}
	return nil
}
