package webhook

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
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

// ref is the Git ref being deployed, as the API's refs/heads/main example: on a pull
// request event the head's branch, not the merge ref GITHUB_REF holds there.
func TestRefIsTheDeployedBranch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(*model.RunContext)
		want string
	}{
		{name: "push", run: func(c *model.RunContext) { c.EventName, c.Ref = "push", "refs/heads/main" }, want: "refs/heads/main"},
		{name: "tag", run: func(c *model.RunContext) { c.EventName, c.Ref, c.Tag = "push", "refs/tags/v1.4.2", true }, want: "refs/tags/v1.4.2"},
		{name: "pull_request", run: func(c *model.RunContext) {
			c.EventName, c.Ref, c.HeadRef, c.PullRequest = "pull_request", "refs/pull/42/merge", "cart-cache", 42
		}, want: "refs/heads/cart-cache"},
		{name: "pull_request_target", run: func(c *model.RunContext) {
			c.EventName, c.Ref, c.HeadRef, c.PullRequest = "pull_request_target", "refs/heads/main", "feature/x", 42
		}, want: "refs/heads/feature/x"},
		{name: "pull_request_without_head_ref", run: func(c *model.RunContext) {
			c.EventName, c.Ref, c.HeadRef = "pull_request", "refs/pull/42/merge", ""
		}, want: "refs/pull/42/merge"},
		{name: "gitlab_branch", run: func(c *model.RunContext) { c.Platform, c.EventName, c.Ref = "gitlab", "push", "main" }, want: "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, ev := range []sink.Event{sinktest.Events()[0], sinktest.Finished()} {
				tt.run(&ev.Report.Run)
				b, err := json.Marshal(Payload(ev, "running"))
				if err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Ref       string `json:"ref"`
					CommitSHA string `json:"commit_sha"`
				}
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatal(err)
				}
				if doc.Ref != tt.want || doc.CommitSHA != ev.Report.Run.DeployedSHA() {
					t.Errorf("%s: ref %q commit %q, want %q and %q", ev.Kind, doc.Ref, doc.CommitSHA, tt.want, ev.Report.Run.DeployedSHA())
				}
			}
		})
	}
}

// The API records a deployment's status, which has no value for a finding: the sink posts
// the start and the end only, whatever the findings' severity (notify_on does not apply),
// and the end carries the findings.
func TestPostsOnlyTheStartAndTheEnd(t *testing.T) {
	t.Parallel()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("body: %v", err)
		}
		got = append(got, p.Status+" findings="+strconv.Itoa(len(p.EventMetadata.Findings)))
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	s := newSink(t, srv.URL)
	for _, ev := range sinktest.Events() {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
	}
	final := sinktest.Finished().Report
	want := []string{"running findings=0", Status(final.Verdict) + " findings=" + strconv.Itoa(len(final.Findings))}
	if !slices.Equal(got, want) || len(final.Findings) == 0 {
		t.Errorf("posted %q, want %q", got, want)
	}
}
