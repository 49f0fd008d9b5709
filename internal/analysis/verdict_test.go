package analysis

import (
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/model"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	fatal := model.Finding{Check: "ready", Type: model.FindingBreach, Severity: model.SeverityCritical, Fatal: true, Message: "returned 503", Phase: model.PhaseMonitor}
	warn := model.Finding{Check: "ready", Type: model.FindingBreach, Severity: model.SeverityWarning, Message: "slow", Phase: model.PhaseMonitor}
	probe := model.Finding{Check: "version", Type: model.FindingProbeError, Active: true, Message: "4 probe errors in a row"}
	okCheck := model.CheckStatus{Spec: model.CheckSpec{Name: "ready"}, Runs: 3, Passes: 3}
	noEvidence := model.CheckStatus{Spec: model.CheckSpec{Name: "version"}, Runs: 2, Errors: 2, Last: &model.Measurement{ProbeError: "not JSON"}}
	tests := []struct {
		name       string
		findings   []model.Finding
		checks     []model.CheckStatus
		cancelled  bool
		want       model.Verdict
		wantReason string
	}{
		{"healthy", nil, []model.CheckStatus{okCheck}, false, model.VerdictHealthy, "all 1 checks passed (3 measurements)"},
		{"fatal_wins_over_cancel", []model.Finding{warn, fatal}, nil, true, model.VerdictFailed, "ready: returned 503"},
		{"cancelled", []model.Finding{warn}, nil, true, model.VerdictCancelled, "cancelled"},
		{"inconclusive_over_degraded", []model.Finding{warn, probe}, nil, false, model.VerdictInconclusive, "version: 4 probe errors"},
		{"no_evidence", nil, []model.CheckStatus{okCheck, noEvidence}, false, model.VerdictInconclusive, "version: no evidence, all 2 probes failed (not JSON)"},
		{"degraded", []model.Finding{warn}, []model.CheckStatus{okCheck}, false, model.VerdictDegraded, "warning ready: slow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(tt.findings, tt.checks, tt.cancelled)
			if d.Verdict != tt.want || !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("Decide = %s %q, want %s containing %q", d.Verdict, d.Reason, tt.want, tt.wantReason)
			}
		})
	}
}

func TestProvisionalIgnoresMissingEvidence(t *testing.T) {
	t.Parallel()
	noEvidence := model.CheckStatus{Spec: model.CheckSpec{Name: "version"}, Runs: 1, Errors: 1, Last: &model.Measurement{ProbeError: "not JSON"}}
	if d := Provisional(nil, []model.CheckStatus{noEvidence}); d.Verdict != model.VerdictHealthy {
		t.Errorf("Provisional = %s, want healthy so far", d.Verdict)
	}
}
