package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
)

// depMapKeys are the members of a health response that map dependency names to their
// state: "checks" (the seed's FastAPI shape and the IETF health-check draft) and
// "components" (Spring Boot Actuator).
var depMapKeys = []string{"checks", "components"}

// okWords are the states, compared case-insensitively, that mean a dependency is fine.
var okWords = []string{"ok", "up", "pass", "healthy", "ready", "true"}

// detailKeys are where health formats put the explanation of a failing dependency.
var detailKeys = []string{"output", "error", "message", "description", "reason"}

// maxDetailInMessage caps a dependency's detail inside a message (Parts keep more).
const maxDetailInMessage = 100

// maxListedDeps caps how many failing dependencies a message names.
const maxListedDeps = 5

// dependencies reads the dependency map of a health response. A body that is not a JSON
// object, or has no such map, yields none: the status code alone decides then.
func dependencies(body []byte) []model.Part {
	var doc map[string]any
	if decodeJSON(body, &doc) != nil {
		return nil
	}
	var parts []model.Part
	for _, key := range depMapKeys {
		deps, ok := doc[key].(map[string]any)
		if !ok {
			continue
		}
		for name, v := range deps {
			p := model.Part{Name: serviceText(name), OK: depOK(v)}
			if !p.OK {
				p.Detail = serviceText(depDetail(v))
			}
			parts = append(parts, p)
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].Name < parts[j].Name })
	return parts
}

// decodeJSON reads exactly one JSON value, keeping numbers exact.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// depOK: a state string, or a "status" member, in okWords; true; or an array (the IETF
// draft's list of observations) whose elements are all OK.
func depOK(v any) bool {
	switch v := v.(type) {
	case string:
		return isOKWord(v)
	case bool:
		return v
	case map[string]any:
		switch s := v["status"].(type) {
		case string:
			return isOKWord(s)
		case bool:
			return s
		}
	case []any:
		for _, e := range v {
			if !depOK(e) {
				return false
			}
		}
		return true
	}
	return false
}

func isOKWord(s string) bool {
	s = strings.TrimSpace(s)
	for _, w := range okWords {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// depDetail describes a failing dependency: its state and, when the format has one, the
// explanation ("DOWN: connection refused"); anything else as compact JSON.
func depDetail(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		status, ok := v["status"].(string)
		if !ok {
			break
		}
		if why := explanation(v); why != "" {
			return status + ": " + why
		}
		return status
	case []any:
		var bad []string
		for _, e := range v {
			if !depOK(e) {
				bad = append(bad, depDetail(e))
			}
		}
		if len(bad) > 0 {
			return strings.Join(bad, "; ")
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// explanation finds the first textual explanation in obj or in its "details" (Spring).
func explanation(obj map[string]any) string {
	for _, k := range detailKeys {
		if s, ok := obj[k].(string); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	if details, ok := obj["details"].(map[string]any); ok {
		return explanation(details)
	}
	return ""
}

// failingParts lists the parts that are not OK.
func failingParts(parts []model.Part) []model.Part {
	var bad []model.Part
	for _, p := range parts {
		if !p.OK {
			bad = append(bad, p)
		}
	}
	return bad
}

// describeFailing renders failing dependencies as `database (error: refused), redis
// (down)`, naming at most maxListedDeps of them.
func describeFailing(bad []model.Part) string {
	var items []string
	for i, p := range bad {
		if i == maxListedDeps {
			items = append(items, fmt.Sprintf("and %d more", len(bad)-maxListedDeps))
			break
		}
		if p.Detail == "" {
			items = append(items, p.Name)
			continue
		}
		items = append(items, fmt.Sprintf("%s (%s)", p.Name, capText(p.Detail, maxDetailInMessage)))
	}
	return strings.Join(items, ", ")
}

// failingNames lists the failing dependencies by name, as a measurement's value.
func failingNames(bad []model.Part) string {
	var names []string
	for i, p := range bad {
		if i == maxListedDeps {
			names = append(names, fmt.Sprintf("+%d more", len(bad)-maxListedDeps))
			break
		}
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// describeDegraded renders the dependencies a ready service reports as failing:
// `dependency redis reports "error: timeout"`.
func describeDegraded(bad []model.Part) string {
	var items []string
	for i, p := range bad {
		if i == maxListedDeps {
			items = append(items, fmt.Sprintf("and %d more", len(bad)-maxListedDeps))
			break
		}
		items = append(items, fmt.Sprintf("%s reports %q", p.Name, capText(p.Detail, maxDetailInMessage)))
	}
	if len(bad) == 1 {
		return "dependency " + items[0]
	}
	return "dependencies " + strings.Join(items, ", ")
}
