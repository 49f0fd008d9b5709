package datadog

import (
	"errors"
	"flag"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func newSink(t *testing.T, base string) sink.Sink {
	t.Helper()
	s, err := New(Config{APIKey: apiKey, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The golden file is regenerated with: go test ./internal/sink/datadog -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New:     newSink,
		API:     datadogAPI(t),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Content-Type", "DD-API-KEY"},
		Secrets: []string{apiKey},
	})
}

func TestSiteMapsToItsAPIHost(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, site, want string }{
		{"default_us1", "", "https://api.datadoghq.com"},
		{"us1", "datadoghq.com", "https://api.datadoghq.com"},
		{"us3", "us3.datadoghq.com", "https://api.us3.datadoghq.com"},
		{"us5", "us5.datadoghq.com", "https://api.us5.datadoghq.com"},
		{"eu1", "datadoghq.eu", "https://api.datadoghq.eu"},
		{"eu1_mixed_case_and_spaces", " DatadogHQ.eu ", "https://api.datadoghq.eu"},
		{"ap1", "ap1.datadoghq.com", "https://api.ap1.datadoghq.com"},
		{"ap2", "ap2.datadoghq.com", "https://api.ap2.datadoghq.com"},
		{"us1_fed", "ddog-gov.com", "https://api.ddog-gov.com"},
		{"us2_fed", "us2.ddog-gov.com", "https://api.us2.ddog-gov.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The request really goes to the site's API: the transport sends it to a
			// loopback server and records where it was addressed.
			srv := sinktest.NewServer(t, datadogAPI(t))
			var mu sync.Mutex
			var addressed []string
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				addressed = append(addressed, r.URL.String())
				mu.Unlock()
				r = r.Clone(r.Context())
				u, _ := url.Parse(srv.URL)
				r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
				return http.DefaultTransport.RoundTrip(r)
			})}
			s, err := New(Config{APIKey: apiKey, Site: tt.site, Client: client})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Send(t.Context(), sinktest.Finished()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want + "/api/v1/events"}, addressed); diff != "" {
				t.Errorf("requests addressed to (-want +got):\n%s", diff)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewRejectsABadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // in the error
	}{
		{"unknown_site", Config{APIKey: apiKey, Site: "datadoghq.co"}, append([]string{`"datadoghq.co" is not a Datadog site`}, sites...)},
		{"app_host_instead_of_site", Config{APIKey: apiKey, Site: "app.datadoghq.eu"}, []string{"datadoghq.eu", "ap1.datadoghq.com"}},
		{"empty_key", Config{Site: "datadoghq.eu"}, []string{"datadog_api_key is empty"}},
		{"bad_base_url", Config{APIKey: apiKey, BaseURL: "ftp://127.0.0.1/x"}, []string{"http(s) URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatal("New accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), apiKey) {
				t.Errorf("error %q holds the API key", err)
			}
		})
	}
	// BaseURL stands in for the site, so the site is not checked.
	if _, err := New(Config{APIKey: apiKey, Site: "nowhere", BaseURL: "http://127.0.0.1:1"}); err != nil {
		t.Errorf("with a base URL: %v", err)
	}
}

func TestDatadogErrorsAreClassified(t *testing.T) {
	t.Parallel()
	rateLimit := http.Header{"X-Ratelimit-Limit": {"500"}, "X-Ratelimit-Period": {"60"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"7"}}
	tests := []struct {
		name    string
		fault   sinktest.Fault
		retry   bool
		disable bool
		after   time.Duration
		detail  string
	}{
		{"bad_key_disables", sinktest.Fault{Status: 403, Body: `{"errors":["Forbidden"]}`}, false, true, 0, "Forbidden"},
		{"rate_limit_waits_for_the_reset", sinktest.Fault{Status: 429, Header: rateLimit, Body: `{"errors":["Too many requests"]}`}, true, false, 7 * time.Second, "Too many requests"},
		{"bad_request_is_final", sinktest.Fault{Status: 400, Body: `{"errors":["Event too long"]}`}, false, false, 0, "Event too long"},
		{"server_error_retries", sinktest.Fault{Status: 503, Body: `{"errors":["Service unavailable"]}`}, true, false, 0, "Service unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := sinktest.NewServer(t, datadogAPI(t))
			srv.Fail(tt.fault)
			retry, err := newSink(t, srv.URL).Send(t.Context(), sinktest.Finished())
			var se *sink.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *sink.Error", err)
			}
			got := []any{retry, se.Retry, se.Disable, se.After, se.Status}
			want := []any{tt.retry, tt.retry, tt.disable, tt.after, tt.fault.Status}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("retry, Retry, Disable, After, Status (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tt.detail) || strings.Contains(err.Error(), apiKey) {
				t.Errorf("error %q: want Datadog's reason %q and no API key", err, tt.detail)
			}
		})
	}
}

// events is one of each event a run can send, with findings of each severity; distinct
// events of a run happen at distinct times.
func events() map[string]sink.Event {
	evs := sinktest.Events()
	n := 0
	variant := func(i int, sev model.Severity, probe bool) sink.Event {
		n++
		ev := evs[i]
		ev.At = ev.At.Add(time.Duration(n) * time.Millisecond)
		f := *ev.Finding
		f.Severity = sev
		if probe {
			f.Type = model.FindingProbeError
		}
		ev.Finding = &f
		return ev
	}
	resumed := evs[0]
	resumed.Kind = sink.KindResumed
	return map[string]sink.Event{
		"started": evs[0], "resumed": resumed, "progress": evs[1],
		"info_finding": variant(4, model.SeverityInfo, false), "warning_finding": variant(4, model.SeverityWarning, false),
		"critical_finding": variant(4, model.SeverityCritical, false), "emergency_finding": variant(4, model.SeverityEmergency, false),
		"probe_error":     variant(4, model.SeverityCritical, true),
		"warning_cleared": variant(3, model.SeverityWarning, false), "critical_cleared": variant(3, model.SeverityCritical, false),
		"rolled_back": evs[5], "finished": evs[6],
	}
}

func TestNotifyOnFiltersEvents(t *testing.T) {
	t.Parallel()
	always := []string{"finished", "rolled_back", "started"}
	tests := []struct {
		notifyOn model.Severity
		extra    []string
	}{
		{model.SeverityInfo, []string{"critical_cleared", "critical_finding", "emergency_finding", "info_finding", "probe_error", "progress", "warning_cleared", "warning_finding"}},
		{model.SeverityWarning, []string{"critical_cleared", "critical_finding", "emergency_finding", "probe_error", "warning_cleared", "warning_finding"}},
		{model.SeverityCritical, []string{"critical_cleared", "critical_finding", "emergency_finding"}},
		{model.SeverityEmergency, []string{"emergency_finding"}},
	}
	for _, tt := range tests {
		t.Run(tt.notifyOn.String(), func(t *testing.T) {
			t.Parallel()
			srv := sinktest.NewServer(t, datadogAPI(t))
			s, err := New(Config{APIKey: apiKey, BaseURL: srv.URL, NotifyOn: tt.notifyOn})
			if err != nil {
				t.Fatal(err)
			}
			evs := events()
			var posted []string
			for _, name := range slices.Sorted(maps.Keys(evs)) {
				before := len(srv.Requests())
				if _, err := s.Send(t.Context(), evs[name]); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(srv.Requests()) > before {
					posted = append(posted, name)
				}
			}
			want := slices.Sorted(slices.Values(slices.Concat(always, tt.extra)))
			if diff := cmp.Diff(want, posted); diff != "" {
				t.Errorf("events posted at notify_on %s (-want +got):\n%s", tt.notifyOn, diff)
			}
		})
	}
}
