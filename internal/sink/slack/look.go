package slack

import (
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
)

// Colour bars, from Slack's own palette where it has one (good, warning, danger).
const (
	colorInfo      = "#439FE0"
	colorWarning   = "#daa038"
	colorCritical  = "#d00000"
	colorEmergency = "#8b0000"
	colorGood      = "#2eb886"
	colorNeutral   = "#a0a0a0"
)

// severityLook is the icon and colour of a finding of severity s.
func severityLook(s model.Severity) (icon, color string) {
	switch s {
	case model.SeverityWarning:
		return "⚠️", colorWarning
	case model.SeverityCritical:
		return "🔴", colorCritical
	case model.SeverityEmergency:
		return "🚨", colorEmergency
	}
	return "ℹ️", colorInfo
}

// verdictLook is the icon and colour of a run's verdict.
func verdictLook(v model.Verdict) (icon, color string) {
	switch v {
	case model.VerdictHealthy:
		return "✅", colorGood
	case model.VerdictDegraded:
		return "⚠️", colorWarning
	case model.VerdictFailed:
		return "❌", colorCritical
	case model.VerdictCancelled:
		return "⏹️", colorNeutral
	}
	return "❔", colorNeutral
}

// rollbackLook: a rollback that brought the service back is a warning (the deploy still
// failed); one that did not, or was only described, leaves the service broken.
func rollbackLook(rb *model.Rollback) (icon, color string) {
	if rb != nil && rb.Performed && rb.Recovered {
		return "↩️", colorWarning
	}
	return "↩️", colorCritical
}

// severityLabel names a finding's level as a reader sees it.
func severityLabel(f model.Finding, s model.Severity) string {
	if f.Type == model.FindingProbeError {
		return "Probe error"
	}
	name := s.String()
	return strings.ToUpper(name[:1]) + name[1:]
}

// title names the deploy: "Deploy of 3f9c2ab to production".
func title(r model.Report) string {
	t := "Deploy"
	if v := report.VersionLabel(r); v != "" {
		t += " of " + cut(plain(v), 40)
	}
	if env := plain(r.Environment); env != "" {
		t += " to " + cut(env, 60)
	}
	return t
}
