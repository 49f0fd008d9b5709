package grafana

import (
	"encoding/base64"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	token = "glsa_T0kenValue9xYz_abc123"
	uid   = "deploys-prod"
)

// ms is a fixture time in the API's Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func newSink(t *testing.T, base string) *Sink {
	t.Helper()
	s, err := New(Config{URL: base, Token: token, DashboardUID: uid})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newAPI starts a fake Grafana accepting the test token and returns it with its server.
func newAPI(t *testing.T) (*fakeGrafana, *sinktest.Server) {
	t.Helper()
	f := newFakeGrafana("", "Bearer "+token)
	return f, sinktest.NewServer(t, f)
}

// calls lists the requests as "METHOD path", without the query.
func calls(srv *sinktest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		p, _, _ := strings.Cut(r.Path, "?")
		out = append(out, r.Method+" "+p)
	}
	return out
}

func send(t *testing.T, s sink.Sink, evs ...sink.Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := s.Send(t.Context(), ev); err != nil {
			t.Fatalf("%s event: %v", ev.Kind, err)
		}
	}
}

func event(kind sink.Kind) sink.Event {
	for _, ev := range sinktest.Events() {
		if ev.Kind == kind {
			return ev
		}
	}
	panic("no " + string(kind) + " event in the fixture")
}

// The golden file is regenerated with: go test ./internal/sink/grafana -update
func TestConformance(t *testing.T) {
	sinktest.Run(t, sinktest.Case{
		New:     func(t *testing.T, base string) sink.Sink { return newSink(t, base) },
		API:     newFakeGrafana("", "Bearer "+token),
		Golden:  "testdata/events.golden",
		Update:  *update,
		Headers: []string{"Authorization", "Content-Type"},
		Secrets: []string{token},
	})
}

func TestRegionFromStartToFinish(t *testing.T) {
	t.Parallel()
	f, srv := newAPI(t)
	s := newSink(t, srv.URL)
	send(t, s, event(sink.KindStarted), event(sink.KindFinished))

	want := []string{"POST /api/annotations", "PATCH /api/annotations/1"}
	if diff := cmp.Diff(want, calls(srv)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	got := f.annotations()
	if len(got) != 1 {
		t.Fatalf("%d annotations, want the one region: %+v", len(got), got)
	}
	a := got[0]
	final := sinktest.Report()
	if a.ID != 1 || a.Time != ms(sinktest.Start) || a.TimeEnd != ms(final.FinishedAt) || a.DashboardUID != uid {
		t.Errorf("region = id %d, %d..%d on %q; want id 1, %d..%d on %q", a.ID, a.Time, a.TimeEnd, a.DashboardUID, ms(sinktest.Start), ms(final.FinishedAt), uid)
	}
	wantTags := []string{"deployment", "deploywatch", "production", "3f9c2ab", "verdict:failed"}
	if diff := cmp.Diff(wantTags, a.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	for _, part := range []string{"Deploy 3f9c2ab to production", "failed: critical error_rate", "Rollback: deployment/shop rolled back", `<a href="https://github.com/acme/shop/actions/runs/123456789">run</a>`} {
		if !strings.Contains(a.Text, part) {
			t.Errorf("final text %q lacks %q", a.Text, part)
		}
	}
}

// A start whose answer was lost (the proxy answered 502 after Grafana stored it) is found
// on the retry rather than drawn twice, and the end closes that one region.
func TestRetriedStartFindsTheAnnotation(t *testing.T) {
	t.Parallel()
	f, srv := newAPI(t)
	s := newSink(t, srv.URL)
	f.loseAnswers(1)
	retry, err := s.Send(t.Context(), event(sink.KindStarted))
	if err == nil || !retry {
		t.Fatalf("after a lost answer: retry %v, err %v; want a retryable error", retry, err)
	}
	send(t, s, event(sink.KindStarted), event(sink.KindFinished))

	want := []string{"POST /api/annotations", "GET /api/annotations", "PATCH /api/annotations/1"}
	if diff := cmp.Diff(want, calls(srv)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if got := f.annotations(); len(got) != 1 || got[0].TimeEnd == 0 {
		t.Errorf("annotations = %+v, want one closed region", got)
	}
	q, _ := url.ParseQuery(strings.SplitN(srv.Requests()[1].Path, "?", 2)[1])
	wantQuery := url.Values{
		"tags": {"deployment", "deploywatch", "production"}, "dashboardUID": {uid}, "limit": {"20"},
		"from": {"1795255199000"}, "to": {"1795255201000"},
	}
	if diff := cmp.Diff(wantQuery, q); diff != "" {
		t.Errorf("lookup query (-want +got):\n%s", diff)
	}
}

// Mode monitor resumes the deploy `deploywatch start` announced: a fresh sink finds its
// region (given started_at in whole seconds) and closes it, and leaves other deploys'
// regions alone.
func TestMonitorModeClosesTheStartsRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// startedAt is when `start` drew the region; monitor is given whole seconds.
		startedAt time.Time
		// others are regions of other deploys around the same time.
		others func(r *model.Report)
		wantID int64
	}{
		{name: "same_start", startedAt: sinktest.Start, wantID: 1},
		{name: "started_at_in_whole_seconds", startedAt: sinktest.Start.Add(345 * time.Millisecond), wantID: 1},
		{name: "ignores_another_environment", startedAt: sinktest.Start, wantID: 2,
			others: func(r *model.Report) { r.Environment = "staging" }},
		{name: "ignores_another_version_in_the_same_second", startedAt: sinktest.Start.Add(345 * time.Millisecond), wantID: 2,
			others: func(r *model.Report) {
				r.ExpectedVersion = "v9.9.9"
				r.StartedAt = r.StartedAt.Add(-100 * time.Millisecond)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newAPI(t)
			start := event(sink.KindStarted)
			start.Report.StartedAt, start.At = tt.startedAt, tt.startedAt
			if tt.others != nil {
				other := event(sink.KindStarted)
				other.Report.StartedAt = tt.startedAt
				tt.others(&other.Report)
				send(t, newSink(t, srv.URL), other)
			}
			send(t, newSink(t, srv.URL), start)
			before := len(srv.Requests())

			resumed := event(sink.KindStarted)
			resumed.Kind = sink.KindResumed
			resumed.Report.StartedAt = tt.startedAt.Truncate(time.Second)
			final := event(sink.KindFinished)
			final.Report.StartedAt = resumed.Report.StartedAt
			send(t, newSink(t, srv.URL), resumed, final)

			got := calls(srv)[before:]
			want := []string{"GET /api/annotations", "PATCH /api/annotations/" + strconv.FormatInt(tt.wantID, 10)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("monitor's requests (-want +got):\n%s", diff)
			}
			for _, a := range f.annotations() {
				if closed := a.TimeEnd != 0; closed != (a.ID == tt.wantID) {
					t.Errorf("annotation %d (%v) closed %v", a.ID, a.Tags, closed)
				}
			}
		})
	}
}

// Mode finish sends only the end: with no region to find, it draws the whole region.
func TestFinishModeCreatesAWholeRegion(t *testing.T) {
	t.Parallel()
	f, srv := newAPI(t)
	send(t, newSink(t, srv.URL), event(sink.KindFinished))
	if diff := cmp.Diff([]string{"GET /api/annotations", "POST /api/annotations"}, calls(srv)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	got := f.annotations()
	if len(got) != 1 || got[0].Time != ms(sinktest.Start) || got[0].TimeEnd != ms(sinktest.Report().FinishedAt) ||
		!slices.Contains(got[0].Tags, "verdict:failed") {
		t.Errorf("annotations = %+v, want one region from start to finish tagged verdict:failed", got)
	}
}

// A region deleted in Grafana during the run is drawn again at the end, rather than the
// 404 turning the sink off.
func TestDeletedRegionIsDrawnAgain(t *testing.T) {
	t.Parallel()
	f, srv := newAPI(t)
	s := newSink(t, srv.URL)
	send(t, s, event(sink.KindStarted))
	f.mu.Lock()
	f.store[0].ID = 99
	f.mu.Unlock()
	send(t, s, event(sink.KindFinished))
	want := []string{"POST /api/annotations", "PATCH /api/annotations/1", "POST /api/annotations"}
	if diff := cmp.Diff(want, calls(srv)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// Which events draw what, with notify_on at critical.
func TestPointAnnotations(t *testing.T) {
	t.Parallel()
	evs := sinktest.Events()
	tests := []struct {
		name     string
		ev       sink.Event
		wantTags []string // nil: nothing sent
	}{
		{name: "progress", ev: evs[1]},
		{name: "warning_below_notify_on", ev: evs[2]},
		{name: "warning_cleared_below_notify_on", ev: evs[3]},
		{name: "critical_finding", ev: evs[4], wantTags: []string{"deploywatch", "production", "finding", "critical"}},
		{name: "rollback", ev: evs[5], wantTags: []string{"deploywatch", "production", "rollback", "critical"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newAPI(t)
			s, err := New(Config{URL: srv.URL, Token: token, NotifyOn: model.SeverityCritical})
			if err != nil {
				t.Fatal(err)
			}
			send(t, s, tt.ev)
			got := f.annotations()
			if tt.wantTags == nil {
				if len(srv.Requests()) != 0 {
					t.Errorf("sent %v, want nothing", calls(srv))
				}
				return
			}
			if len(got) != 1 || got[0].Time != ms(tt.ev.At) || got[0].TimeEnd != 0 || got[0].DashboardUID != "" {
				t.Fatalf("annotations = %+v, want one point at %d with no dashboard", got, ms(tt.ev.At))
			}
			if diff := cmp.Diff(tt.wantTags, got[0].Tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

// A finding whose answer was lost is found on the retry, not drawn twice.
func TestRetriedPointIsNotDrawnTwice(t *testing.T) {
	t.Parallel()
	f, srv := newAPI(t)
	s := newSink(t, srv.URL)
	f.loseAnswers(1)
	if retry, err := s.Send(t.Context(), event(sink.KindRolledBack)); err == nil || !retry {
		t.Fatalf("after a lost answer: retry %v, err %v", retry, err)
	}
	send(t, s, event(sink.KindRolledBack))
	if diff := cmp.Diff([]string{"POST /api/annotations", "GET /api/annotations"}, calls(srv)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if n := len(f.annotations()); n != 1 {
		t.Errorf("%d annotations, want 1", n)
	}
}

// user:password in the URL becomes basic authentication and shows nowhere.
func TestBasicAuthFromUserinfo(t *testing.T) {
	t.Parallel()
	const user, pass = "admin", "Pa55-w0rd!secret"
	f := newFakeGrafana("", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	srv := sinktest.NewServer(t, f)
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword(user, pass)
	s, err := New(Config{URL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	send(t, s, event(sink.KindStarted))
	if n := len(f.annotations()); n != 1 {
		t.Fatalf("%d annotations, want 1", n)
	}

	// Refused credentials: the sink turns off, and the error shows no password.
	wrong := *u
	wrong.User = url.UserPassword(user, "Wr0ng-"+pass)
	s, err = New(Config{URL: wrong.String()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(t.Context(), event(sink.KindFinished))
	var se *sink.Error
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || !se.Disable {
		t.Fatalf("after a 401: %v, want an error that disables the sink", err)
	}
	if strings.Contains(err.Error(), pass) || strings.Contains(err.Error(), user+":") {
		t.Errorf("the error %q shows the credentials", err)
	}
	if _, err := New(Config{URL: u.String(), Token: token}); err == nil || strings.Contains(err.Error(), pass) {
		t.Errorf("New with both credentials: %v, want an error without the password", err)
	}
}

// Grafana served under a sub-path is called there.
func TestSubPath(t *testing.T) {
	t.Parallel()
	f := newFakeGrafana("/grafana", "Bearer "+token)
	srv := sinktest.NewServer(t, f)
	send(t, newSink(t, srv.URL+"/grafana/"), event(sink.KindStarted), event(sink.KindFinished))
	want := []string{"POST /grafana/api/annotations", "PATCH /grafana/api/annotations/1"}
	if diff := cmp.Diff(want, calls(srv)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// Grafana renders annotation text as HTML: outside text is escaped, and links are
// http(s) only.
func TestHostileTextIsEscaped(t *testing.T) {
	t.Parallel()
	f, srv := newAPI(t)
	hostile := func(ev sink.Event) sink.Event {
		r := &ev.Report
		r.Description = `<script>alert("d")</script>`
		r.Run.RunURL = "javascript:alert(1)"
		r.CommentURL = `https://example.com/x"><img src=x onerror=alert(2)>`
		r.Links = []model.Link{{Label: `<b onmouseover=alert(3)>dash</b>`, URL: "https://grafana.example.com/d/x"}}
		r.Reason = "<iframe src=//evil>"
		if ev.Finding != nil {
			fd := *ev.Finding
			fd.Check, fd.Message, fd.Value = "<img src=x>", "<svg onload=alert(4)>\nforged line", `"><a href=//evil>`
			ev.Finding = &fd
		}
		return ev
	}
	send(t, newSink(t, srv.URL), hostile(event(sink.KindStarted)), hostile(event(sink.KindFinding)), hostile(event(sink.KindFinished)))
	anns := f.annotations()
	if len(anns) != 2 {
		t.Fatalf("%d annotations, want 2", len(anns))
	}
	for _, a := range anns {
		for _, bad := range []string{"<script", "<img", "<iframe", "<svg", "<b onmouseover", `"><`, "javascript:", "\n"} {
			if strings.Contains(a.Text, bad) {
				t.Errorf("annotation %d text holds %q: %s", a.ID, bad, a.Text)
			}
		}
		if !strings.Contains(a.Text, "&lt;") {
			t.Errorf("annotation %d text shows no escaped markup: %s", a.ID, a.Text)
		}
	}
	if !strings.Contains(anns[0].Text, `<a href="https://grafana.example.com/d/x">&lt;b onmouseover=alert(3)&gt;dash&lt;/b&gt;</a>`) {
		t.Errorf("the dashboard link is missing or unescaped: %s", anns[0].Text)
	}
}

func TestDashboardLink(t *testing.T) {
	t.Parallel()
	from, to := sinktest.Start, sinktest.Start.Add(96*time.Second)
	tests := []struct {
		name, url, uid string
		to             time.Time
		want           string // "": no link
	}{
		{name: "finished", url: "https://grafana.example.com", uid: "abc", to: to,
			want: "https://grafana.example.com/d/abc?from=1795254300000&to=1795256196000"},
		{name: "in_progress", url: "https://grafana.example.com/", uid: "abc",
			want: "https://grafana.example.com/d/abc?from=1795254300000&to=now"},
		{name: "sub_path_without_userinfo", url: "https://admin:s3cret@example.com/grafana/", uid: "a b/c", to: to,
			want: "https://example.com/grafana/d/a%20b%2Fc?from=1795254300000&to=1795256196000"},
		{name: "no_dashboard", url: "https://grafana.example.com", uid: ""},
		{name: "bad_url", url: "grafana.example.com", uid: "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, ok := DashboardLink(tt.url, tt.uid, from, tt.to)
			if ok != (tt.want != "") || l.URL != tt.want {
				t.Errorf("DashboardLink = %+v, %v; want %q", l, ok, tt.want)
			}
			if ok && l.Label == "" {
				t.Error("the link has no label")
			}
		})
	}
}

func TestNewRejectsABadConfig(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "ftp://grafana.example.com", "grafana.example.com", "https://", "https://g.example.com/?orgId=1"} {
		if _, err := New(Config{URL: u, Token: token}); err == nil {
			t.Errorf("New(%q) accepted it", u)
		}
	}
}
