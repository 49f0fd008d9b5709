package app

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestPipelineSchema validates the GitLab mirror's pipeline (the repository's root
// .gitlab-ci.yml) against GitLab's CI schema, as TestComponentSchema does the component
// and the catalog's pipeline; cmd/deploywatch runs it through gitlab-ci-local.
func TestPipelineSchema(t *testing.T) {
	t.Parallel()
	schema := gitlabSchema(t)
	data, err := os.ReadFile("../../.gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var pipeline map[string]any
	if err := yaml.Unmarshal(data, &pipeline); err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(jsonInstance(t, pipeline)); err != nil {
		t.Errorf("the mirror's pipeline does not validate against GitLab's CI schema: %v", err)
	}
	// It includes the component of this commit's tree: every input it passes must exist
	// (the schema cannot know the template's inputs; GitLab rejects unknown ones).
	known := map[string]bool{}
	for _, in := range componentInputs(t) {
		known[in.Name] = true
	}
	includes, _ := pipeline["include"].([]any)
	if len(includes) == 0 {
		t.Fatal("the pipeline includes nothing")
	}
	for _, inc := range includes {
		m, _ := inc.(map[string]any)
		if local, _ := m["local"].(string); "../../"+local != componentPath {
			t.Errorf("include %v, want local: %s", m, strings.TrimPrefix(componentPath, "../../"))
		}
		inputs, _ := m["inputs"].(map[string]any)
		for name := range inputs {
			if !known[name] {
				t.Errorf("include %v passes input %q, which the component does not have", m["local"], name)
			}
		}
	}

	// The check has teeth: a misspelt allow_failure and an unknown job keyword are rejected.
	tests := []struct {
		name   string
		mutate func(p map[string]any)
	}{
		{"allow_failure_exit_codes_misspelt", func(p map[string]any) {
			p["component-broken"].(map[string]any)["allow_failure"] = map[string]any{"exit_code": []any{1}}
		}},
		{"unknown_job_keyword", func(p map[string]any) {
			p["publish-component"].(map[string]any)["rule"] = []any{map[string]any{"if": "$CI_COMMIT_TAG"}}
		}},
	}
	for _, tt := range tests {
		broken := map[string]any{}
		if err := yaml.Unmarshal(data, &broken); err != nil {
			t.Fatal(err)
		}
		tt.mutate(broken)
		if err := schema.Validate(jsonInstance(t, broken)); err == nil {
			t.Errorf("%s: the schema accepts it", tt.name)
		}
	}
}
