package config

import (
	"encoding/json"
	"strings"
)

// durationPattern matches what ParseDuration accepts.
const durationPattern = `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

// Schema returns a JSON Schema (draft 2020-12) of the YAML config file, for editors
// (yaml-language-server: `# yaml-language-server: $schema=deploywatch.schema.json`).
func Schema() ([]byte, error) {
	props := map[string]any{}
	for _, in := range inputs {
		if in.Name == "config" {
			continue
		}
		props[in.Name] = inputSchema(in)
	}
	props["checks"] = map[string]any{
		"description": "Checks beyond the inputs, each with its own thresholds and severity.",
		"type":        "array",
		"items":       checkSchema(),
	}
	props["sinks"] = map[string]any{
		"description": "Chat, webhook, dashboard and email destinations beyond the inputs' own, e.g. a second Slack channel for critical findings only.",
		"type":        "array",
		"items":       sinkSchema(),
	}
	s := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://github.com/deploywatch/deploywatch/deploywatch.schema.json",
		"title":                "deploywatch configuration",
		"description":          "The full configuration model of deploywatch. Keys are the action's inputs; `checks` adds checks of its own, `sinks` destinations of its own.",
		"type":                 "object",
		"additionalProperties": false,
		"properties":           props,
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func inputSchema(in Input) map[string]any {
	s := typeSchema(in)
	desc := in.Description
	if in.DefaultDoc != "" {
		desc += " Default: " + in.DefaultDoc + "."
	}
	if in.Secret {
		desc += " Secret: prefer the input or an environment-fed value to a file."
	}
	s["description"] = desc
	if in.Default != "" {
		s["default"] = typedDefault(in)
	}
	return s
}

func typeSchema(in Input) map[string]any {
	str := map[string]any{"type": "string"}
	duration := map[string]any{"type": "string", "pattern": durationPattern}
	switch in.Type {
	case TypeURL:
		return map[string]any{"type": "string", "pattern": "^https?://"}
	case TypeDuration:
		return duration
	case TypeDurations:
		return map[string]any{"oneOf": []any{str, map[string]any{"type": "array", "items": duration, "minItems": 1}}}
	case TypePercent:
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "number", "minimum": 0, "maximum": 1},
			map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)?%$`},
		}}
	case TypeBool:
		return map[string]any{"type": "boolean"}
	case TypeCount:
		return map[string]any{"type": "integer", "minimum": 0}
	case TypeEnum:
		return map[string]any{"enum": in.Options}
	case TypeLines:
		alts := []any{str, map[string]any{"type": "array", "items": str}}
		if in.Name == "http_headers" {
			alts = append(alts, map[string]any{"type": "object", "additionalProperties": str})
		}
		return map[string]any{"oneOf": alts}
	case TypeThreshold:
		return map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?x|` + strings.Trim(durationPattern, "^$") + `)$`}
	case TypeTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case TypeBaseline:
		dur := `[0-9]+(\.[0-9]+)?(ms|s|m|h|d|w)`
		return map[string]any{"type": "string", "pattern": `^\s*` + dur + `(\s*[, ]\s*` + dur + `)*\s*$`}
	}
	return str
}

func typedDefault(in Input) any {
	switch in.Type {
	case TypeBool:
		v, _ := ParseBool(in.Default)
		return v
	case TypeCount:
		v, _ := ParseCount(in.Default)
		return v
	}
	return in.Default
}

func checkSchema() map[string]any {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	var types []string
	for _, t := range CheckTypes() {
		types = append(types, string(t))
	}
	sev := []string{"info", "warning", "critical", "emergency"}
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		// A prometheus check needs a query and a threshold, unless it names a default metric
		// check to override (then it has no query); every other type a URL.
		"if": map[string]any{"properties": map[string]any{"type": map[string]any{"const": "prometheus"}}, "required": []string{"type"}},
		"then": map[string]any{"anyOf": []any{
			map[string]any{"required": []string{"query", "threshold"}},
			map[string]any{"required": []string{"name"}, "properties": map[string]any{"name": map[string]any{"enum": DefaultMetricCheckNames}},
				"not": map[string]any{"required": []string{"query"}}},
		}},
		"else": map[string]any{"required": []string{"url"}},
		"properties": map[string]any{
			"name":                  str("Unique name shown in reports; derived from the type and URL when empty. A prometheus item without a query that names a default metric check (error rate, p99 latency, throughput, cpu, memory) overrides its persistence, emergency_persistence, max_probe_errors, on_no_data and timeout."),
			"type":                  map[string]any{"enum": types, "default": "http", "description": "readiness (2xx and dependency map), liveness (2xx), version (info endpoint), http (status and a jq assertion), prometheus (a PromQL value against a threshold)."},
			"url":                   map[string]any{"type": "string", "pattern": "^https?://", "description": "URL to probe."},
			"method":                map[string]any{"enum": methods, "default": "GET", "description": "HTTP method (http checks)."},
			"headers":               map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "Headers for this check, over http_headers; values are secrets."},
			"body":                  str("Request body (http checks)."),
			"expect_status":         map[string]any{"type": "string", "pattern": `^\s*([1-5]([0-9]{2}|xx))(\s*,\s*[1-5]([0-9]{2}|xx))*\s*$`, "default": "2xx", "description": "Accepted status codes or classes, e.g. 200 or 2xx or 200,204."},
			"expect":                str("jq expression over the JSON response that must be truthy (as with jq -e)."),
			"field":                 str("jq path of the version in the response (version checks); default version_field."),
			"expected":              str("Expected version (version checks); default expected_version."),
			"severity":              map[string]any{"enum": sev, "default": "critical", "description": "Severity of a breach."},
			"persistence":           map[string]any{"type": "integer", "minimum": 1, "description": "Consecutive breaches before the breach counts; default the persistence input."},
			"max_probe_errors":      map[string]any{"type": "integer", "minimum": 0, "description": "Consecutive probe errors tolerated; default the max_probe_errors input."},
			"emergency_persistence": map[string]any{"type": "integer", "minimum": 1, "description": "Consecutive emergencies (the service unreachable) before one counts, at most persistence; default the emergency_persistence input."},
			"timeout":               map[string]any{"type": "string", "pattern": durationPattern, "description": "Request timeout (http checks; default http_timeout) or query timeout (prometheus checks; default 10s)."},
			"query":                 str("PromQL returning one value (prometheus checks)."),
			"comparison":            map[string]any{"enum": ops, "description": "How the value is compared with the threshold; default from direction."},
			"direction":             map[string]any{"enum": []string{"up", "down"}, "default": "up", "description": "Which way is worse: up (a value above the threshold breaches) or down."},
			"threshold":             map[string]any{"type": []string{"string", "number"}, "description": "A number (1000), a percentage (5%), a duration (500ms) or a factor of the pre-deploy baseline (2x)."},
			"on_no_data":            map[string]any{"enum": noDataPolicies, "default": "inconclusive", "description": "What an empty answer means: inconclusive after max_probe_errors, pass, or fail."},
			"anomaly":               map[string]any{"type": "boolean", "default": false, "description": "Also judge the value against its history: the band it keeps at this hour and the anomaly detector (prometheus checks; needs history)."},
			"trend":                 map[string]any{"type": "boolean", "default": false, "description": "Also warn when the value drifts towards its threshold, with when it would reach it (prometheus checks)."},
		},
	}
}

func sinkSchema() map[string]any {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	needs := func(typ string, fields ...string) map[string]any {
		return map[string]any{
			"if":   map[string]any{"properties": map[string]any{"type": map[string]any{"const": typ}}, "required": []string{"type"}},
			"then": map[string]any{"required": fields},
		}
	}
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"type"},
		"allOf": []any{needs(NotifierSlack, "url"), needs(NotifierWebhook, "url"), needs(NotifierGrafana, "url"),
			needs(NotifierDatadog, "api_key"), needs(NotifierEmail, "url", "to")},
		"properties": map[string]any{
			"type":          map[string]any{"enum": NotifierTypes(), "description": "slack (incoming webhook), webhook (deployment-event API), grafana (annotations), datadog (events), email (SMTP)."},
			"url":           str("Slack or webhook URL, Grafana base URL, or SMTP URL (smtp://user:password@host:587). Secret for slack and webhook."),
			"token":         str("Bearer token of the webhook, or Grafana service account token (secret)."),
			"api_key":       str("Datadog API key (secret)."),
			"site":          map[string]any{"enum": DatadogSites, "default": "datadoghq.com", "description": "Datadog site."},
			"dashboard_uid": str("Grafana dashboard to annotate."),
			"to":            map[string]any{"type": []string{"array", "string"}, "items": map[string]any{"type": "string"}, "description": "Email recipients."},
			"from":          str("Email sender."),
			"notify_on":     map[string]any{"enum": []string{"info", "warning", "critical", "emergency"}, "description": "Lowest severity sent; default notify_on."},
		},
	}
}
