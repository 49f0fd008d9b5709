package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Notifier types: the sinks a user can list in the config file's `sinks`, each also set
// up by its inputs (slack_webhook_url, webhook_url, grafana_url, datadog_api_key, smtp_url).
const (
	NotifierSlack   = "slack"
	NotifierWebhook = "webhook"
	NotifierGrafana = "grafana"
	NotifierDatadog = "datadog"
	NotifierEmail   = "email"
)

// NotifierTypes lists the notifier types this package can check, the `type` enum of the
// schema. The valid types of a run are the ones the caller registered (Sources.SinkTypes).
func NotifierTypes() []string {
	return []string{NotifierDatadog, NotifierEmail, NotifierGrafana, NotifierSlack, NotifierWebhook}
}

// EmailNotifyOn is the lowest finding severity an email sink mails unless its `sinks`
// item sets notify_on: email is for problems, so the notify_on input (Slack, Grafana, Datadog)
// does not lower it.
const EmailNotifyOn = model.SeverityCritical

// DatadogSites are the Datadog sites events can be sent to.
var DatadogSites = []string{"datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ap2.datadoghq.com", "ddog-gov.com", "us2.ddog-gov.com"}

// Notifier is one chat, webhook, dashboard or email destination.
type Notifier struct {
	Type string
	// URL is the Slack or deployment-event webhook, the Grafana base URL, or the SMTP URL.
	URL string
	// Token is the webhook's Bearer token, Grafana's service account token or Datadog's
	// API key.
	Token        string
	DashboardUID string
	Site         string
	// APIURL overrides the API base a Datadog site implies (a proxy).
	APIURL string
	To     []string
	From   string
	// NotifyOn is the lowest severity of finding sent (start and end always go).
	NotifyOn model.Severity
	// Source says where it was configured: an input name or "sinks[2]".
	Source string
}

// notifierKeys are the keys a `sinks` item may hold.
var notifierKeys = []string{"type", "url", "token", "api_key", "site", "dashboard_uid", "to", "from", "notify_on"}

// fileSink is one item of the config file's `sinks` list, still as text.
type fileSink struct {
	Index  int
	Line   int
	Fields map[string]string
}

func parseSinks(n *yaml.Node, origin Origin) ([]fileSink, Problems) {
	if n.Kind != yaml.SequenceNode {
		return nil, Problems{{Input: "sinks", Origin: origin, Msg: "must be a list such as [{type: slack, url: ...}]"}}
	}
	var out []fileSink
	var ps Problems
	for i, item := range n.Content {
		where := fmt.Sprintf("sinks[%d]", i)
		at := Origin{LayerFile, fmt.Sprintf("%s:%d", origin.Name, item.Line)}
		if item.Kind != yaml.MappingNode {
			ps = append(ps, Problem{Input: where, Origin: at, Msg: "must be a mapping such as {type: slack, url: ...}"})
			continue
		}
		fs := fileSink{Index: i, Line: item.Line, Fields: map[string]string{}}
		for j := 0; j+1 < len(item.Content); j += 2 {
			key, val := item.Content[j].Value, item.Content[j+1]
			if !contains(notifierKeys, key) {
				msg := fmt.Sprintf("is not a sink setting; allowed: %s", strings.Join(notifierKeys, ", "))
				if s := suggest(key, notifierKeys); s != "" {
					msg = fmt.Sprintf("is not a sink setting; did you mean %s?", s)
				}
				ps = append(ps, Problem{Input: where + "." + key, Origin: at, Msg: msg})
				continue
			}
			t := TypeString
			if key == "to" {
				t = TypeLines
			}
			text, err := nodeText(val, t)
			if err != nil {
				ps = append(ps, Problem{Input: where + "." + key, Origin: at, Msg: err.Error()})
				continue
			}
			fs.Fields[key] = text
		}
		out = append(out, fs)
	}
	return out, ps
}

// buildNotifiers collects the notifiers of the inputs, then those of the file's list,
// and checks each; types are the valid types of the file's list (nil: NotifierTypes).
func buildNotifiers(c *Config, vals map[string]raw, f *File, types []string) Problems {
	s := &c.Sinks
	var ps Problems
	fromInputs := []Notifier{
		{Type: NotifierSlack, URL: s.SlackWebhookURL, Source: "slack_webhook_url"},
		{Type: NotifierWebhook, URL: s.WebhookURL, Token: s.WebhookToken, Source: "webhook_url"},
		{Type: NotifierGrafana, URL: s.GrafanaURL, Token: s.GrafanaToken, DashboardUID: s.GrafanaDashboardUID, Source: "grafana_url"},
		{Type: NotifierDatadog, Token: s.DatadogAPIKey, Site: s.DatadogSite, APIURL: s.DatadogAPIURL, Source: "datadog_api_key"},
		{Type: NotifierEmail, URL: s.SMTPURL, To: s.EmailTo, From: s.EmailFrom, Source: "smtp_url"},
	}
	// A companion setting without the one that enables its sink is a mistake, not a no-op.
	companions := map[string][]string{"webhook_url": {"webhook_token"}, "grafana_url": {"grafana_token", "grafana_dashboard_uid"},
		"smtp_url": {"email_to", "email_from"}, "datadog_api_key": {"datadog_api_url"}}
	for _, n := range fromInputs {
		// Source names the input that turns the sink on; when its value was refused, that
		// problem is reported already and the companions need no other.
		if strings.TrimSpace(vals[n.Source].text) != "" && n.URL == "" && n.Token == "" {
			continue
		}
		if strings.TrimSpace(vals[n.Source].text) == "" {
			for _, name := range companions[n.Source] {
				if r := vals[name]; r.origin.Layer != LayerDefault && strings.TrimSpace(r.text) != "" {
					ps = append(ps, Problem{Input: name, Origin: r.origin, Msg: "needs " + n.Source})
				}
			}
			continue
		}
		n.NotifyOn = s.NotifyOn
		if n.Type == NotifierEmail {
			n.NotifyOn = EmailNotifyOn // the notify_on input is about Slack, Grafana and Datadog
		}
		ps = append(ps, checkNotifier(n, func(field, msg string) Problem {
			in := inputFor(n, field)
			r := vals[in]
			return Problem{Input: in, Origin: r.origin, Value: r.text, HasValue: r.text != "", Secret: isSecretInput(in), Msg: msg}
		})...)
		s.Notifiers = append(s.Notifiers, n)
	}
	if f == nil {
		return ps
	}
	if types == nil {
		types = NotifierTypes()
	}
	for _, fs := range f.Sinks {
		where := fmt.Sprintf("sinks[%d]", fs.Index)
		at := Origin{LayerFile, fmt.Sprintf("%s:%d", f.Name, fs.Line)}
		n, err := notifierOf(fs, s.NotifyOn, where)
		if err != nil {
			ps = append(ps, Problem{Input: where + ".notify_on", Origin: at, Msg: err.Error()})
			continue
		}
		if !contains(types, n.Type) {
			msg := fmt.Sprintf("%q is not a sink type; valid types: %s", n.Type, strings.Join(types, ", "))
			if n.Type == "" {
				msg = "is required; valid types: " + strings.Join(types, ", ")
			}
			ps = append(ps, Problem{Input: where + ".type", Origin: at, Msg: msg})
			continue
		}
		ps = append(ps, checkNotifier(n, func(field, msg string) Problem {
			return Problem{Input: where + "." + field, Origin: at, Msg: msg}
		})...)
		s.Notifiers = append(s.Notifiers, n)
	}
	return ps
}

func notifierOf(fs fileSink, notifyOn model.Severity, where string) (Notifier, error) {
	f := fs.Fields
	n := Notifier{Type: f["type"], URL: f["url"], Token: f["token"], DashboardUID: f["dashboard_uid"], Site: f["site"],
		From: f["from"], To: splitLines(f["to"]), NotifyOn: notifyOn, Source: where}
	if f["api_key"] != "" {
		n.Token = f["api_key"]
	}
	if n.Type == NotifierDatadog && n.Site == "" {
		n.Site = "datadoghq.com"
	}
	if n.Type == NotifierEmail {
		n.NotifyOn = EmailNotifyOn // the item's own notify_on below overrides it
	}
	if v, ok := f["notify_on"]; ok {
		if n.Type == NotifierWebhook {
			// The deployment-event API has a start and an outcome, with the findings in the
			// outcome's event_metadata: there is nothing for a severity to filter.
			return n, fmt.Errorf("does nothing on a webhook sink: it gets the start and the outcome, with every finding in event_metadata; remove it")
		}
		sev, err := model.ParseSeverity(v)
		if err != nil {
			return n, fmt.Errorf("is not allowed; allowed: info, warning, critical, emergency")
		}
		n.NotifyOn = sev
	}
	return n, nil
}

// checkNotifier lists what is wrong with a notifier; problem names the field at fault.
func checkNotifier(n Notifier, problem func(field, msg string) Problem) Problems {
	var ps Problems
	switch n.Type {
	case NotifierSlack, NotifierWebhook, NotifierGrafana:
		if n.URL == "" {
			ps = append(ps, problem("url", "is required for a "+n.Type+" sink"))
		} else if _, err := ParseHTTPURL(n.URL); err != nil {
			ps = append(ps, problem("url", err.Error()))
		}
	case NotifierDatadog:
		if n.Token == "" {
			ps = append(ps, problem("api_key", "is required for a datadog sink"))
		}
		if !contains(DatadogSites, n.Site) {
			ps = append(ps, problem("site", fmt.Sprintf("%q is not a Datadog site; valid sites: %s", n.Site, strings.Join(DatadogSites, ", "))))
		}
	case NotifierEmail:
		if err := checkSMTPURL(n.URL); err != nil {
			ps = append(ps, problem("url", err.Error()))
		}
		if len(n.To) == 0 {
			ps = append(ps, problem("to", "needs at least one address"))
		}
		for _, to := range n.To {
			if _, err := mail.ParseAddress(to); err != nil {
				ps = append(ps, problem("to", fmt.Sprintf("%q is not an email address", to)))
			}
		}
		if n.From != "" {
			if _, err := mail.ParseAddress(n.From); err != nil {
				ps = append(ps, problem("from", fmt.Sprintf("%q is not an email address", n.From)))
			}
		}
	}
	return ps
}

// checkSMTPURL accepts smtp://[user[:password]@]host[:port] (STARTTLS) and smtps:// (TLS).
func checkSMTPURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("is required for an email sink, e.g. smtp://user:password@smtp.example.com:587")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return fmt.Errorf("must be smtp://host:port (STARTTLS) or smtps://host:port (TLS), with user:password@ when the server needs a login")
	}
	return nil
}

// inputFor maps a notifier field onto the input that sets it, for problems.
func inputFor(n Notifier, field string) string {
	switch n.Type + "." + field {
	case "datadog.api_key":
		return "datadog_api_key"
	case "datadog.site":
		return "datadog_site"
	case "email.to":
		return "email_to"
	case "email.from":
		return "email_from"
	}
	return n.Source
}

func isSecretInput(name string) bool {
	in, ok := LookupInput(name)
	return ok && in.Secret
}

// fileSinkSecrets are the secrets of the file's sinks: tokens, keys, webhook URLs and
// SMTP passwords.
func fileSinkSecrets(f *File) []string {
	var out []string
	for _, fs := range f.Sinks {
		for _, k := range []string{"token", "api_key"} {
			if v := strings.TrimSpace(fs.Fields[k]); v != "" {
				out = append(out, v)
			}
		}
		switch fs.Fields["type"] {
		case NotifierSlack, NotifierWebhook:
			if v := strings.TrimSpace(fs.Fields["url"]); v != "" {
				out = append(out, v)
			}
		}
		out = append(out, userinfoPassword(fs.Fields["url"])...)
	}
	return out
}

// userinfoPassword is the password of a URL of any scheme (smtp://user:pass@host).
func userinfoPassword(raw string) []string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.User == nil {
		return nil
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return []string{p}
	}
	return nil
}
