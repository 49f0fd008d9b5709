package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
)

// validate checks the settings against each other, after every value parsed.
// Inputs that failed to parse are skipped: one mistake gets one message.
func validate(c *Config, vals map[string]raw, failed map[string]bool) Problems {
	var ps Problems
	bad := func(input, msg string) {
		if failed[input] {
			return
		}
		r := vals[input]
		ps = append(ps, Problem{Input: input, Origin: r.origin, Value: r.text, HasValue: r.origin.Layer != LayerDefault, Msg: msg})
	}
	if len(c.Schedule) == 0 && strings.TrimSpace(vals["schedule"].text) != "" && !failed["schedule"] {
		bad("schedule", "must list at least one checkpoint, e.g. 10s,30s,1m,5m")
	}
	// The items that parsed are checked even when others did not: every problem at once.
	for i, d := range c.Schedule {
		r := vals["schedule"]
		at := func(msg string) {
			ps = append(ps, Problem{Input: "schedule", Origin: r.origin, Value: r.text, HasValue: r.origin.Layer != LayerDefault, Msg: msg})
		}
		if d <= 0 {
			at(fmt.Sprintf("checkpoint %s must be after the start", d))
		} else if i > 0 && d <= c.Schedule[i-1] {
			at(fmt.Sprintf("checkpoints must be in increasing order (%s after %s)", d, c.Schedule[i-1]))
		}
	}
	if c.Interval < minInterval && strings.TrimSpace(vals["interval"].text) != "" {
		bad("interval", fmt.Sprintf("must be at least %s", minInterval))
	}
	if last := lastCheckpoint(c.Schedule); c.Warmup > 0 && last > 0 && c.Warmup >= last && !failed["schedule"] {
		bad("warmup", fmt.Sprintf("must end before the last checkpoint of schedule (%s)", last))
	}
	if c.HTTPTimeout <= 0 || c.HTTPTimeout > 5*time.Minute {
		bad("http_timeout", "must be above 0 and at most 5m")
	}
	if c.Persistence < 1 {
		bad("persistence", "must be 1 or more")
	}
	if c.EmergencyPersistence < 1 {
		bad("emergency_persistence", "must be 1 or more")
	} else if c.Persistence >= 1 && c.EmergencyPersistence > c.Persistence && !failed["persistence"] {
		// An emergency is also a breach at every lower level, which persistence confirms.
		bad("emergency_persistence", fmt.Sprintf("must not be more than persistence (%d): an unreachable service is also a breach that persistence confirms", c.Persistence))
	}
	if strings.TrimSpace(c.ReportPath) == "" {
		bad("report_path", "must not be empty")
	}
	for _, ch := range c.Checks {
		if ch.Type == CheckVersion && strings.TrimSpace(ch.Expected) == "" {
			ps = append(ps, Problem{Input: ch.Source, Origin: vals["expected_version"].origin,
				Msg: "version verification needs expected_version, and no commit SHA is known here; set expected_version"})
		}
	}
	ps = append(ps, validateKube(c, vals, bad)...)
	switch c.Mode {
	case ModeRun, ModeMonitor:
		if len(c.Checks) == 0 && len(c.Metrics.Checks) == 0 && c.Kube.Deployment == "" {
			ps = append(ps, Problem{Input: "checks", Missing: true, Msg: "none configured; set at least one of health_url, live_url, info_url, smoke_tests, prometheus_url, metrics_url, or checks in the config file"})
		}
	case ModeFinish:
		if c.FinalStatus == "" && !failed["status"] {
			ps = append(ps, Problem{Input: "status", Msg: "is required in mode finish; allowed: " + strings.Join(verdictNames(), ", ")})
		}
	}
	return ps
}

func lastCheckpoint(s []time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return slices.Max(s)
}

func verdictNames() []string {
	var out []string
	for _, v := range model.Verdicts() {
		out = append(out, string(v))
	}
	return out
}

// builtFeatures are the capabilities of this build. An input of a missing feature that is
// set is a problem: monitoring less than asked would be a silent pass.
var builtFeatures = map[Feature]bool{FeatureCore: true, FeatureMetrics: true, FeatureKube: true, FeatureEvents: true}

// alwaysSet are inputs the CI host fills on every run; they are not a user's request.
var alwaysSet = map[string]bool{"github_token": true, "gitlab_token": true}

func unavailable(vals map[string]raw) Problems {
	var ps Problems
	for _, in := range inputs {
		r := vals[in.Name]
		if builtFeatures[in.Feature] || alwaysSet[in.Name] || r.origin.Layer == LayerDefault || strings.TrimSpace(r.text) == in.Default {
			continue
		}
		ps = append(ps, Problem{Input: in.Name, Origin: r.origin, Value: r.text, HasValue: true, Secret: in.Secret,
			Msg: fmt.Sprintf("%s checks are not part of this build of deploywatch; remove the setting or use a release that has them", in.Feature)})
	}
	return ps
}

// validateKube checks the Kubernetes settings against each other: every one of them is
// about the workload, so it needs one.
func validateKube(c *Config, vals map[string]raw, bad func(input, msg string)) Problems {
	k := c.Kube
	if k.Deployment != "" {
		if _, err := kube.ParseTarget(k.Deployment, k.Namespace); err != nil {
			bad("deployment", err.Error())
		}
		if k.RolloutTimeout <= 0 {
			bad("rollout_timeout", "must be above zero")
		}
		return nil
	}
	for _, name := range []string{"kubeconfig", "kube_context", "pod_selector", "log_error_pattern", "rollback"} {
		r := vals[name]
		if r.origin.Layer != LayerDefault && strings.TrimSpace(r.text) != "" && r.text != "false" {
			bad(name, "needs deployment: the workload whose rollout and pods to watch")
		}
	}
	return nil
}
