package app

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/report"
)

var update = flag.Bool("update", false, "rewrite action.yml and the README's contract tables")

// The contract is generated from the input and output tables, so one setting has one name
// everywhere. Regenerate with: go test ./internal/app -run Contract -update

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func quoted(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.DoubleQuotedStyle}
}

func mapping(kv ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Content: kv} }

func inputDescription(in config.Input) string {
	d := in.Description
	if in.DefaultDoc != "" && in.ActionDefault == "" {
		d += " Default: " + in.DefaultDoc + "."
	}
	return d
}

func actionYAML(t *testing.T) []byte {
	t.Helper()
	inputs := mapping()
	for _, in := range config.Inputs() {
		def := in.Default
		if in.ActionDefault != "" {
			def = in.ActionDefault
		}
		inputs.Content = append(inputs.Content, scalar(in.Name), mapping(
			scalar("description"), scalar(inputDescription(in)),
			scalar("required"), scalar("false"),
			scalar("default"), quoted(def),
		))
	}
	outputs := mapping()
	for _, o := range report.OutputDocs() {
		outputs.Content = append(outputs.Content, scalar(o.Name), mapping(scalar("description"), scalar(o.Description)))
	}
	doc := mapping(
		scalar("name"), scalar("deploywatch post-deploy monitor"),
		scalar("description"), scalar("Watch a deployment right after it ships: health, version, smoke tests; a verdict in seconds, explained where you look."),
		scalar("author"), scalar("deploywatch"),
		scalar("branding"), mapping(scalar("icon"), scalar("activity"), scalar("color"), scalar("green")),
		scalar("inputs"), inputs,
		scalar("outputs"), outputs,
		scalar("runs"), mapping(scalar("using"), scalar("docker"), scalar("image"), scalar("Dockerfile")),
	)
	var b bytes.Buffer
	b.WriteString("# Generated from internal/config/inputs.go and internal/report/outputdocs.go:\n")
	b.WriteString("#   go test ./internal/app -run Contract -update\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestContractActionYAML(t *testing.T) {
	want := actionYAML(t)
	const path = "../../action.yml"
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A release commit points the action at the published image instead of the
	// Dockerfile (scripts/release/github-release.sh); everything else stays generated.
	released := regexp.MustCompile(`(?m)^  image: docker://ghcr\.io/[a-z0-9._-]+/deploywatch:[0-9]+\.[0-9]+\.[0-9]+$`)
	got = released.ReplaceAll(got, []byte("  image: Dockerfile"))
	if !bytes.Equal(got, want) {
		t.Errorf("action.yml is out of date; run: go test ./internal/app -run Contract -update")
	}
	// Every input is snake_case: the runner keeps hyphens in INPUT_ names.
	for _, in := range config.Inputs() {
		if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(in.Name) {
			t.Errorf("input %q is not snake_case", in.Name)
		}
	}
}

func inputsTable() string {
	var b strings.Builder
	b.WriteString("| input | default | meaning |\n|---|---|---|\n")
	for _, in := range config.Inputs() {
		def := in.Default
		if def == "" {
			def = in.DefaultDoc
		}
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", in.Name, def, strings.ReplaceAll(in.Description, "|", "\\|"))
	}
	return b.String()
}

func outputsTable() string {
	var b strings.Builder
	b.WriteString("| output | meaning |\n|---|---|\n")
	for _, o := range report.OutputDocs() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", o.Name, o.Description)
	}
	return b.String()
}

// replaceBetween swaps the text between two marker comments.
func replaceBetween(doc, name, body string) (string, bool) {
	start, end := "<!-- "+name+":start -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		return doc, false
	}
	return doc[:i+len(start)] + body + doc[j:], true
}

func TestContractREADME(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	want := doc
	for name, body := range map[string]string{"inputs": inputsTable(), "outputs": outputsTable()} {
		var ok bool
		if want, ok = replaceBetween(want, name, body); !ok {
			t.Fatalf("README.md lacks the <!-- %s:start --> / <!-- %s:end --> markers", name, name)
		}
	}
	if *update && want != doc {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = want
	}
	if doc != want {
		t.Errorf("README.md's input or output table is out of date; run: go test ./internal/app -run Contract -update")
	}
}

// TestContractActionYAMLSchema validates action.yml against SchemaStore's schema for
// GitHub Action metadata.
func TestContractActionYAMLSchema(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/schemas/github-action.json")
	if err != nil {
		t.Fatal(err)
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("github-action.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("github-action.json")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(doc)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("action.yml does not validate against SchemaStore's github-action.json: %v", err)
	}
	// The check has teeth: a misspelt runner is rejected.
	broken := inst.(map[string]any)
	broken["runs"] = map[string]any{"using": "dockr", "image": "Dockerfile"}
	if err := schema.Validate(broken); err == nil {
		t.Error("the schema accepts runs.using: dockr")
	}
}
