package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files")

// schemaFile is the schema shipped at the repository root for editors.
const schemaFile = "../../deploywatch.schema.json"

func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("deploywatch.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("deploywatch.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

func yamlDoc(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	// Round-trip through JSON so the validator sees JSON types (float64, map[string]any).
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchemaValidatesConfigs(t *testing.T) {
	t.Parallel()
	s := compiledSchema(t)
	if err := s.Validate(yamlDoc(t, "testdata/configs/full.yml")); err != nil {
		t.Errorf("full.yml does not validate against the schema: %v", err)
	}
	if err := s.Validate(yamlDoc(t, "testdata/configs/invalid.yml")); err == nil {
		t.Error("invalid.yml validates against the schema")
	}
}

// TestSchemaFileUpToDate keeps the shipped schema in step with the input table.
// Regenerate with: go test ./internal/config -run SchemaFile -update
func TestSchemaFileUpToDate(t *testing.T) {
	t.Parallel()
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("%s is out of date; run: go test ./internal/config -run SchemaFile -update", schemaFile)
	}
}

// TestSchemaPrometheusItems: a prometheus item needs a query and a threshold, unless it
// overrides a default metric check by name (and then has no query).
func TestSchemaPrometheusItems(t *testing.T) {
	t.Parallel()
	s := compiledSchema(t)
	tests := []struct {
		name string
		item map[string]any
		ok   bool
	}{
		{"full_check", map[string]any{"type": "prometheus", "name": "queue", "query": "sum(q)", "threshold": 10}, true},
		{"override_of_a_default", map[string]any{"type": "prometheus", "name": "cpu", "on_no_data": "pass", "timeout": "20s"}, true},
		{"override_of_an_unknown_name", map[string]any{"type": "prometheus", "name": "queue", "on_no_data": "pass"}, false},
		{"query_without_threshold", map[string]any{"type": "prometheus", "name": "queue", "query": "sum(q)"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := map[string]any{"checks": []any{tt.item}}
			j, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); (err == nil) != tt.ok {
				t.Errorf("valid %v, want %v (%v)", err == nil, tt.ok, err)
			}
		})
	}
}

// TestDefaultMetricCheckNames keeps the names an override may use equal to the default
// checks a full metrics configuration creates.
func TestDefaultMetricCheckNames(t *testing.T) {
	t.Parallel()
	c, _, ps := load(t, Sources{Inputs: map[string]string{"prometheus_url": "http://prom:9090", "deployment": "api", "namespace": "shop"}})
	if ps != nil {
		t.Fatal(ps)
	}
	if diff := cmp.Diff(DefaultMetricCheckNames, metricNames(c)); diff != "" {
		t.Errorf("default checks (-names +created):\n%s", diff)
	}
}
