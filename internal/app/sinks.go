package app

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/datadog"
	"github.com/deploywatch/deploywatch/internal/sink/email"
	"github.com/deploywatch/deploywatch/internal/sink/grafana"
	"github.com/deploywatch/deploywatch/internal/sink/slack"
	"github.com/deploywatch/deploywatch/internal/sink/webhook"
)

// sinkDeps are what every factory builds its sink's own client from.
type sinkDeps struct {
	userAgent string
	// transport trusts ca_cert; the sinks' clients share its connection pool, which the
	// run closes once they are done.
	transport *http.Transport
	// tls is ca_cert's trust for what is not HTTP (SMTP); nil: the system roots.
	tls *tls.Config
}

// client is one sink's HTTP client: its own timeout and User-Agent.
func (d sinkDeps) client() *http.Client { return sink.NewClient(d.userAgent, 0, d.transport) }

// notifierFactory builds one notifier sink from its configuration.
type notifierFactory func(n config.Notifier, d sinkDeps) (sink.Sink, error)

// notifiers is the one place notifier sinks are registered, by the type a user names in
// the config file's `sinks` list. Its types are the valid ones: loadConfig hands them to
// the config (Sources.SinkTypes), whose error for an unknown type lists them.
var notifiers = map[string]notifierFactory{
	config.NotifierDatadog: func(n config.Notifier, d sinkDeps) (sink.Sink, error) {
		return datadog.New(datadog.Config{APIKey: n.Token, Site: n.Site, BaseURL: n.APIURL, NotifyOn: n.NotifyOn, Client: d.client()})
	},
	config.NotifierEmail: func(n config.Notifier, d sinkDeps) (sink.Sink, error) {
		return email.New(email.Config{URL: n.URL, To: n.To, From: n.From, NotifyOn: n.NotifyOn, TLSConfig: d.tls})
	},
	config.NotifierGrafana: func(n config.Notifier, d sinkDeps) (sink.Sink, error) {
		return grafana.New(grafana.Config{URL: n.URL, Token: n.Token, DashboardUID: n.DashboardUID, NotifyOn: n.NotifyOn, Client: d.client()})
	},
	config.NotifierSlack: func(n config.Notifier, d sinkDeps) (sink.Sink, error) {
		return slack.New(slack.Config{WebhookURL: n.URL, NotifyOn: n.NotifyOn, Client: d.client()})
	},
	config.NotifierWebhook: func(n config.Notifier, d sinkDeps) (sink.Sink, error) {
		return webhook.New(webhook.Config{URL: n.URL, Token: n.Token, Client: d.client()})
	},
}

// notifierTypes lists the registered types, sorted.
func notifierTypes() []string {
	out := make([]string, 0, len(notifiers))
	for t := range notifiers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// buildSinks builds every sink the configuration asks for: the GitHub ones first (their
// deployment and comment are what the others link to), then the notifiers in the order
// they were configured, each with a client of its own. A sink that cannot be built is a
// warning: reporting never stops a run. The sinks share the returned transport, whose
// idle connections the run closes once they are done.
func buildSinks(env Env, cfg *config.Config, rc model.RunContext) ([]sink.Sink, []string, *http.Transport) {
	deps := sinkDeps{userAgent: userAgent(env.Version), transport: caTransport(cfg, 0)}
	if deps.transport != nil {
		deps.tls = deps.transport.TLSClientConfig
	} else {
		deps.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr := deps.transport
	sinks, warnings := githubSinks(env, cfg, rc, tr)
	gl, glw := gitlabSinks(env, cfg, rc, tr)
	sinks, warnings = append(sinks, gl...), append(warnings, glw...)
	for _, n := range cfg.Sinks.Notifiers {
		// The config accepted only registered types.
		s, err := notifiers[n.Type](n, deps)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v; this sink is off", n.Source, err))
			continue
		}
		sinks = append(sinks, s)
	}
	return sinks, warnings, tr
}

// dashboardLinks links the Grafana dashboards the run annotates, over the deploy (to now
// while it goes on).
func dashboardLinks(cfg *config.Config, from, to time.Time) []model.Link {
	var out []model.Link
	for _, n := range cfg.Sinks.Notifiers {
		if n.Type != config.NotifierGrafana {
			continue
		}
		if l, ok := grafana.DashboardLink(n.URL, n.DashboardUID, from, to); ok {
			out = append(out, l)
		}
	}
	return out
}

func userAgent(version string) string {
	return "deploywatch/" + version + " (+https://github.com/deploywatch/deploywatch)"
}
