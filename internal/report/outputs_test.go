package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

// contractOutputs is the output contract of the design document, in order.
var contractOutputs = []string{
	"status",
	"error_rate_exceeded", "latency_exceeded", "unhealthy_pods", "restarts_exceeded", "resources_exceeded",
	"health_check_failed", "smoke_tests_failed", "version_mismatch",
	"rolled_back", "error_rate", "p99_latency_ms", "baseline_p99_latency_ms", "detected_after_s",
	"deployment_id", "started_at", "comment_url", "report_path", "summary",
	// Additions to the contract (additions are welcome, renames are not).
	"rollback_from_revision", "rollback_to_revision",
}

func TestOutputsFollowTheContract(t *testing.T) {
	t.Parallel()
	for _, tc := range append(fixtures(), struct {
		name   string
		report model.Report
	}{"empty_report", model.Report{}}) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			outs := Outputs(tc.report)
			names := make([]string, len(outs))
			for i, o := range outs {
				names[i] = o.Name
			}
			if d := cmp.Diff(contractOutputs, names); d != "" {
				t.Fatalf("output names (-want +got):\n%s", d)
			}
			for _, o := range outs[1:10] { // the signals and rolled_back
				if o.Value != "true" && o.Value != "false" {
					t.Errorf("boolean output %s = %q", o.Name, o.Value)
				}
			}
			for _, o := range outs {
				if strings.ContainsAny(o.Value, "\r\n") {
					t.Errorf("output %s spans lines: %q", o.Name, o.Value)
				}
			}
		})
	}
}

func TestOutputsValues(t *testing.T) {
	t.Parallel()
	d := func(v time.Duration) *time.Duration { return &v }
	tests := []struct {
		name     string
		detected *time.Duration
		started  time.Time
		want     map[string]string
	}{
		{"no_detection", nil, t0, map[string]string{"detected_after_s": "", "started_at": "2026-11-21T10:00:00Z"}},
		{"detected_whole_seconds", d(41 * time.Second), t0, map[string]string{"detected_after_s": "41"}},
		{"detected_rounds_to_nearest", d(1500 * time.Millisecond), t0, map[string]string{"detected_after_s": "2"}},
		{"detected_rounds_down", d(2*time.Minute + 3400*time.Millisecond), t0, map[string]string{"detected_after_s": "123"}},
		{"detected_under_a_second_is_one", d(400 * time.Millisecond), t0, map[string]string{"detected_after_s": "1"}},
		{"detected_at_once_is_zero", d(0), t0, map[string]string{"detected_after_s": "0"}},
		{"started_at_in_utc_without_fraction", nil, time.Date(2026, 11, 21, 11, 0, 0, 123e6, time.FixedZone("CET", 3600)),
			map[string]string{"started_at": "2026-11-21T10:00:00Z"}},
		{"started_at_unknown", nil, time.Time{}, map[string]string{"started_at": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := model.Report{Result: model.Result{Verdict: model.VerdictFailed, StartedAt: tc.started, DetectedAfter: tc.detected}}
			got := map[string]string{}
			for _, o := range Outputs(r) {
				if _, ok := tc.want[o.Name]; ok {
					got[o.Name] = o.Value
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
		})
	}
}

func TestOutputsSignalsDefaultToFalse(t *testing.T) {
	t.Parallel()
	r := model.Report{Signals: map[model.Signal]bool{model.SignalSmoke: true}}
	want := map[string]string{"rolled_back": "false"}
	for _, s := range model.Signals() {
		want[string(s)] = "false"
	}
	want[string(model.SignalSmoke)] = "true"
	got := map[string]string{}
	for _, o := range Outputs(r) {
		if _, ok := want[o.Name]; ok {
			got[o.Name] = o.Value
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("boolean outputs (-want +got):\n%s", d)
	}
}

func TestJSONShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report model.Report
		check  func(t *testing.T, raw []byte, doc map[string]any)
	}{
		{"indented_with_trailing_newline", healthyReport(), func(t *testing.T, raw []byte, _ map[string]any) {
			if !strings.HasPrefix(string(raw), "{\n  \"schema_version\": 1,\n") || !strings.HasSuffix(string(raw), "}\n") {
				t.Errorf("not an indented document ending in a newline:\n%.80s", raw)
			}
		}},
		{"html_left_readable", inconclusiveReport(), func(t *testing.T, raw []byte, _ map[string]any) {
			if strings.Contains(string(raw), `\u003c`) || !strings.Contains(string(raw), "<html>") {
				t.Error("< should be written as is")
			}
		}},
		{"unknowns_are_null_and_lists_empty", healthyReport(), func(t *testing.T, _ []byte, doc map[string]any) {
			want := map[string]any{"detected_after_s": nil, "findings": []any{}, "warnings": []any{}, "comment_url": ""}
			for k, v := range want {
				if d := cmp.Diff(v, doc[k]); d != "" {
					t.Errorf("%s (-want +got):\n%s", k, d)
				}
			}
			if pr, ok := doc["run"].(map[string]any)["pull_request"]; !ok || pr != nil {
				t.Errorf("run.pull_request = %v, want null", pr)
			}
		}},
		{"every_signal_present", failedReport(), func(t *testing.T, _ []byte, doc map[string]any) {
			sig := doc["signals"].(map[string]any)
			for _, s := range model.Signals() {
				if _, ok := sig[string(s)].(bool); !ok {
					t.Errorf("signal %s missing or not a boolean", s)
				}
			}
		}},
		{"empty_report_still_renders", model.Report{}, func(t *testing.T, _ []byte, doc map[string]any) {
			want := map[string]any{"schema_version": float64(model.ReportSchemaVersion), "started_at": nil,
				"finished_at": nil, "dry_run": false, "duration_s": float64(0), "checks": []any{}, "timeline": []any{}}
			for k, v := range want {
				if d := cmp.Diff(v, doc[k]); d != "" {
					t.Errorf("%s (-want +got):\n%s", k, d)
				}
			}
		}},
		{"outputs_match_outputs", degradedReport(), func(t *testing.T, _ []byte, doc map[string]any) {
			want := map[string]any{}
			for _, o := range Outputs(degradedReport()) {
				want[o.Name] = o.Value
			}
			if d := cmp.Diff(want, doc["outputs"]); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := JSON(tc.report)
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			tc.check(t, raw, doc)
		})
	}
}

func TestOutputDocsMatchOutputs(t *testing.T) {
	t.Parallel()
	outs := Outputs(model.Report{})
	docs := OutputDocs()
	if len(outs) != len(docs) {
		t.Fatalf("%d outputs but %d documented", len(outs), len(docs))
	}
	for i := range outs {
		if outs[i].Name != docs[i].Name || docs[i].Description == "" {
			t.Errorf("output %d: written %q, documented %q", i, outs[i].Name, docs[i].Name)
		}
	}
}

func TestRollbackOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		rb             *model.Rollback
		rolled, fr, to string
	}{
		{"none", nil, "false", "", ""},
		{"verified", &model.Rollback{Performed: true, Recovered: true, FromRevision: 7, ToRevision: 6}, "true", "7", "6"},
		{"not_recovered", &model.Rollback{Performed: true, FromRevision: 7, ToRevision: 6}, "false", "7", "6"},
		{"dry_run", &model.Rollback{DryRun: true, FromRevision: 7, ToRevision: 6}, "false", "7", "6"},
		{"failed", &model.Rollback{Message: "deployment api is paused"}, "false", "", ""},
	}
	for _, tt := range tests {
		outs := map[string]string{}
		for _, o := range Outputs(model.Report{Rollback: tt.rb}) {
			outs[o.Name] = o.Value
		}
		if outs["rolled_back"] != tt.rolled || outs["rollback_from_revision"] != tt.fr || outs["rollback_to_revision"] != tt.to {
			t.Errorf("%s: rolled_back %q from %q to %q", tt.name, outs["rolled_back"], outs["rollback_from_revision"], outs["rollback_to_revision"])
		}
		if tt.rb != nil && tt.rb.Target == "" {
			tt.rb.Target = "deployment/api"
		}
		if md := Markdown(model.Report{Rollback: tt.rb}); tt.rb != nil && !strings.Contains(md, "↩️") {
			t.Errorf("%s: no rollback line in the summary", tt.name)
		}
	}
}
