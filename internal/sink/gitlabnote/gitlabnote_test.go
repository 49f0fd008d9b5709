package gitlabnote_test

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/gitlabapi/gitlabtest"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabnote"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	mr       = 41
	mrNotes  = "/api/v4/projects/4242/merge_requests/41/notes"
	mrLookup = "/api/v4/projects/4242/repository/commits/" + sinktest.SHA + "/merge_requests"
	commit   = "/api/v4/projects/4242/repository/commits/" + sinktest.SHA + "/discussions"
)

var marker = report.CommentMarker("production")

// onGitLab makes an event a GitLab run's: a push pipeline on main.
func onGitLab(ev sink.Event) sink.Event {
	r := &ev.Report.Run
	r.Platform, r.Ref, r.ProjectID, r.PipelineID = "gitlab", "main", "4242", strconv.Itoa(gitlabtest.PipelineID)
	r.RunURL = fmt.Sprintf("%s/%s/-/jobs/%d", gitlabtest.ServerURL, gitlabtest.ProjectPath, gitlabtest.JobID)
	r.ServerURL, r.APIURL = gitlabtest.ServerURL, gitlabtest.ServerURL+"/api/v4"
	return ev
}

// onMR makes an event a merge request pipeline's (CI_MERGE_REQUEST_IID is 41).
func onMR(ev sink.Event) sink.Event {
	ev = onGitLab(ev)
	ev.Report.Run.EventName, ev.Report.Run.PullRequest = "merge_request_event", mr
	return ev
}

func events(on func(sink.Event) sink.Event) []sink.Event {
	evs := sinktest.Events()
	for i := range evs {
		evs[i] = on(evs[i])
	}
	return evs
}

func newClient(t *testing.T, apiRoot string, rt http.RoundTripper, job bool) *gitlabapi.Client {
	t.Helper()
	token := gitlabtest.Token
	if job {
		token = gitlabtest.JobToken
	}
	c, err := gitlabapi.New(gitlabapi.Config{Token: token, JobToken: job, APIURL: apiRoot + "/api/v4", ProjectID: "4242",
		ProjectPath: gitlabtest.ProjectPath, ServerURL: gitlabtest.ServerURL, Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newSink(t *testing.T, srv *gitlabtest.Server, mode string) *gitlabnote.Sink {
	t.Helper()
	s, err := gitlabnote.New(gitlabnote.Config{Client: newClient(t, srv.URL, nil, false), Mode: mode, Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func send(t *testing.T, s sink.Sink, evs ...sink.Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
	}
}

// The golden file is regenerated with: go test ./internal/sink/gitlabnote -update
func TestConformance(t *testing.T) {
	api := gitlabtest.New()
	// A branch pipeline: the merge request is found by the commit.
	api.AddMergeRequest(mr, sinktest.SHA, "opened")
	sinktest.Run(t, sinktest.Case{
		New: func(t *testing.T, baseURL string) sink.Sink {
			s, err := gitlabnote.New(gitlabnote.Config{Client: newClient(t, baseURL, nil, false)})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		API:     api,
		Events:  events(onGitLab),
		Probe:   onGitLab(sinktest.Finished()),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Private-Token", "Content-Type"},
		Secrets: []string{gitlabtest.Token},
	})
}

// One note, created at the start and edited at each later event whose text changed, here
// and in a re-run (a second sink), which finds it again.
func TestOneNoteEditedInPlace(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	srv.AddMergeRequest(mr, sinktest.SHA, "opened")
	s := newSink(t, srv, "")
	evs := events(onMR)
	// A checkpoint that changes nothing is not sent again.
	send(t, s, evs[0], evs[1], evs[1])
	send(t, s, evs[2:]...)
	notes := srv.MergeRequestNotes(mr)
	if len(notes) != 1 || notes[0].Body != report.Comment(evs[len(evs)-1].Report) {
		t.Fatalf("notes %+v, want one with the final report", notes)
	}
	if n := len(srv.CallsTo(http.MethodPost, mrNotes)); n != 1 {
		t.Errorf("%d creations, want 1", n)
	}
	if n := len(srv.CallsTo(http.MethodPut, mrNotes+"/*")); n != len(evs)-1 {
		t.Errorf("%d edits, want %d (one per later event with a new text)", n, len(evs)-1)
	}
	if n := len(srv.CallsTo(http.MethodGet, mrLookup)); n != 0 {
		t.Errorf("looked the merge request up %d times; the run context names it", n)
	}
	want := fmt.Sprintf("https://gitlab.example.com/acme/shop/-/merge_requests/41#note_%d", notes[0].ID)
	if got := s.Handles().CommentURL; got != want {
		t.Errorf("note URL %q, want %q", got, want)
	}
	// The job is retried: a new run edits the same note.
	rerun := newSink(t, srv, "")
	send(t, rerun, evs[0])
	if notes := srv.MergeRequestNotes(mr); len(notes) != 1 || notes[0].Body != report.Comment(evs[0].Report) {
		t.Errorf("after a re-run: notes %+v, want the one note showing the re-run", notes)
	}
	if got := rerun.Handles().CommentURL; got != want {
		t.Errorf("the re-run's note URL %q, want %q", got, want)
	}
}

func TestFindsItsNoteAgain(t *testing.T) {
	t.Parallel()
	ours := func(srv *gitlabtest.Server, body string) int64 {
		return srv.AddNote(gitlabtest.Note{MergeRequest: mr, Body: body + "\n" + marker + "\n"})
	}
	tests := []struct {
		name string
		// seed returns the note the sink must end up editing (0: a new one).
		seed       func(srv *gitlabtest.Server) int64
		wantOthers int
	}{
		{name: "rerun_edits_the_previous_run's", seed: func(srv *gitlabtest.Server) int64 { return ours(srv, "first attempt") }},
		{name: "another_user's_marker_is_ignored", wantOthers: 1, seed: func(srv *gitlabtest.Server) int64 {
			srv.AddNote(gitlabtest.Note{MergeRequest: mr, Author: "mallory", Body: "click here " + marker})
			return 0
		}},
		{name: "system_note_is_ignored", wantOthers: 1, seed: func(srv *gitlabtest.Server) int64 {
			srv.AddNote(gitlabtest.Note{MergeRequest: mr, System: true, Body: "changed the description " + marker})
			return 0
		}},
		{name: "another_environment's_note_is_ignored", wantOthers: 1, seed: func(srv *gitlabtest.Server) int64 {
			srv.AddNote(gitlabtest.Note{MergeRequest: mr, Body: "staging " + report.CommentMarker("staging")})
			return 0
		}},
		{name: "duplicates_are_healed_newest_kept", seed: func(srv *gitlabtest.Server) int64 {
			ours(srv, "race a")
			ours(srv, "race b")
			return ours(srv, "race c")
		}},
		{name: "found_past_the_first_page", wantOthers: 150, seed: func(srv *gitlabtest.Server) int64 {
			for i := range 150 {
				srv.AddNote(gitlabtest.Note{MergeRequest: mr, Author: "octocat", Body: fmt.Sprint("lgtm ", i)})
			}
			return ours(srv, "earlier")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			srv.AddMergeRequest(mr, sinktest.SHA, "opened")
			want := tt.seed(srv)
			ev := onMR(sinktest.Events()[0])
			send(t, newSink(t, srv, ""), ev)
			var mine []gitlabtest.Note
			others := 0
			for _, n := range srv.MergeRequestNotes(mr) {
				if n.Author == gitlabtest.Bot && !n.System && strings.Contains(n.Body, marker) {
					mine = append(mine, n)
				} else {
					others++
				}
			}
			if len(mine) != 1 || mine[0].Body != report.Comment(ev.Report) {
				t.Fatalf("our notes %+v, want one with the report", mine)
			}
			if want != 0 && mine[0].ID != want {
				t.Errorf("edited note %d, want %d", mine[0].ID, want)
			}
			if created := len(srv.CallsTo(http.MethodPost, mrNotes)) == 1; created != (want == 0) {
				t.Errorf("created a note: %v, want %v", created, want == 0)
			}
			if others != tt.wantOthers {
				t.Errorf("%d notes of others left, want %d", others, tt.wantOthers)
			}
		})
	}
}

// A create that failed is looked for before it is tried again, whether GitLab made the
// note (the answer was lost) or not.
func TestRetriedCreateLeavesOneNote(t *testing.T) {
	t.Parallel()
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprintf("answer_lost_%v", lost), func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			srv.AddMergeRequest(mr, sinktest.SHA, "opened")
			fail := srv.FailNext
			if lost {
				fail = srv.FailAfterNext
			}
			fail(http.MethodPost, mrNotes, http.StatusBadGateway, nil, `{"message":"502 Bad Gateway"}`)
			s := newSink(t, srv, "")
			ev := onMR(sinktest.Events()[0])
			if retry, err := s.Send(t.Context(), ev); !retry || err == nil {
				t.Fatalf("after a 502: retry %v, err %v", retry, err)
			}
			send(t, s, ev)
			if n := len(srv.MergeRequestNotes(mr)); n != 1 {
				t.Errorf("%d notes, want 1", n)
			}
		})
	}
}

func TestWhereItNotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mode     string
		mrs      []gitlabtest.MergeRequest
		onMR     bool
		wantMR   int64
		wantURL  string
		wantLook bool
	}{
		{name: "branch_pipeline_finds_the_opened_merge_request", wantMR: 41, wantLook: true,
			mrs: []gitlabtest.MergeRequest{{IID: 40, SHA: sinktest.SHA, State: "merged"}, {IID: 41, SHA: sinktest.SHA, State: "opened"}}},
		{name: "branch_pipeline_finds_the_merged_merge_request", wantMR: 40, wantLook: true,
			mrs: []gitlabtest.MergeRequest{{IID: 39, SHA: sinktest.SHA, State: "closed"}, {IID: 40, SHA: sinktest.SHA, State: "merged"}}},
		{name: "no_merge_request_notes_the_commit", wantLook: true,
			wantURL: "https://gitlab.example.com/acme/shop/-/commit/" + sinktest.SHA + "#note_"},
		{name: "mode_commit_in_a_merge_request_pipeline", mode: gitlabnote.ModeCommit, onMR: true,
			mrs: []gitlabtest.MergeRequest{{IID: mr, SHA: sinktest.SHA, State: "opened"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			for _, m := range tt.mrs {
				srv.AddMergeRequest(m.IID, m.SHA, m.State)
			}
			on := onGitLab
			if tt.onMR {
				on = onMR
			}
			s := newSink(t, srv, tt.mode)
			final := on(sinktest.Finished())
			send(t, s, on(sinktest.Events()[0]), final)
			if tt.wantMR != 0 {
				if n := len(srv.MergeRequestNotes(tt.wantMR)); n != 1 {
					t.Errorf("merge request %d has %d notes, want 1", tt.wantMR, n)
				}
				return
			}
			// On the commit: a discussion, whose first note is edited (commit comments
			// themselves cannot be).
			notes := srv.CommitNotes(sinktest.SHA)
			if len(notes) != 1 || notes[0].Body != report.Comment(final.Report) {
				t.Fatalf("commit notes %+v, want one with the final report", notes)
			}
			wantCalls := []int{len(srv.CallsTo(http.MethodPost, commit)), len(srv.CallsTo(http.MethodPut, commit+"/"+notes[0].Discussion+"/notes/*"))}
			if diff := cmp.Diff([]int{1, 1}, wantCalls); diff != "" {
				t.Errorf("discussions created and edited (-want +got):\n%s", diff)
			}
			if looked := len(srv.CallsTo(http.MethodGet, mrLookup)) == 1; looked != tt.wantLook {
				t.Errorf("looked the merge request up: %v, want %v", looked, tt.wantLook)
			}
			if got := s.Handles().CommentURL; !strings.HasPrefix(got, tt.wantURL) || !strings.HasSuffix(got, strconv.FormatInt(notes[0].ID, 10)) {
				t.Errorf("note URL %q, want %s%d", got, tt.wantURL, notes[0].ID)
			}
		})
	}
}

// A note someone deleted during the run is made again.
func TestDeletedNoteIsMadeAgain(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	srv.AddMergeRequest(mr, sinktest.SHA, "opened")
	s := newSink(t, srv, "")
	evs := events(onMR)
	send(t, s, evs[0])
	gone := srv.MergeRequestNotes(mr)[0].ID
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, fmt.Sprintf("%s%s/%d", srv.URL, mrNotes, gone), nil)
	req.Header.Set("Private-Token", gitlabtest.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	send(t, s, evs[1])
	if notes := srv.MergeRequestNotes(mr); len(notes) != 1 || notes[0].ID == gone {
		t.Errorf("notes %+v, want one new", notes)
	}
}

// report.Comment keeps any run far under GitLab's limit: the fake never refuses one.
func TestHugeRunStaysUnderTheLimit(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	srv.AddMergeRequest(mr, sinktest.SHA, "opened")
	ev := onMR(sinktest.Finished())
	r := &ev.Report
	for i := range 3000 {
		name := fmt.Sprintf("check_%04d_%s", i, strings.Repeat("x", 60))
		r.Checks = append(r.Checks, model.CheckStatus{Spec: model.CheckSpec{Name: name, Kind: model.KindReadiness},
			Last: &model.Measurement{Check: name, Outcome: model.OutcomeFail, Message: strings.Repeat("boom ", 40)}, Runs: 9, Breaches: 9})
		r.Findings = append(r.Findings, model.Finding{Check: name, Type: model.FindingBreach, Severity: model.SeverityCritical,
			Active: true, Message: strings.Repeat("very bad ", 30)})
	}
	send(t, newSink(t, srv, ""), ev)
	notes := srv.MergeRequestNotes(mr)
	if len(notes) != 1 || len([]rune(notes[0].Body)) > gitlabtest.MaxNoteChars || !strings.Contains(notes[0].Body, marker) {
		t.Errorf("want one note within the limit, with its marker")
	}
}

// A CI_JOB_TOKEN may read merge request notes but not write them, nor touch commit
// discussions: the sink turns itself off saying what to set.
func TestJobTokenTurnsItOff(t *testing.T) {
	t.Parallel()
	const hint = "CI_JOB_TOKEN cannot %s; set gitlab_token to a project access token with the api scope"
	tests := []struct {
		name      string
		mrs       bool
		want      string
		wantCalls []string
	}{
		{name: "merge_request", mrs: true, want: fmt.Sprintf(hint, "create merge request notes"),
			wantCalls: []string{"GET " + mrLookup, "GET /api/v4/job", "GET " + mrNotes, "POST " + mrNotes}},
		{name: "commit", want: fmt.Sprintf(hint, "comment on commits"),
			wantCalls: []string{"GET " + mrLookup, "GET /api/v4/job", "GET " + commit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.Start(t)
			if tt.mrs {
				srv.AddMergeRequest(mr, sinktest.SHA, "opened")
			}
			s, err := gitlabnote.New(gitlabnote.Config{Client: newClient(t, srv.URL, nil, true)})
			if err != nil {
				t.Fatal(err)
			}
			retry, err := s.Send(t.Context(), onGitLab(sinktest.Events()[0]))
			var se *sink.Error
			if retry || !errors.As(err, &se) || !se.Disable || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("retry %v, err %v; want a disabling error saying %q", retry, err, tt.want)
			}
			var got []string
			for _, c := range srv.Calls() {
				got = append(got, c.Method+" "+c.Path)
			}
			if diff := cmp.Diff(tt.wantCalls, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// Mode pr without a merge request: one warning for the run, then silence.
func TestModePRWithoutMergeRequestWarnsOnce(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.Start(t)
	d := sink.New([]sink.Sink{newSink(t, srv, gitlabnote.ModePR)}, sink.Options{})
	evs := events(onGitLab)
	d.Announce(t.Context(), evs[0])
	for _, ev := range evs[1 : len(evs)-1] {
		d.Publish(ev)
	}
	warnings := d.Finish(t.Context(), evs[len(evs)-1])
	if len(warnings) != 1 || !strings.Contains(warnings[0], "gitlab note: turned off for the rest of this run") ||
		!strings.Contains(warnings[0], "there is no merge request for commit 3f9c2ab") {
		t.Errorf("warnings %q, want one", warnings)
	}
	if n := len(srv.CallsTo(http.MethodGet, mrLookup)); n != 1 {
		t.Errorf("looked the merge request up %d times, want once", n)
	}
}

func TestNewValidatesTheMode(t *testing.T) {
	t.Parallel()
	c := newClient(t, "https://gitlab.example.com", nil, false)
	for _, mode := range []string{"", "auto", "pr", "commit"} {
		if _, err := gitlabnote.New(gitlabnote.Config{Client: c, Mode: mode}); err != nil {
			t.Errorf("mode %q: %v", mode, err)
		}
	}
	if _, err := gitlabnote.New(gitlabnote.Config{Client: c, Mode: "off"}); err == nil {
		t.Error("mode off built a sink; the app should not build one")
	}
	if _, err := gitlabnote.New(gitlabnote.Config{Mode: "auto"}); err == nil {
		t.Error("no client accepted")
	}
}

// A 429 asks to wait its Retry-After, and the dispatcher waits exactly that long before
// trying again.
func TestRateLimitIsWaitedOut(t *testing.T) {
	t.Parallel()
	const wait = 7 * time.Second
	synctest.Test(t, func(t *testing.T) {
		srv := gitlabtest.New()
		srv.AddMergeRequest(mr, sinktest.SHA, "opened")
		srv.FailNext(http.MethodPost, mrNotes, http.StatusTooManyRequests, gitlabtest.RateLimitHeaders(wait, time.Now()), gitlabtest.RateLimitBody)
		s, err := gitlabnote.New(gitlabnote.Config{Client: newClient(t, "http://gitlab.test", srv.Transport(), false)})
		if err != nil {
			t.Fatal(err)
		}
		d := sink.New([]sink.Sink{s}, sink.Options{})
		d.Announce(t.Context(), onMR(sinktest.Events()[0]))
		warnings := d.Finish(t.Context(), onMR(sinktest.Finished()))
		posts := srv.CallsTo(http.MethodPost, mrNotes)
		var got []int
		for _, p := range posts {
			got = append(got, p.Status)
		}
		if diff := cmp.Diff([]int{429, 201}, got); diff != "" {
			t.Fatalf("creations (-want +got):\n%s", diff)
		}
		if gap := posts[1].At.Sub(posts[0].At); gap != wait {
			t.Errorf("retried after %s, want %s", gap, wait)
		}
		if len(warnings) != 0 || len(srv.MergeRequestNotes(mr)) != 1 {
			t.Errorf("warnings %q, %d notes; want none and one", warnings, len(srv.MergeRequestNotes(mr)))
		}
	})
}
