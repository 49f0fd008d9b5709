// Package slack posts a run's notable events to a Slack channel through an incoming
// webhook: one Block Kit message per event, inside an attachment so each message carries a
// colour bar for its severity or verdict.
//
// API: https://api.slack.com/messaging/webhooks (POST a JSON message to the webhook URL;
// Slack answers 200 "ok", or a plain-text error such as invalid_blocks, invalid_token,
// no_service or channel_is_archived), Block Kit reference at
// https://api.slack.com/reference/block-kit/blocks.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Config configures the sink.
type Config struct {
	// WebhookURL is the incoming webhook, e.g. https://hooks.slack.com/services/T…/B…/…
	// (a secret: whoever has it can post to the channel).
	WebhookURL string
	// NotifyOn is the lowest finding severity notified (notify_on); the start, a rollback
	// and the end always are. Zero means model.SeverityWarning, the input's default.
	NotifyOn model.Severity
	// Client sends the requests; nil builds one with sink.NewClient.
	Client *http.Client
}

// Sink posts one message per notable event.
type Sink struct {
	cfg Config
}

var _ sink.Sink = (*Sink)(nil)

// New checks the configuration and returns the sink. Errors never quote the URL.
func New(cfg Config) (*Sink, error) {
	u, err := url.Parse(cfg.WebhookURL)
	if err != nil || u.Host == "" || u.User != nil {
		return nil, errors.New("slack_webhook_url must be an https URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
		// Plain HTTP would send the secret URL in clear; only a local test server gets it.
	default:
		return nil, fmt.Errorf("slack_webhook_url must be an https URL, not %s", sink.Endpoint(u.Scheme+"://"+u.Host))
	}
	if cfg.NotifyOn == model.SeverityNone {
		cfg.NotifyOn = model.SeverityWarning
	}
	if cfg.Client == nil {
		cfg.Client = sink.NewClient("deploywatch", 0, nil)
	}
	return &Sink{cfg: cfg}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "slack" }

// Send posts the message for ev: the start, findings and their clearing at or above
// NotifyOn (checkpoints only at info), the rollback and the end. A resumed run (mode
// monitor) posts nothing, its start was announced already.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	if ev.Kind == sink.KindResumed || !sink.Notable(ev, s.cfg.NotifyOn) {
		return false, nil
	}
	err := sink.Do(ctx, s.cfg.Client, sink.Request{
		Op: "post slack message", Method: http.MethodPost, URL: s.cfg.WebhookURL, JSON: buildMessage(ev),
	}, nil)
	return sink.Retryable(err), err
}
