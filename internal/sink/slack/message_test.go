package slack

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

func finishedWith(v model.Verdict) sink.Event {
	ev := sinktest.Finished()
	ev.Report.Verdict = v
	return ev
}

func TestColourAndIconFollowSeverityAndVerdict(t *testing.T) {
	t.Parallel()
	evs := events()
	notRecovered := evs["rolled_back"]
	rb := *notRecovered.Report.Rollback
	rb.Recovered = false
	notRecovered.Report.Rollback = &rb
	tests := []struct {
		name  string
		ev    sink.Event
		color string
		icon  string
	}{
		{"started", evs["started"], colorInfo, "🚀"},
		{"progress", evs["progress"], colorInfo, "⏱️"},
		{"info_finding", evs["info_finding"], colorInfo, "ℹ️"},
		{"warning_finding", evs["warning_finding"], colorWarning, "⚠️"},
		{"critical_finding", evs["critical_finding"], colorCritical, "🔴"},
		{"emergency_finding", evs["emergency_finding"], colorEmergency, "🚨"},
		{"probe_error_is_a_warning", evs["probe_error"], colorWarning, "⚠️"},
		{"all_clear", evs["critical_cleared"], colorGood, "✅"},
		{"rolled_back_and_recovered", evs["rolled_back"], colorWarning, "↩️"},
		{"rolled_back_not_recovered", notRecovered, colorCritical, "↩️"},
		{"healthy", finishedWith(model.VerdictHealthy), colorGood, "✅"},
		{"degraded", finishedWith(model.VerdictDegraded), colorWarning, "⚠️"},
		{"failed", finishedWith(model.VerdictFailed), colorCritical, "❌"},
		{"inconclusive", finishedWith(model.VerdictInconclusive), colorNeutral, "❔"},
		{"cancelled", finishedWith(model.VerdictCancelled), colorNeutral, "⏹️"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := buildMessage(tt.ev)
			if err := checkLimits(m); err != nil {
				t.Fatal(err)
			}
			a := m.Attachments[0]
			if a.Color != tt.color {
				t.Errorf("colour %s, want %s", a.Color, tt.color)
			}
			head := a.Blocks[0].Text.Text
			if !strings.HasPrefix(head, tt.icon+" Deploy of 3f9c2ab to production: ") {
				t.Errorf("header %q, want it to start with %s and name the deploy", head, tt.icon)
			}
			if !strings.HasPrefix(m.Text, tt.icon+" ") {
				t.Errorf("fallback text %q does not start with %s", m.Text, tt.icon)
			}
		})
	}
}

// A failed run's final message leads with the finding that failed it; the notification
// text is the run's summary line.
func TestFailedRunLeadsWithTheKeyFinding(t *testing.T) {
	t.Parallel()
	ev := sinktest.Finished()
	m := buildMessage(ev)
	body := m.Attachments[0].Blocks[1].Text.Text
	want := "*Key finding* · 🔴 *Critical* · error_rate: error rate 4.2% over the 1% limit\nObserved *4.2%* · expected &lt; 1% · baseline 0.1%"
	if !strings.HasPrefix(body, want) {
		t.Errorf("section starts %q, want %q", body, want)
	}
	if !strings.Contains(body, "• ⚠️ warning p99_latency: p99 latency 410ms over 2x the baseline (cleared)") {
		t.Errorf("section does not list the cleared warning:\n%s", body)
	}
	if summary := esc(report.SummaryLine(ev.Report)); !strings.HasSuffix(m.Text, " — "+summary) {
		t.Errorf("text %q does not end with the summary line %q", m.Text, summary)
	}
}

// Outside text cannot mention the channel, open a link or inject formatting that
// reaches outside itself; only http(s) links become links.
func TestHostileTextIsEscaped(t *testing.T) {
	t.Parallel()
	const check = "<!channel> *bold* <https://evil|click>"
	ev := sinktest.Finished()
	r := &ev.Report
	r.Environment = "prod <!here>"
	r.CommentURL = "https://github.com/acme/shop/pull/41#issuecomment-1"
	r.Links = []model.Link{
		{Label: "click me", URL: "javascript:alert(document.cookie)"},
		{Label: "Dash <b>|x", URL: "https://grafana.example.com/d/abc?from=1&to=2"},
		{Label: "spaced", URL: "https://example.com/a b"},
	}
	r.Findings[1].Check = check
	r.Findings[1].Message = "errors & timeouts > 5% <b>"
	finding := sinktest.Events()[4]
	finding.Report = *r
	finding.Finding = &r.Findings[1]
	for _, ev := range []sink.Event{ev, finding} {
		t.Run(string(ev.Kind), func(t *testing.T) {
			t.Parallel()
			m := buildMessage(ev)
			all := strings.Join(texts(m), "\n")
			for _, bad := range []string{"<!channel>", "<!here>", "<https://evil", "javascript:", "<b>"} {
				if strings.Contains(all, bad) {
					t.Errorf("the message holds %q:\n%s", bad, all)
				}
			}
			for _, good := range []string{"&lt;!channel&gt; *bold* &lt;https://evil|click&gt;", "errors &amp; timeouts &gt; 5% &lt;b&gt;", "prod &lt;!here&gt;", "to prod ‹!here›: "} {
				if !strings.Contains(all, good) {
					t.Errorf("the message lacks %q:\n%s", good, all)
				}
			}
			want := []string{
				fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|2026-11-21 10:00 UTC>", sinktest.Start.Unix()),
				"<https://github.com/acme/shop/actions/runs/123456789|Run>",
				"<https://github.com/acme/shop/pull/41#issuecomment-1|Comment>",
				"<https://grafana.example.com/d/abc?from=1&amp;to=2|Dash &lt;b&gt;¦x>",
			}
			if diff := cmp.Diff(want, constructs(m)); diff != "" {
				t.Errorf("links, mentions and dates (-want +got):\n%s", diff)
			}
		})
	}
}

var entity = regexp.MustCompile(`&(amp|lt|gt);`)

// Oversized text is cut to Slack's limits, and the fake refuses anything over them.
func TestLimitsAreRespected(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x&y ", 2500) // 10,000 characters, escapes everywhere
	many := sinktest.Finished()
	for i := range 300 {
		f := many.Report.Findings[0]
		f.Check, f.Message = fmt.Sprintf("check_%d", i), long
		many.Report.Findings = append(many.Report.Findings, f)
	}
	for i := range 40 {
		many.Report.Links = append(many.Report.Links, model.Link{Label: long, URL: "https://example.com/" + strings.Repeat("p", 1500) + fmt.Sprint(i)})
	}
	longFinding := sinktest.Events()[4]
	f := *longFinding.Finding
	f.Message, f.Value, f.Expected = long, long, long
	longFinding.Finding = &f
	everywhere := sinktest.Events()[4]
	everywhere.Report.Environment, everywhere.Report.Run.Repository, everywhere.Report.ExpectedVersion = long, long, long
	g := *everywhere.Finding
	g.Check = long
	everywhere.Finding = &g
	tests := []struct {
		name string
		ev   sink.Event
	}{
		{"long_message", longFinding},
		{"long_names_everywhere", everywhere},
		{"hundreds_of_findings_and_links", many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := sinktest.NewServer(t, slackAPI(t))
			s, err := New(Config{WebhookURL: srv.URL + hookPath, NotifyOn: model.SeverityInfo})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Send(t.Context(), tt.ev); err != nil {
				t.Fatalf("the message was refused: %v", err)
			}
			m := decode(t, srv.Requests()[0].Body)
			cutSome := false
			for _, s := range texts(m) {
				cutSome = cutSome || strings.HasSuffix(s, "…")
			}
			for _, s := range mrkdwnTexts(m) {
				if n := strings.Count(s, "&"); n != len(entity.FindAllString(s, -1)) {
					t.Errorf("a cut split an escape: %q", s[max(len(s)-40, 0):])
				}
			}
			if !cutSome {
				t.Error("nothing was cut with …")
			}
		})
	}
}

func TestFitCutsEveryPart(t *testing.T) {
	t.Parallel()
	var fs, elems []*text
	for i := range 12 {
		fs = append(fs, md(fmt.Sprintf("*F%d*\n%s", i, strings.Repeat("v", 2500))))
		elems = append(elems, md(fmt.Sprint("e", i)))
	}
	blocks := []block{header(strings.Repeat("h", 200)), fieldsSection(fs)}
	for i := range 57 {
		blocks = append(blocks, section(fmt.Sprint("s", i, strings.Repeat("z", 4000))))
	}
	blocks = append(blocks, contextBlock(elems...))
	m := fit(message{Text: strings.Repeat("t", 5000), Attachments: []attachment{{Color: colorInfo, Blocks: blocks}}})
	if err := checkLimits(m); err != nil {
		t.Fatal(err)
	}
	b := m.Attachments[0].Blocks
	got := []any{len(b), b[len(b)-1].Type, b[len(b)-2].Text.Text, len(b[1].Fields), len(b[len(b)-1].Elements),
		utf8.RuneCountInString(b[0].Text.Text), utf8.RuneCountInString(b[2].Text.Text), strings.HasSuffix(b[2].Text.Text, "zz…")}
	want := []any{50, "context", "…", 10, 10, 150, 3000, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blocks, last type, cut marker, fields, elements, section end (-want +got):\n%s", diff)
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short_text_is_kept", "hello", 5, "hello"},
		{"long_text_ends_with_an_ellipsis", "hello world", 6, "hello…"},
		{"never_half_an_escape", "a &amp; b", 4, "a…"},
		{"never_half_a_link", "x <https://a|b> y", 6, "x…"},
		{"whole_link_kept", "<https://a|b> tail", 15, "<https://a|b>…"},
		{"counts_characters_not_bytes", "éééé", 3, "éé…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cut(tt.in, tt.max); got != tt.want {
				t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

// A run that tells almost nothing (mode finish with no start) still makes messages Slack
// accepts: every section has text, no field or link is empty.
func TestEmptyReportMakesValidMessages(t *testing.T) {
	t.Parallel()
	f := &model.Finding{}
	for _, kind := range []sink.Kind{sink.KindStarted, sink.KindProgress, sink.KindFinding, sink.KindCleared, sink.KindRolledBack, sink.KindFinished} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			m := buildMessage(sink.Event{Kind: kind, Finding: f})
			if err := checkLimits(m); err != nil {
				t.Errorf("%v: %+v", err, m)
			}
			if got := m.Attachments[0].Blocks[0].Text.Text; !strings.Contains(got, "Deploy: ") {
				t.Errorf("header %q", got)
			}
		})
	}
}
