package scrape

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Defaults of Options.
const (
	DefaultTimeout        = 5 * time.Second
	DefaultRequestsMetric = "http_requests_total"
	DefaultDurationMetric = "http_request_duration_seconds"
	DefaultMaxBody        = 10 << 20
	DefaultUserAgent      = "deploywatch"
)

// Options configure a Scraper.
type Options struct {
	// Targets are the absolute http(s) URLs of the /metrics endpoints, one per replica;
	// their traffic is summed. At least one.
	Targets []string
	// Timeout bounds one scrape of one target; 0 means DefaultTimeout.
	Timeout time.Duration
	// Headers are sent to every target. Their values are secrets: they never appear in
	// errors.
	Headers http.Header
	// Client is the HTTP client; nil means one that refuses redirects to another host, so
	// Headers are not handed to a server they were not meant for.
	Client *http.Client
	// RequestsMetric is the counter of requests; "" means DefaultRequestsMetric. A
	// histogram's "<name>_count" works too.
	RequestsMetric string
	// DurationMetric is the request latency histogram, in seconds, without the _bucket
	// suffix; "" means DefaultDurationMetric.
	DurationMetric string
	// MaxBody is the most bytes read per scrape of a target; 0 means DefaultMaxBody.
	MaxBody int64
	// UserAgent is sent to every target; "" means DefaultUserAgent.
	UserAgent string
}

func checkTarget(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("not an absolute http(s) URL")
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}

func checkMetricName(name string) error {
	// A selector or expression pasted where a name belongs would otherwise match nothing
	// and surface only as "no such metric" at the first scrape.
	if strings.ContainsAny(name, "{}()[]\" \t\n") || !model.UTF8Validation.IsValidMetricName(name) {
		return fmt.Errorf("%q is not a metric name", name)
	}
	return nil
}

// sameHostRedirect follows redirects within a host only: Headers (tokens) must not reach
// another server, and Go forwards custom headers across hosts.
func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refused redirect to another host (%s)", req.URL.Host)
	}
	return nil
}
