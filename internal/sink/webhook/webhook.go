// Package webhook posts deployment events in the schema of the hosted deployment-event API
// deploywatch was specified from (POST /api/v1/deployments/ of the seed document): a
// "running" event when the deployment starts and its outcome when monitoring ends, with
// Bearer authentication. Those two are all it posts: each post records the deployment's
// status, which has no value for a finding, so findings ride in the final event's
// event_metadata and notify_on does not apply.
//
// API: https://docs.cased.com (Deployment Event API), fields deployment_request,
// repository_full_name, status (pending, running, success, failure, cancelled),
// external_url, commit_sha, commit_message, ref, event_metadata.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Config configures the sink.
type Config struct {
	// URL is the endpoint, e.g. https://app.cased.com/api/v1/deployments/ (a secret: some
	// endpoints carry their key in the URL).
	URL string
	// Token is sent as a Bearer token when set.
	Token string
	// Client sends the requests; nil builds one with sink.NewClient.
	Client *http.Client
}

// Sink posts the start and the outcome of a deployment.
type Sink struct {
	cfg Config
}

var _ sink.Sink = (*Sink)(nil)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("webhook_url must be an http(s) URL")
	}
	if cfg.Client == nil {
		cfg.Client = sink.NewClient("deploywatch", 0, nil)
	}
	return &Sink{cfg: cfg}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "webhook" }

// Send posts a start as "running" and the end as its outcome; other events are left to
// the monitor's own reporting. A resumed run (mode monitor) does not post a second start.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	var status string
	switch ev.Kind {
	case sink.KindStarted:
		status = "running"
	case sink.KindFinished:
		status = Status(ev.Report.Verdict)
	default:
		return false, nil
	}
	h := http.Header{}
	if s.cfg.Token != "" {
		h.Set("Authorization", "Bearer "+s.cfg.Token)
	}
	// A retried post after a lost answer must not record the event twice where the
	// receiver supports idempotency keys.
	h.Set("Idempotency-Key", idempotencyKey(ev, status))
	err := sink.Do(ctx, s.cfg.Client, sink.Request{
		Op: "post deployment event", Method: http.MethodPost, URL: s.cfg.URL, Header: h, JSON: Payload(ev, status),
	}, nil)
	return sink.Retryable(err), err
}

// Status maps a verdict onto the API's statuses. Only a healthy or degraded run is a
// success: an inconclusive run could not show the deploy is healthy, so it is a failure
// (event_metadata.verdict tells the two apart).
func Status(v model.Verdict) string {
	switch v {
	case model.VerdictHealthy, model.VerdictDegraded:
		return "success"
	case model.VerdictCancelled:
		return "cancelled"
	case model.VerdictFailed, model.VerdictInconclusive:
		return "failure"
	}
	return "running"
}

func idempotencyKey(ev sink.Event, status string) string {
	r := ev.Report
	sum := sha256.Sum256([]byte(r.Run.Repository + "\x00" + r.Run.DeployedSHA() + "\x00" + r.Environment + "\x00" +
		r.StartedAt.UTC().Format(time.RFC3339Nano) + "\x00" + status))
	return hex.EncodeToString(sum[:16])
}
