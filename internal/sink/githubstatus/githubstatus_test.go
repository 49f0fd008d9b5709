package githubstatus_test

import (
	"flag"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/githubstatus"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const runURL = "https://github.com/acme/shop/actions/runs/123456789"

func newSink(t *testing.T, apiURL string) *githubstatus.Sink {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: apiURL, Repository: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := githubstatus.New(githubstatus.Config{Client: c, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The golden file is regenerated with: go test ./internal/sink/githubstatus -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New:     func(t *testing.T, baseURL string) sink.Sink { return newSink(t, baseURL) },
		API:     githubtest.New(),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Authorization", "Content-Type"},
		Secrets: []string{githubtest.Token},
	})
}

type posted struct{ State, Description, TargetURL, Context string }

func postedStatuses(srv *githubtest.Server, sha string) []posted {
	var out []posted
	for _, st := range srv.CommitStatuses(sha) {
		out = append(out, posted{st.State, st.Description, st.TargetURL, st.Context})
	}
	return out
}

// Pending once at the start, the outcome once at the end, nothing in between.
func TestPostsOnlyChangesOfState(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	s := newSink(t, srv.URL)
	events := sinktest.Events()
	for i := range events {
		// A pull request run: the status goes on the head, not on the merge commit.
		events[i].Report.Run.SHA, events[i].Report.Run.HeadSHA, events[i].Report.Run.PullRequest = strings.Repeat("9", 40), sinktest.SHA, 41
	}
	// From the finding on, the sticky comment is known: the final status links to it.
	const commentURL = "https://github.com/acme/shop/pull/41#issuecomment-7"
	events[len(events)-1].Report.CommentURL = commentURL
	for _, ev := range events {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
	}
	want := []posted{
		{"pending", "Monitoring production: 2 checks", runURL, "deploywatch/production"},
		{"failure", "failed: critical error_rate: error rate 4.2% over the 1% limit — detected after 1m35s", commentURL, "deploywatch/production"},
	}
	if diff := cmp.Diff(want, postedStatuses(srv, sinktest.SHA)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := len(srv.Calls()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestFinalState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		verdict   model.Verdict
		dryRun    bool
		wantState string
		wantDesc  string
	}{
		{name: "healthy", verdict: model.VerdictHealthy, wantState: "success", wantDesc: "healthy: "},
		{name: "degraded", verdict: model.VerdictDegraded, wantState: "success", wantDesc: "degraded: "},
		{name: "failed", verdict: model.VerdictFailed, wantState: "failure", wantDesc: "failed: "},
		{name: "failed_dry_run", verdict: model.VerdictFailed, dryRun: true, wantState: "failure", wantDesc: "dry run: failed: "},
		{name: "inconclusive", verdict: model.VerdictInconclusive, wantState: "error", wantDesc: "inconclusive: "},
		{name: "cancelled_is_an_error_that_says_so", verdict: model.VerdictCancelled, wantState: "error", wantDesc: "cancelled after 1m36s: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			ev := sinktest.Finished()
			ev.Report.Verdict, ev.Report.DryRun = tt.verdict, tt.dryRun
			ev.Report.Reason = strings.Repeat("far too many errors ", 20)
			if _, err := newSink(t, srv.URL).Send(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
			got := postedStatuses(srv, sinktest.SHA)
			if len(got) != 1 || got[0].State != tt.wantState || !strings.HasPrefix(got[0].Description, tt.wantDesc) ||
				len([]rune(got[0].Description)) > githubapi.MaxDescription {
				t.Errorf("statuses %+v, want one %s starting %q within 140 characters", got, tt.wantState, tt.wantDesc)
			}
		})
	}
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	t.Run("read_only_token_turns_it_off_quietly", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		srv.SetReadOnly(true)
		c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: srv.URL, Repository: "acme/shop"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := githubstatus.New(githubstatus.Config{Client: c, Environment: "production"})
		if err != nil {
			t.Fatal(err)
		}
		// The refusal is the client's to report, once for every GitHub sink.
		retry, err := s.Send(t.Context(), sinktest.Events()[0])
		want := []githubapi.Refusal{{Op: "set commit status", Need: "statuses: write"}}
		if retry || err != nil || !cmp.Equal(c.Refused(), want) {
			t.Errorf("retry %v, err %v, refused %+v; want no error and %+v", retry, err, c.Refused(), want)
		}
		calls := len(srv.Calls())
		if _, err := s.Send(t.Context(), sinktest.Finished()); err != nil || len(srv.Calls()) != calls {
			t.Errorf("after the refusal: err %v, %d more calls; want the sink off", err, len(srv.Calls())-calls)
		}
	})
	t.Run("secondary_rate_limit_asks_to_wait", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		srv.FailNext(http.MethodPost, "", http.StatusForbidden, githubtest.SecondaryRateLimitHeaders(45*time.Second), githubtest.SecondaryRateLimitBody)
		retry, err := newSink(t, srv.URL).Send(t.Context(), sinktest.Events()[0])
		if !retry || sink.RequestedWait(err) != 45*time.Second {
			t.Errorf("retry %v, wait %s, err %v; want a retry after 45s", retry, sink.RequestedWait(err), err)
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := githubstatus.New(githubstatus.Config{Environment: "production"}); err == nil {
		t.Error("no client accepted")
	}
	c, err := githubapi.New(githubapi.Config{Token: "t0ken-value", Repository: "acme/shop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := githubstatus.New(githubstatus.Config{Client: c}); err == nil {
		t.Error("no environment accepted")
	}
}
