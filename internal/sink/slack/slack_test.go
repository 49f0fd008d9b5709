package slack

import (
	"errors"
	"flag"
	"maps"
	"net/http"
	"slices"
	"strings"
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
	s, err := New(Config{WebhookURL: base + hookPath})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The golden file is regenerated with: go test ./internal/sink/slack -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New:     newSink,
		API:     slackAPI(t),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Content-Type"},
		Secrets: []string{hookSecret},
	})
}

func TestNewValidatesTheURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		ok        bool
	}{
		{"https_hook", "https://hooks.slack.com/services/T1/B1/" + hookSecret, true},
		{"http_on_loopback", "http://127.0.0.1:8080" + hookPath, true},
		{"http_on_localhost", "http://localhost:8080" + hookPath, true},
		{"empty", "", false},
		{"no_scheme", "hooks.slack.com/services/T1/B1/" + hookSecret, false},
		{"plain_http_elsewhere", "http://hooks.slack.com/services/T1/B1/" + hookSecret, false},
		{"other_scheme", "ftp://hooks.slack.com/services/T1/B1/" + hookSecret, false},
		{"no_host", "https:///services/T1/B1/" + hookSecret, false},
		{"credentials_in_url", "https://user:" + hookSecret + "@hooks.slack.com/x", false},
		{"unparseable", "https://hooks.slack.com/%zz/" + hookSecret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{WebhookURL: tt.url})
			if (err == nil) != tt.ok {
				t.Fatalf("New(%q): err %v, want ok %v", tt.url, err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), hookSecret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

// Slack's webhook errors are plain text; the classification decides retry and disable.
func TestSlackErrorsAreClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   sinktest.Fault
		retry   bool
		disable bool
		after   time.Duration
	}{
		{"invalid_blocks_is_final", sinktest.Fault{Status: 400, Body: "invalid_blocks"}, false, false, 0},
		{"invalid_token_disables", sinktest.Fault{Status: 403, Body: "invalid_token"}, false, true, 0},
		{"no_service_disables", sinktest.Fault{Status: 404, Body: "no_service"}, false, true, 0},
		{"archived_channel_disables", sinktest.Fault{Status: 410, Body: "channel_is_archived"}, false, true, 0},
		{"rate_limit_waits", sinktest.Fault{Status: 429, Header: http.Header{"Retry-After": {"30"}}, Body: "rate_limited"}, true, false, 30 * time.Second},
		{"server_error_retries", sinktest.Fault{Status: 500, Body: "internal_error"}, true, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := sinktest.NewServer(t, slackAPI(t))
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
			if !strings.Contains(err.Error(), tt.fault.Body) {
				t.Errorf("error %q does not give Slack's reason %q", err, tt.fault.Body)
			}
			if strings.Contains(err.Error(), hookSecret) {
				t.Errorf("error %q holds the webhook's secret", err)
			}
		})
	}
}

// events is one of each event a run can send, with findings of each severity.
func events() map[string]sink.Event {
	evs := sinktest.Events()
	// Distinct events of a run happen at distinct times.
	n := 0
	later := func(ev sink.Event) sink.Event {
		n++
		ev.At = ev.At.Add(time.Duration(n) * time.Millisecond)
		return ev
	}
	finding := func(sev model.Severity, probe bool) sink.Event {
		ev := later(evs[4])
		f := *ev.Finding
		f.Severity = sev
		if probe {
			f.Type = model.FindingProbeError
		}
		ev.Finding = &f
		return ev
	}
	cleared := func(sev model.Severity) sink.Event {
		ev := later(evs[3])
		f := *ev.Finding
		f.Severity = sev
		ev.Finding = &f
		return ev
	}
	resumed := evs[0]
	resumed.Kind = sink.KindResumed
	return map[string]sink.Event{
		"started": evs[0], "resumed": resumed, "progress": evs[1],
		"info_finding": finding(model.SeverityInfo, false), "warning_finding": finding(model.SeverityWarning, false),
		"critical_finding": finding(model.SeverityCritical, false), "emergency_finding": finding(model.SeverityEmergency, false),
		"probe_error":     finding(model.SeverityCritical, true),
		"warning_cleared": cleared(model.SeverityWarning), "critical_cleared": cleared(model.SeverityCritical),
		"rolled_back": evs[5], "finished": evs[6],
	}
}

// notify_on decides which findings, clearings and checkpoints are posted; the start, the
// rollback and the end always are, a resumed run never posts.
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
			srv := sinktest.NewServer(t, slackAPI(t))
			s, err := New(Config{WebhookURL: srv.URL + hookPath, NotifyOn: tt.notifyOn})
			if err != nil {
				t.Fatal(err)
			}
			var posted []string
			evs := events()
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
