package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// hugeReport is a failed run with a 5,000-entry timeline, hundreds of checks and findings
// and values far larger than any summary can hold.
func hugeReport() model.Report {
	r := failedReport()
	huge := strings.Repeat("<b>|@team `x` é</b> ", 5000)
	r.Reason, r.Description, r.Environment = huge, huge, huge
	r.Warnings = []string{huge, huge}
	r.Timeline = nil
	for i := range 5000 {
		d := time.Duration(i) * time.Second
		r.Timeline = append(r.Timeline, entry(d, model.EventCheckpoint, model.PhaseMonitor, model.VerdictFailed, fmt.Sprintf("entry %d %s", i, huge)))
	}
	parts := make([]model.Part, 100)
	for i := range parts {
		parts[i] = model.Part{Name: huge, Detail: huge}
	}
	r.Checks = nil
	for i := range 300 {
		spec := readinessSpec
		spec.Name, spec.Target = fmt.Sprintf("check %d %s", i, huge), huge
		r.Checks = append(r.Checks, model.CheckStatus{Spec: spec, Runs: 1, Breaches: 1,
			Last: &model.Measurement{Value: huge, Expected: huge, Message: huge, Parts: parts, Outcome: model.OutcomeFail}})
	}
	f := r.Findings[0]
	f.Message, f.Value, f.Expected, f.Baseline = huge, huge, huge, huge
	r.Findings = nil
	for range 500 {
		r.Findings = append(r.Findings, f)
	}
	return r
}

func TestMarkdownStaysUnderTheLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report model.Report
		want   []string
	}{
		{"huge_run", hugeReport(), []string{"### ❌ deploywatch — failed", "The timeline (5000 entries) is left out", "more checks not shown"}},
		{"long_timeline_only", func() model.Report {
			r := healthyReport()
			for i := range 5000 {
				r.Timeline = append(r.Timeline, entry(time.Duration(i)*time.Second, model.EventCheckpoint, model.PhaseMonitor,
					model.VerdictHealthy, strings.Repeat("long text ", 100)))
			}
			return r
		}(), []string{"Timeline (5009 entries)", "| … | | 4959 more entries (the JSON report has them all) |"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md := Markdown(tc.report)
			if len(md) > maxMarkdownBytes {
				t.Errorf("Markdown is %d bytes, want at most %d", len(md), maxMarkdownBytes)
			}
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("Markdown lacks %q", w)
				}
			}
		})
	}
}

func TestMarkdownTimelineKeepsBeginningAndEnd(t *testing.T) {
	t.Parallel()
	r := failedReport()
	r.Timeline = nil
	for i := range 120 {
		r.Timeline = append(r.Timeline, entry(time.Duration(i)*time.Second, model.EventCheckpoint, model.PhaseMonitor, model.VerdictFailed, fmt.Sprintf("entry %d", i)))
	}
	md := Markdown(r)
	rows := regexp.MustCompile(`(?m)^\| \+\d+(m\d+s|s|m) \| Monitor \| entry (\d+) \|$`).FindAllStringSubmatch(md, -1)
	if len(rows) != 50 {
		t.Fatalf("got %d timeline rows, want 50", len(rows))
	}
	if first, last := rows[0][2], rows[49][2]; first != "0" || last != "119" {
		t.Errorf("rows run from entry %s to %s, want 0 to 119", first, last)
	}
	if rows[39][2] != "39" || rows[40][2] != "110" {
		t.Errorf("the cut should fall between entries 39 and 110, got %s and %s", rows[39][2], rows[40][2])
	}
	if !strings.Contains(md, "| … | | 70 more entries (the JSON report has them all) |") {
		t.Error("missing the row counting the entries left out")
	}
}

func TestMarkdownNeutralisesHostileText(t *testing.T) {
	t.Parallel()
	r := failedReport()
	r.Description = "ship it\n# Injected heading\n<img src=x onerror=alert(1)>"
	r.Run.RunURL = "javascript:alert(1)"
	r.CommentURL = "https://example.com/a b)(<c>|d"
	r.Checks[0].Spec.Name = "ready|ness"
	r.Checks[0].Last.Value = "<script>alert(1)</script>"
	r.Checks[0].Last.Parts = []model.Part{{Name: "@acme/ops", OK: false, Detail: "fail\n| --- |"}}
	r.Findings[0].Message = "ping @team about #12 **now**"
	md := Markdown(r)
	for _, bad := range []string{"<script>", "\n# Injected", "@team", "@acme", "](javascript:", " #12", "**now**"} {
		if strings.Contains(md, bad) {
			t.Errorf("Markdown contains %q", bad)
		}
	}
	if regexp.MustCompile(`(^|[^\\])<(img|script)`).MatchString(md) {
		t.Error("Markdown contains an unescaped tag")
	}
	if !strings.Contains(md, "[comment](https://example.com/a%20b%29%28%3Cc%3E%7Cd)") {
		t.Error("the comment URL should be a link with its special characters encoded")
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(line, " | ") > 0 {
			header := strings.HasPrefix(line, "| Check ") || strings.HasPrefix(line, "| --- | --- | --- | --- |")
			if want := 7; !header && strings.Contains(line, "✓") && unescapedPipes(line) != want {
				t.Errorf("checks row has %d separators, want %d: %s", unescapedPipes(line), want, line)
			}
		}
	}
}

func TestMarkdownDryRunNote(t *testing.T) {
	t.Parallel()
	const note = "**Dry run:** this verdict did not fail the step."
	tests := []struct {
		name     string
		report   model.Report
		badge    bool
		wantNote bool
	}{
		{"failed_dry_run", dryRunFailedReport(), true, true},
		{"inconclusive_dry_run", func() model.Report { r := inconclusiveReport(); r.DryRun = true; return r }(), true, true},
		{"healthy_dry_run_has_badge_only", func() model.Report { r := healthyReport(); r.DryRun = true; return r }(), true, false},
		{"failed_for_real", failedReport(), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md := Markdown(tc.report)
			if got := strings.Contains(md, "🧪 **dry run**"); got != tc.badge {
				t.Errorf("badge shown = %v, want %v", got, tc.badge)
			}
			if got := strings.Contains(md, note); got != tc.wantNote {
				t.Errorf("dry-run note shown = %v, want %v", got, tc.wantNote)
			}
		})
	}
}

func TestMarkdownWithoutChecksOrTimeline(t *testing.T) {
	t.Parallel()
	md := Markdown(model.Report{Result: model.Result{Verdict: model.VerdictCancelled}})
	want := "### ⏹️ deploywatch — cancelled\n\n> no finding so far\n\n#### Checks\n\n_No check ran._\n\n"
	if md != want {
		t.Errorf("Markdown() =\n%q\nwant\n%q", md, want)
	}
}

func TestLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"https", "https://github.com/acme/shop/actions/runs/1", "[run](https://github.com/acme/shop/actions/runs/1)"},
		{"javascript_is_text", "javascript:alert(1)", "javascript:alert(1)"},
		{"relative_is_text", "/actions/runs/1", "/actions/runs/1"},
		{"newline_is_text", "https://a.example/\n[x](y)", "https://a.example/ \\[x\\](y)"},
		{"parentheses_encoded", "https://a.example/x_(y)", "[run](https://a.example/x_%28y%29)"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := link("run", tc.url); got != tc.want {
				t.Errorf("link(%q) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}
