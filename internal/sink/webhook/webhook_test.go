package webhook

import (
	"encoding/json"
	"flag"
	"slices"
	"testing"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	token      = "cased_live_Tok3nValue9"
	secretPath = "/hooks/Sup3rS3cretPath/api/v1/deployments/"
)

func newSink(t *testing.T, base string) sink.Sink {
	t.Helper()
	s, err := New(Config{URL: base + secretPath, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The golden file is regenerated with: go test ./internal/sink/webhook -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New:     newSink,
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Authorization", "Content-Type", "Idempotency-Key"},
		Secrets: []string{token, "Sup3rS3cretPath"},
	})
}

// The body follows the API's schema: its fields only, deployment_request always set,
// status one of the five, event_metadata an object.
func TestPayloadMatchesTheAPISchema(t *testing.T) {
	t.Parallel()
	fields := []string{"deployment_request", "repository_full_name", "status", "external_url", "commit_sha", "commit_message", "ref", "event_metadata"}
	statuses := []string{"pending", "running", "success", "failure", "cancelled"}
	for _, ev := range sinktest.Events() {
		for _, v := range model.Verdicts() {
			ev.Report.Verdict = v
			b, err := json.Marshal(Payload(ev, Status(v)))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			for k := range doc {
				if !slices.Contains(fields, k) {
					t.Errorf("%s/%s: field %q is not in the API's schema", ev.Kind, v, k)
				}
			}
			if s, _ := doc["deployment_request"].(string); s == "" {
				t.Errorf("%s/%s: deployment_request is required", ev.Kind, v)
			}
			if s, _ := doc["status"].(string); !slices.Contains(statuses, s) {
				t.Errorf("%s/%s: status %q", ev.Kind, v, s)
			}
			if _, ok := doc["event_metadata"].(map[string]any); !ok {
				t.Errorf("%s/%s: event_metadata is not an object", ev.Kind, v)
			}
		}
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	want := map[model.Verdict]string{
		model.VerdictHealthy: "success", model.VerdictDegraded: "success", model.VerdictFailed: "failure",
		model.VerdictInconclusive: "failure", model.VerdictCancelled: "cancelled",
	}
	for v, s := range want {
		if got := Status(v); got != s {
			t.Errorf("Status(%s) = %q, want %q", v, got, s)
		}
	}
}

func TestNewRejectsABadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "ftp://x/y", "hooks.example.com/x", "https://"} {
		if _, err := New(Config{URL: u}); err == nil {
			t.Errorf("New(%q) accepted it", u)
		}
	}
}
