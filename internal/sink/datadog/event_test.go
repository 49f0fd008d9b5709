package datadog

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

func finishedWith(v model.Verdict) sink.Event {
	ev := sinktest.Finished()
	ev.Report.Verdict = v
	return ev
}

func TestAlertTypePriorityAndTags(t *testing.T) {
	t.Parallel()
	evs := events()
	notRecovered := evs["rolled_back"]
	rb := *notRecovered.Report.Rollback
	rb.Recovered = false
	notRecovered.Report.Rollback = &rb
	base := []string{"deployment", "deploywatch", "env:production", "repository:acme/shop", "version:3f9c2ab"}
	with := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }
	tests := []struct {
		name      string
		ev        sink.Event
		alertType string
		priority  string
		tags      []string
	}{
		{"started", evs["started"], "info", "normal", base},
		{"progress", evs["progress"], "info", "low", base},
		{"info_finding", evs["info_finding"], "info", "normal", with("severity:info")},
		{"warning_finding", evs["warning_finding"], "warning", "normal", with("severity:warning")},
		{"critical_finding", evs["critical_finding"], "error", "normal", with("severity:critical")},
		{"emergency_finding", evs["emergency_finding"], "error", "normal", with("severity:emergency")},
		{"probe_error_is_a_warning", evs["probe_error"], "warning", "normal", with("severity:warning")},
		{"all_clear", evs["critical_cleared"], "success", "normal", with("severity:critical")},
		{"rolled_back_and_recovered", evs["rolled_back"], "warning", "normal", base},
		{"rolled_back_not_recovered", notRecovered, "error", "normal", base},
		{"healthy", finishedWith(model.VerdictHealthy), "success", "normal", with("verdict:healthy")},
		{"degraded", finishedWith(model.VerdictDegraded), "warning", "normal", with("verdict:degraded")},
		{"failed", finishedWith(model.VerdictFailed), "error", "normal", with("verdict:failed")},
		{"inconclusive", finishedWith(model.VerdictInconclusive), "error", "normal", with("verdict:inconclusive")},
		{"cancelled", finishedWith(model.VerdictCancelled), "info", "normal", with("verdict:cancelled")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := buildEvent(tt.ev)
			if err := checkEvent(e); err != nil {
				t.Fatal(err)
			}
			got := []any{e.AlertType, e.Priority, e.Tags, e.DateHappened, e.SourceTypeName}
			want := []any{tt.alertType, tt.priority, tt.tags, tt.ev.At.Unix(), "deploywatch"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("alert_type, priority, tags, date_happened, source_type_name (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTagValuesAreSanitised(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, value, want string
	}{
		{"lowercased", "repository", "Acme/Shop", "repository:acme/shop"},
		{"spaces_and_symbols_become_one_underscore", "env", "Prod EU (blue) #2", "env:prod_eu_blue_2"},
		{"kept_punctuation", "version", "v1.2.3-rc.1+build", "version:v1.2.3-rc.1_build"},
		{"non_ascii", "env", "prüfung", "env:pr_fung"},
		{"nothing_left_is_no_tag", "env", " !! ", ""},
		{"no_trailing_colon", "env", "staging:", "env:staging"},
		{"capped_at_200", "env", strings.Repeat("a", 300), "env:" + strings.Repeat("a", 196)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tag(tt.key, tt.value); got != tt.want {
				t.Errorf("tag(%q, %q) = %q, want %q", tt.key, tt.value, got, tt.want)
			}
		})
	}
}

// Every event of a run carries the same aggregation key; another run gets another.
func TestAggregationKeyGroupsARun(t *testing.T) {
	t.Parallel()
	keys := map[string]bool{}
	for _, ev := range sinktest.Events() {
		keys[buildEvent(ev).AggregationKey] = true
	}
	if len(keys) != 1 {
		t.Fatalf("one run has %d aggregation keys: %v", len(keys), keys)
	}
	r := sinktest.Report()
	key := aggregationKey(r)
	other := func(change func(*model.Report)) string {
		o := sinktest.Report()
		change(&o)
		return aggregationKey(o)
	}
	for name, k := range map[string]string{
		"later_start":       other(func(o *model.Report) { o.StartedAt = o.StartedAt.Add(time.Hour) }),
		"other_environment": other(func(o *model.Report) { o.Environment = "staging" }),
		"other_repository":  other(func(o *model.Report) { o.Run.Repository = "acme/cart" }),
	} {
		if k == key {
			t.Errorf("%s: same aggregation key %s", name, k)
		}
	}
	if !keys[key] || len(key) > 100 {
		t.Errorf("key %q: not the run's, or over 100 characters", key)
	}
}

// mdLink finds the targets of Markdown links: "](" not escaped by a backslash.
var mdLink = regexp.MustCompile(`(?:^|[^\\])\]\(([^)]*)\)`)

// Outside text cannot add links, HTML, @-notifications or end the Markdown block; only
// http(s) links become links.
func TestHostileTextIsEscaped(t *testing.T) {
	t.Parallel()
	ev := sinktest.Finished()
	r := &ev.Report
	r.CommentURL = "https://github.com/acme/shop/pull/41#issuecomment-1"
	r.Links = []model.Link{
		{Label: "click me", URL: "javascript:alert(document.cookie)"},
		{Label: "Dash [x](https://evil)", URL: "https://grafana.example.com/d/(abc)?from=1&to=2"},
	}
	r.Findings[1].Check = "<!channel> *bold* <https://evil|click>"
	r.Findings[1].Message = "errors & timeouts @oncall-team\n%%%\n<script>x</script>"
	finding := sinktest.Events()[4]
	finding.Report = *r
	finding.Finding = &r.Findings[1]
	for _, ev := range []sink.Event{ev, finding} {
		t.Run(string(ev.Kind), func(t *testing.T) {
			t.Parallel()
			e := buildEvent(ev)
			if err := checkEvent(e); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"<script>", "<!channel>", "@oncall", "javascript:"} {
				if strings.Contains(e.Text, bad) || strings.Contains(e.Title, bad) {
					t.Errorf("the event holds %q:\n%s\n%s", bad, e.Title, e.Text)
				}
			}
			if want := `\<!channel\> \*bold\* \<https://evil\|click\>`; !strings.Contains(e.Text, want) {
				t.Errorf("the check name is not escaped as %q:\n%s", want, e.Text)
			}
			var got []string
			for _, m := range mdLink.FindAllStringSubmatch(e.Text, -1) {
				got = append(got, m[1])
			}
			want := []string{
				"https://github.com/acme/shop/actions/runs/123456789",
				"https://github.com/acme/shop/pull/41#issuecomment-1",
				"https://grafana.example.com/d/%28abc%29?from=1&to=2",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("link targets (-want +got):\n%s", diff)
			}
		})
	}
}

// Oversized text is cut to the API's limits, and the fake refuses anything over them.
func TestLimitsAreRespected(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x\\y ", 2500) // 10,000 characters, each backslash escaped
	longFinding := sinktest.Events()[4]
	f := *longFinding.Finding
	f.Message, f.Value, f.Expected, f.Baseline = long, long, long, long
	longFinding.Finding = &f
	everywhere := sinktest.Events()[4]
	everywhere.Report.Environment, everywhere.Report.Run.Repository, everywhere.Report.ExpectedVersion = long, long, long
	g := *everywhere.Finding
	g.Check, g.Message = long, long
	everywhere.Finding = &g
	many := sinktest.Finished()
	many.Report.Reason = long
	for i := range 300 {
		f := many.Report.Findings[0]
		f.Check, f.Message = fmt.Sprintf("check_%d", i), long
		many.Report.Findings = append(many.Report.Findings, f)
	}
	for i := range 40 {
		many.Report.Links = append(many.Report.Links, model.Link{Label: long, URL: fmt.Sprintf("https://example.com/%s/%d", strings.Repeat("p", 1500), i)})
	}
	many.Report.Rollback.Message = long
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
			srv := sinktest.NewServer(t, datadogAPI(t))
			if _, err := newSink(t, srv.URL).Send(t.Context(), tt.ev); err != nil {
				t.Fatalf("the event was refused: %v", err)
			}
			e := decode(t, srv.Requests()[0].Body)
			if !strings.Contains(e.Text, "…") {
				t.Error("the text was not cut")
			}
			if n := utf8.RuneCountInString(e.Text); n > maxTextRunes {
				t.Errorf("text has %d characters", n)
			}
			if strings.Contains(e.Text, `\…`) {
				t.Error("a cut left a backslash escaping the …")
			}
		})
	}
}

// A run that tells almost nothing (mode finish with no start) still makes valid events.
func TestEmptyReportMakesValidEvents(t *testing.T) {
	t.Parallel()
	f := &model.Finding{}
	for _, kind := range []sink.Kind{sink.KindStarted, sink.KindProgress, sink.KindFinding, sink.KindCleared, sink.KindRolledBack, sink.KindFinished} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			e := buildEvent(sink.Event{Kind: kind, At: sinktest.Start, Finding: f})
			if err := checkEvent(e); err != nil {
				t.Errorf("%v: %+v", err, e)
			}
			if !strings.HasPrefix(e.Title, "Deploy: ") {
				t.Errorf("title %q", e.Title)
			}
		})
	}
}
