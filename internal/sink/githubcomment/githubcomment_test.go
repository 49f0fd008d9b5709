package githubcomment_test

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/githubapi/githubtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/githubcomment"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	pr       = 41
	mergeSHA = "9999999999999999999999999999999999999999"
)

var marker = report.CommentMarker("production")

func newClient(t *testing.T, apiURL string, rt http.RoundTripper) *githubapi.Client {
	t.Helper()
	c, err := githubapi.New(githubapi.Config{Token: githubtest.Token, APIURL: apiURL, Repository: "acme/shop", Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSink(t *testing.T, srv *githubtest.Server, mode string) *githubcomment.Sink {
	t.Helper()
	s, err := githubcomment.New(githubcomment.Config{Client: newClient(t, srv.URL, nil), Mode: mode, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The golden file is regenerated with: go test ./internal/sink/githubcomment -update
func TestConformance(t *testing.T) {
	api := githubtest.New()
	// The fixture run is a push: its pull request is found by its commit.
	api.AddPullRequest(pr, sinktest.SHA, "merged")
	sinktest.Run(t, sinktest.Case{
		New: func(t *testing.T, baseURL string) sink.Sink {
			s, err := githubcomment.New(githubcomment.Config{Client: newClient(t, baseURL, nil)})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		API:     api,
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Authorization", "Content-Type"},
		Secrets: []string{githubtest.Token},
	})
}

// onPR makes an event belong to pull request 41, as a pull_request event does.
func onPR(ev sink.Event) sink.Event {
	ev.Report.Run.EventName, ev.Report.Run.SHA, ev.Report.Run.HeadSHA, ev.Report.Run.PullRequest = "pull_request", mergeSHA, sinktest.SHA, pr
	return ev
}

// pullLookups counts the lookups of the commit's pull requests: GraphQL queries asking for
// them, and the REST list GitHub Enterprise Server falls back to.
func pullLookups(srv *githubtest.Server) int {
	n := len(srv.CallsTo(http.MethodGet, "/repos/acme/shop/commits/*/pulls"))
	for _, c := range srv.CallsTo(http.MethodPost, "/graphql") {
		if strings.Contains(c.Body, "associatedPullRequests") {
			n++
		}
	}
	return n
}

func send(t *testing.T, s sink.Sink, events ...sink.Event) {
	t.Helper()
	for _, ev := range events {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
	}
}

func TestOneCommentEditedInPlace(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	srv.AddPullRequest(pr, sinktest.SHA, "open")
	s := newSink(t, srv, "")
	events := sinktest.Events()
	for i := range events {
		events[i] = onPR(events[i])
	}
	// A checkpoint that changes nothing is not sent again.
	send(t, s, events[0], events[1], events[1])
	send(t, s, events[2:]...)
	comments := srv.IssueComments(pr)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	final := events[len(events)-1].Report
	if comments[0].Body != report.Comment(final) {
		t.Errorf("the comment is not the final report")
	}
	if n := len(srv.CallsTo(http.MethodPost, "/repos/acme/shop/issues/41/comments")); n != 1 {
		t.Errorf("%d creations, want 1", n)
	}
	if n := len(srv.CallsTo(http.MethodPatch, "/repos/acme/shop/issues/comments/*")); n != len(events)-1 {
		t.Errorf("%d edits, want %d (one per later event with a new text)", n, len(events)-1)
	}
	if n := pullLookups(srv); n != 0 {
		t.Errorf("looked the pull request up %d times; the run context names it", n)
	}
	want := fmt.Sprintf("https://github.com/acme/shop/pull/41#issuecomment-%d", comments[0].ID)
	if got := s.Handles().CommentURL; got != want {
		t.Errorf("comment URL %q, want %q", got, want)
	}
}

func TestFindsItsCommentAgain(t *testing.T) {
	t.Parallel()
	ours := func(srv *githubtest.Server, body string) int64 {
		return srv.AddComment(githubtest.Comment{PR: pr, Body: body + "\n" + marker + "\n"})
	}
	tests := []struct {
		name string
		// seed returns the comment the sink must end up editing (0: a new one).
		seed func(srv *githubtest.Server) int64
		// wantLeft are the bodies left by others, untouched.
		wantOthers int
	}{
		{name: "rerun_edits_the_previous_run's", seed: func(srv *githubtest.Server) int64 { return ours(srv, "first attempt") }},
		{name: "another_user's_marker_is_ignored", wantOthers: 1, seed: func(srv *githubtest.Server) int64 {
			srv.AddComment(githubtest.Comment{PR: pr, User: "mallory", Body: "click here " + marker})
			return 0
		}},
		{name: "another_environment's_comment_is_ignored", wantOthers: 1, seed: func(srv *githubtest.Server) int64 {
			srv.AddComment(githubtest.Comment{PR: pr, Body: "staging " + report.CommentMarker("staging")})
			return 0
		}},
		{name: "duplicates_are_healed_newest_kept", seed: func(srv *githubtest.Server) int64 {
			ours(srv, "race a")
			ours(srv, "race b")
			return ours(srv, "race c")
		}},
		{name: "found_past_the_first_page", wantOthers: 150, seed: func(srv *githubtest.Server) int64 {
			for i := range 150 {
				srv.AddComment(githubtest.Comment{PR: pr, User: "octocat", Body: fmt.Sprint("lgtm ", i)})
			}
			return ours(srv, "earlier")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			srv.AddPullRequest(pr, sinktest.SHA, "open")
			want := tt.seed(srv)
			ev := onPR(sinktest.Events()[0])
			send(t, newSink(t, srv, ""), ev)
			var mine []githubtest.Comment
			others := 0
			for _, c := range srv.IssueComments(pr) {
				if c.User == githubtest.Bot && strings.Contains(c.Body, marker) {
					mine = append(mine, c)
				} else {
					others++
				}
			}
			if len(mine) != 1 || mine[0].Body != report.Comment(ev.Report) {
				t.Fatalf("our comments %+v, want one with the report", mine)
			}
			if want != 0 && mine[0].ID != want {
				t.Errorf("edited comment %d, want %d", mine[0].ID, want)
			}
			if created := len(srv.CallsTo(http.MethodPost, "/repos/acme/shop/issues/41/comments")) == 1; created != (want == 0) {
				t.Errorf("created a comment: %v, want %v", created, want == 0)
			}
			if others != tt.wantOthers {
				t.Errorf("%d comments of others left, want %d", others, tt.wantOthers)
			}
		})
	}
}

// A re-run is a new process: a fresh sink and client, nothing remembered. Run twice
// against the same GitHub, the whole event sequence each time, the sink leaves exactly one
// comment, created once by the first run and edited by the second (found by its marker
// and its author), on the pull request or, for a push without one, on the commit.
func TestReRunEditsTheSameComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		onPR bool
		// create is the path comments are created on.
		create, edit string
	}{
		{name: "pull_request", onPR: true, create: "/repos/acme/shop/issues/41/comments", edit: "/repos/acme/shop/issues/comments/*"},
		{name: "push_commit_comment", create: "/repos/acme/shop/commits/" + sinktest.SHA + "/comments", edit: "/repos/acme/shop/comments/*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			if tt.onPR {
				srv.AddPullRequest(pr, sinktest.SHA, "open")
			}
			comments := func() []githubtest.Comment {
				if tt.onPR {
					return srv.IssueComments(pr)
				}
				return srv.CommitComments(sinktest.SHA)
			}
			run := func(attempt int) (*githubcomment.Sink, []sink.Event) {
				events := sinktest.Events()
				for i := range events {
					if tt.onPR {
						events[i] = onPR(events[i])
					}
					events[i].Report.Run.RunURL += fmt.Sprintf("/attempts/%d", attempt)
				}
				s := newSink(t, srv, "")
				send(t, s, events...)
				return s, events
			}

			first, _ := run(1)
			after := len(srv.Calls())
			second, events := run(2)

			cs := comments()
			if len(cs) != 1 {
				t.Fatalf("%d comments after the re-run, want 1", len(cs))
			}
			if cs[0].Body != report.Comment(events[len(events)-1].Report) {
				t.Errorf("the comment is not the re-run's final report")
			}
			posts := 0
			for _, c := range srv.Calls() {
				if c.Method == http.MethodPost && c.Path != "/graphql" {
					posts++
				}
			}
			if n := len(srv.CallsTo(http.MethodPost, tt.create)); n != 1 || posts != 1 {
				t.Errorf("%d comments created, %d POSTs over both runs; want 1 and 1", n, posts)
			}
			var edits int
			for _, c := range srv.Calls()[after:] {
				switch {
				case c.Method == http.MethodPost && c.Path != "/graphql", c.Method == http.MethodDelete:
					t.Errorf("the re-run made %s %s", c.Method, c.Path)
				case c.Method == http.MethodPatch && c.Path == strings.Replace(tt.edit, "*", fmt.Sprint(cs[0].ID), 1):
					edits++
				}
			}
			if edits == 0 {
				t.Errorf("the re-run never edited comment %d", cs[0].ID)
			}
			if a, b := first.Handles().CommentURL, second.Handles().CommentURL; a == "" || a != b {
				t.Errorf("comment URL %q then %q, want the same", a, b)
			}
		})
	}
}

// A create that failed is looked for before it is tried again, whether GitHub made the
// comment (the answer was lost) or not.
func TestRetriedCreateLeavesOneComment(t *testing.T) {
	t.Parallel()
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("answer_lost_%v", lost), func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			srv.AddPullRequest(pr, sinktest.SHA, "open")
			fail := srv.FailNext
			if lost {
				fail = srv.FailAfterNext
			}
			fail(http.MethodPost, "/repos/acme/shop/issues/41/comments", http.StatusBadGateway, nil, `{"message":"Bad Gateway"}`)
			s := newSink(t, srv, "")
			ev := onPR(sinktest.Events()[0])
			if retry, err := s.Send(t.Context(), ev); !retry || err == nil {
				t.Fatalf("after a 502: retry %v, err %v", retry, err)
			}
			send(t, s, ev)
			if n := len(srv.IssueComments(pr)); n != 1 {
				t.Errorf("%d comments, want 1", n)
			}
		})
	}
}

func TestWhereItComments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mode     string
		prs      []githubtest.PullRequest
		onPR     bool
		wantPR   int
		wantSHA  string
		wantURL  string
		wantLook bool
	}{
		{name: "push_finds_the_open_pull_request", prs: []githubtest.PullRequest{{Number: 40, HeadSHA: sinktest.SHA, State: "merged"}, {Number: 41, HeadSHA: sinktest.SHA, State: "open"}},
			wantPR: 41, wantLook: true},
		{name: "push_finds_the_merged_pull_request", prs: []githubtest.PullRequest{{Number: 39, HeadSHA: sinktest.SHA, State: "closed"}, {Number: 40, HeadSHA: sinktest.SHA, State: "merged"}},
			wantPR: 40, wantLook: true},
		{name: "push_without_pull_request_comments_the_commit", wantSHA: sinktest.SHA, wantLook: true,
			wantURL: "https://github.com/acme/shop/commit/" + sinktest.SHA + "#commitcomment-"},
		{name: "mode_commit_on_a_pull_request_run", mode: githubcomment.ModeCommit, onPR: true, prs: []githubtest.PullRequest{{Number: pr, HeadSHA: sinktest.SHA, State: "open"}},
			wantSHA: sinktest.SHA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			for _, p := range tt.prs {
				srv.AddPullRequest(p.Number, p.HeadSHA, p.State)
			}
			ev := sinktest.Events()[0]
			if tt.onPR {
				ev = onPR(ev)
			}
			s := newSink(t, srv, tt.mode)
			send(t, s, ev, sinktest.Finished())
			if tt.wantPR != 0 && len(srv.IssueComments(tt.wantPR)) != 1 {
				t.Errorf("pull request %d has %d comments, want 1", tt.wantPR, len(srv.IssueComments(tt.wantPR)))
			}
			if tt.wantSHA != "" {
				cs := srv.CommitComments(tt.wantSHA)
				if len(cs) != 1 || cs[0].Body != report.Comment(sinktest.Finished().Report) {
					t.Errorf("commit comments %+v, want one with the final report", cs)
				}
			}
			if looked := pullLookups(srv) == 1; looked != tt.wantLook {
				t.Errorf("looked the pull request up: %v, want %v", looked, tt.wantLook)
			}
			if !strings.HasPrefix(s.Handles().CommentURL, tt.wantURL) {
				t.Errorf("comment URL %q, want %q…", s.Handles().CommentURL, tt.wantURL)
			}
		})
	}
}

// A comment someone deleted during the run is made again.
func TestDeletedCommentIsMadeAgain(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	srv.AddPullRequest(pr, sinktest.SHA, "open")
	s := newSink(t, srv, "")
	events := sinktest.Events()
	send(t, s, onPR(events[0]))
	gone := srv.IssueComments(pr)[0].ID
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, fmt.Sprintf("%s/repos/acme/shop/issues/comments/%d", srv.URL, gone), nil)
	req.Header.Set("Authorization", "Bearer "+githubtest.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	send(t, s, onPR(events[1]))
	if cs := srv.IssueComments(pr); len(cs) != 1 || cs[0].ID == gone {
		t.Errorf("comments %+v, want one new", cs)
	}
}

// report.Comment keeps any run under GitHub's limit: the fake never has to refuse one.
func TestHugeRunStaysUnderTheLimit(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	srv.AddPullRequest(pr, sinktest.SHA, "open")
	ev := onPR(sinktest.Finished())
	r := &ev.Report
	for i := range 3000 {
		name := fmt.Sprintf("check_%04d_%s", i, strings.Repeat("x", 60))
		r.Checks = append(r.Checks, model.CheckStatus{Spec: model.CheckSpec{Name: name, Kind: model.KindReadiness},
			Last: &model.Measurement{Check: name, Outcome: model.OutcomeFail, Message: strings.Repeat("boom ", 40)}, Runs: 9, Breaches: 9})
		r.Findings = append(r.Findings, model.Finding{Check: name, Type: model.FindingBreach, Severity: model.SeverityCritical,
			Active: true, Message: strings.Repeat("very bad ", 30)})
	}
	send(t, newSink(t, srv, ""), ev)
	for _, c := range srv.Calls() {
		if c.Status == http.StatusUnprocessableEntity {
			t.Errorf("%s %s was refused with a 422", c.Method, c.Path)
		}
	}
	cs := srv.IssueComments(pr)
	if len(cs) != 1 || len([]rune(cs[0].Body)) > githubtest.MaxCommentChars || !strings.Contains(cs[0].Body, marker) {
		t.Errorf("want one comment within the limit, with its marker")
	}
}

// A read-only token turns the sink off quietly: the refusal is the client's to report,
// once for every GitHub sink, and no call follows it.
func TestReadOnlyTokenIsRecorded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		onPR bool
		want githubapi.Refusal
	}{
		{name: "pull_request_comment", onPR: true, want: githubapi.Refusal{Op: "create pull request comment", Need: "pull-requests: write"}},
		{name: "commit_comment", want: githubapi.Refusal{Op: "create commit comment", Need: "contents: write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			if tt.onPR {
				srv.AddPullRequest(pr, sinktest.SHA, "open")
			}
			srv.SetReadOnly(true)
			c := newClient(t, srv.URL, nil)
			s, err := githubcomment.New(githubcomment.Config{Client: c, Environment: "production"})
			if err != nil {
				t.Fatal(err)
			}
			ev, end := sinktest.Events()[0], sinktest.Finished()
			if tt.onPR {
				ev, end = onPR(ev), onPR(end)
			}
			retry, err := s.Send(t.Context(), ev)
			if retry || err != nil || !cmp.Equal(c.Refused(), []githubapi.Refusal{tt.want}) {
				t.Errorf("retry %v, err %v, refused %+v; want no error and %+v", retry, err, c.Refused(), tt.want)
			}
			calls := len(srv.Calls())
			if _, err := s.Send(t.Context(), end); err != nil || len(srv.Calls()) != calls {
				t.Errorf("after the refusal: err %v, %d more calls; want the sink off", err, len(srv.Calls())-calls)
			}
		})
	}
}

func TestFailuresAreClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mode     string
		readOnly bool
		onPR     bool
		want     string
	}{
		{name: "mode_pr_without_pull_request", mode: githubcomment.ModePR, want: "there is no pull request for commit 3f9c2ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t)
			if tt.onPR {
				srv.AddPullRequest(pr, sinktest.SHA, "open")
			}
			srv.SetReadOnly(tt.readOnly)
			ev := sinktest.Events()[0]
			if tt.onPR {
				ev = onPR(ev)
			}
			retry, err := newSink(t, srv, tt.mode).Send(t.Context(), ev)
			var se *sink.Error
			if retry || !errors.As(err, &se) || !se.Disable || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("retry %v, err %v; want a disabling error saying %q", retry, err, tt.want)
			}
		})
	}
}

// Mode pr without a pull request: one warning for the run, then silence.
func TestModePRWithoutPullRequestWarnsOnce(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t)
	d := sink.New([]sink.Sink{newSink(t, srv, githubcomment.ModePR)}, sink.Options{})
	events := sinktest.Events()
	d.Announce(t.Context(), events[0])
	for _, ev := range events[1 : len(events)-1] {
		d.Publish(ev)
	}
	warnings := d.Finish(t.Context(), events[len(events)-1])
	if len(warnings) != 1 || !strings.Contains(warnings[0], "github comment: turned off for the rest of this run") {
		t.Errorf("warnings %q, want one", warnings)
	}
	if n := pullLookups(srv); n != 1 {
		t.Errorf("looked the pull request up %d times, want once", n)
	}
}

func TestNewValidatesTheMode(t *testing.T) {
	t.Parallel()
	c := newClient(t, "https://api.github.com", nil)
	for _, mode := range []string{"", "auto", "pr", "commit"} {
		if _, err := githubcomment.New(githubcomment.Config{Client: c, Mode: mode}); err != nil {
			t.Errorf("mode %q: %v", mode, err)
		}
	}
	if _, err := githubcomment.New(githubcomment.Config{Client: c, Mode: "off"}); err == nil {
		t.Error("mode off built a sink; the app should not build one")
	}
	if _, err := githubcomment.New(githubcomment.Config{Mode: "auto"}); err == nil {
		t.Error("no client accepted")
	}
}

// A secondary rate limit asks to wait its Retry-After, and the dispatcher waits exactly
// that long before trying again.
func TestSecondaryRateLimitIsWaitedOut(t *testing.T) {
	t.Parallel()
	const wait = 90 * time.Second
	t.Run("send_asks_for_the_wait", func(t *testing.T) {
		t.Parallel()
		srv := githubtest.Start(t)
		srv.AddPullRequest(pr, sinktest.SHA, "open")
		srv.FailNext(http.MethodPost, "/repos/acme/shop/issues/41/comments", http.StatusForbidden, githubtest.SecondaryRateLimitHeaders(wait), githubtest.SecondaryRateLimitBody)
		retry, err := newSink(t, srv, "").Send(t.Context(), onPR(sinktest.Events()[0]))
		if !retry || sink.RequestedWait(err) != wait {
			t.Errorf("retry %v, wait %s (%v); want a retry after %s", retry, sink.RequestedWait(err), err, wait)
		}
	})
	t.Run("dispatcher_retries_after_it", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			srv := githubtest.New()
			srv.AddPullRequest(pr, sinktest.SHA, "open")
			srv.FailNext(http.MethodPost, "/repos/acme/shop/issues/41/comments", http.StatusForbidden, githubtest.SecondaryRateLimitHeaders(wait), githubtest.SecondaryRateLimitBody)
			s, err := githubcomment.New(githubcomment.Config{Client: newClient(t, "http://github.test", srv.Transport())})
			if err != nil {
				t.Fatal(err)
			}
			d := sink.New([]sink.Sink{s}, sink.Options{})
			d.Announce(t.Context(), onPR(sinktest.Events()[0]))
			warnings := d.Finish(t.Context(), onPR(sinktest.Finished()))
			posts := srv.CallsTo(http.MethodPost, "/repos/acme/shop/issues/41/comments")
			var got []int
			for _, p := range posts {
				got = append(got, p.Status)
			}
			if diff := cmp.Diff([]int{403, 201}, got); diff != "" {
				t.Fatalf("creations (-want +got):\n%s", diff)
			}
			if gap := posts[1].At.Sub(posts[0].At); gap != wait {
				t.Errorf("retried after %s, want %s", gap, wait)
			}
			if len(warnings) != 0 || len(srv.IssueComments(pr)) != 1 {
				t.Errorf("warnings %q, %d comments; want none and one", warnings, len(srv.IssueComments(pr)))
			}
		})
	})
}
