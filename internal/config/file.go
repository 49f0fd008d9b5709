package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is a parsed YAML config file: input values as text, and the checks list.
type File struct {
	Name   string
	Values map[string]string
	Checks []fileCheck
	Sinks  []fileSink
}

// fileCheck is one item of the `checks` list, still as text, with where it was defined.
type fileCheck struct {
	Index  int
	Line   int
	Fields map[string]string
	// Headers keeps header order and origin; values are secrets.
	Headers [][2]string
}

// checkKeys are the keys a `checks` item may hold: HTTP checks use the first group, metric
// checks (type prometheus) the second; both take the last.
var (
	httpCheckKeys   = []string{"url", "method", "headers", "body", "expect_status", "expect", "field", "expected", "timeout"}
	metricCheckKeys = []string{"query", "comparison", "direction", "threshold", "on_no_data", "anomaly", "trend"}
	commonCheckKeys = []string{"name", "type", "severity", "persistence", "emergency_persistence", "max_probe_errors"}
	checkKeys       = append(append(append([]string(nil), commonCheckKeys...), httpCheckKeys...), metricCheckKeys...)
)

// ParseFile reads a YAML config. Keys are the input names; lists and maps are accepted
// where an input holds several values (schedule, smoke_tests, http_headers, queries).
// Unknown keys are problems, with a suggestion when they look like a typo.
func ParseFile(name string, data []byte) (*File, Problems) {
	f := &File{Name: name, Values: map[string]string{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{{Input: "config", Origin: Origin{LayerFile, name}, Msg: fmt.Sprintf("is not valid YAML: %v", err)}}
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Problems{{Input: "config", Origin: Origin{LayerFile, name}, Msg: "must be a YAML mapping of input names to values"}}
	}
	var ps Problems
	origin := Origin{LayerFile, name}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		at := Origin{LayerFile, fmt.Sprintf("%s:%d", name, root.Content[i].Line)}
		switch {
		case root.Content[i].Kind != yaml.ScalarNode || key == "":
			// Otherwise the problem would name no setting at all.
			ps = append(ps, Problem{Input: "config", Origin: at, Msg: "holds a key that is not a setting name (empty, a list or a mapping)"})
		case key == "checks":
			checks, cps := parseChecks(val, origin)
			f.Checks = append(f.Checks, checks...)
			ps = append(ps, cps...)
		case key == "sinks":
			sinks, sps := parseSinks(val, origin)
			f.Sinks = append(f.Sinks, sinks...)
			ps = append(ps, sps...)
		case key == "config":
			ps = append(ps, Problem{Input: key, Origin: at, Msg: "cannot be set inside a config file"})
		default:
			in, ok := LookupInput(key)
			if !ok {
				msg := "is not a setting of deploywatch"
				if s := suggest(key, append(inputNames(), "checks", "sinks")); s != "" {
					msg += fmt.Sprintf("; did you mean %s?", s)
				}
				ps = append(ps, Problem{Input: key, Origin: at, Msg: msg})
				continue
			}
			text, err := nodeText(val, in.Type)
			if err != nil {
				ps = append(ps, Problem{Input: key, Origin: at, Msg: err.Error()})
				continue
			}
			f.Values[key] = text
		}
	}
	return f, ps
}

// nodeText flattens a YAML value into the text form an INPUT_ variable would carry.
func nodeText(n *yaml.Node, t ValueType) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.SequenceNode:
		if t != TypeLines && t != TypeDurations {
			return "", fmt.Errorf("must be a single value, not a list (line %d)", n.Line)
		}
		items := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("list items must be plain values (line %d)", c.Line)
			}
			items = append(items, c.Value)
		}
		return strings.Join(items, "\n"), nil
	case yaml.MappingNode:
		if t != TypeLines {
			return "", fmt.Errorf("must be a single value, not a mapping (line %d)", n.Line)
		}
		lines := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			lines = append(lines, n.Content[i].Value+": "+n.Content[i+1].Value)
		}
		return strings.Join(lines, "\n"), nil
	}
	return "", fmt.Errorf("unsupported YAML value (line %d)", n.Line)
}

func parseChecks(n *yaml.Node, origin Origin) ([]fileCheck, Problems) {
	if n.Kind != yaml.SequenceNode {
		return nil, Problems{{Input: "checks", Origin: origin, Msg: "must be a list of checks"}}
	}
	var out []fileCheck
	var ps Problems
	for i, item := range n.Content {
		where := fmt.Sprintf("checks[%d]", i)
		at := Origin{LayerFile, fmt.Sprintf("%s:%d", origin.Name, item.Line)}
		if item.Kind != yaml.MappingNode {
			ps = append(ps, Problem{Input: where, Origin: at, Msg: "must be a mapping such as {type: http, url: ...}"})
			continue
		}
		fc := fileCheck{Index: i, Line: item.Line, Fields: map[string]string{}}
		for j := 0; j+1 < len(item.Content); j += 2 {
			key, val := item.Content[j].Value, item.Content[j+1]
			switch {
			case key == "headers":
				hs, err := headerPairs(val)
				if err != nil {
					ps = append(ps, Problem{Input: where + ".headers", Origin: at, Msg: err.Error()})
				}
				fc.Headers = hs
			case !contains(checkKeys, key):
				msg := fmt.Sprintf("is not a check setting; allowed: %s", strings.Join(checkKeys, ", "))
				if s := suggest(key, checkKeys); s != "" {
					msg = fmt.Sprintf("is not a check setting; did you mean %s?", s)
				}
				ps = append(ps, Problem{Input: where + "." + key, Origin: at, Msg: msg})
			case val.Kind != yaml.ScalarNode:
				ps = append(ps, Problem{Input: where + "." + key, Origin: at, Msg: "must be a single value"})
			default:
				fc.Fields[key] = val.Value
			}
		}
		out = append(out, fc)
	}
	return out, ps
}

func headerPairs(n *yaml.Node) ([][2]string, error) {
	switch n.Kind {
	case yaml.MappingNode:
		var out [][2]string
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, [2]string{n.Content[i].Value, n.Content[i+1].Value})
		}
		return out, nil
	case yaml.SequenceNode, yaml.ScalarNode:
		text, err := nodeText(n, TypeLines)
		if err != nil {
			return nil, err
		}
		var out [][2]string
		for _, l := range splitLines(text) {
			name, value, ok := strings.Cut(l, ":")
			if !ok {
				return nil, fmt.Errorf("each header must be written Name: value")
			}
			out = append(out, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a mapping of header names to values")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
