package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/report"
)

// The GitLab CI/CD component is generated from the same input table as action.yml, so a
// setting has one name, one default and one INPUT_<NAME> variable on both hosts.
// Regenerate with: go test ./internal/app -run Component -update

const (
	componentPath   = "../../gitlab-component/templates/deploywatch.yml"
	componentREADME = "../../gitlab-component/README.md"
	// componentImage is the released image the job runs by default, pinned to an exact
	// version; scripts/gitlab/publish-component.sh rewrites it to the version it releases.
	componentImage = "ghcr.io/deploywatch/deploywatch:1.0.0"
	// componentStage is .post: it exists in every pipeline without a stages: list and runs
	// after every other stage, so after the deploy whatever the consumer's stages are.
	componentStage = ".post"
)

// Files the job publishes: the GitLab platform's defaults for dotenv_path, junit_path and
// summary_path, and report_path's default.
const (
	componentDotenv  = "deploywatch.env"
	componentJUnit   = "deploywatch-junit.xml"
	componentSummary = "deploywatch-summary.md"
	componentReport  = "deploywatch-report.json"
	componentExpose  = "deploywatch report"
)

// componentDefaults are the two defaults that differ from action.yml's, because they name
// the host's own token: GitHub's expression means nothing on GitLab, and the job token is
// GitLab's counterpart.
var componentDefaults = map[string]string{"github_token": "", "gitlab_token": "$CI_JOB_TOKEN"}

// componentFiles are the inputs naming a file the job publishes: the template passes them
// to artifacts:reports and artifacts:paths as well as to the binary, so a changed name is
// still picked up. Their defaults are the GitLab platform's (action.yml's are empty: off on
// GitHub), and a regex keeps out what would break the artifacts entry: an empty value (the
// binary would fall back to its default file, which the artifacts would then miss), white
// space, globs, '$', absolute paths (artifacts come from the project directory only) and
// directories.
var componentFiles = map[string]componentInput{
	"report_path": {Default: componentReport,
		Description: "Where the JSON report is written, relative to the project directory; the job publishes it as an artifact."},
	"summary_path": {Default: componentSummary,
		Description: "Where the Markdown summary is written, relative to the project directory; the job publishes it as an artifact, exposed in the merge request."},
	"junit_path": {Default: componentJUnit,
		Description: "Where the JUnit XML report is written (one test case per check), relative to the project directory; the job publishes it as artifacts:reports:junit, shown in the merge request's test summary."},
	"dotenv_path": {Default: componentDotenv,
		Description: "Where the outputs are written as a dotenv file, relative to the project directory; the job publishes it as artifacts:reports:dotenv, whose variables later jobs receive (20 at most)."},
}

// fileRegex accepts a plain relative file path (see componentFiles).
const fileRegex = `^[^\s*?$\[\]/]([^\s*?$\[\]]*[^\s*?$\[\]/])?$`

// durationItem is one duration as config.ParseDuration reads it: "0", a Go duration
// ("1m30s", ".5s", "250ms", "3µs"), or a whole number of days or weeks ("1d", "2w"). It is
// plain RE2 and ECMAScript alike, the dialects of GitLab and gitlab-ci-local.
const durationItem = `(\+?0|\+?[0-9]*[1-9][0-9]*[dw]|\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)`

// Empty is accepted: an empty INPUT_ counts as unset, so the binary uses the default. A
// single duration may be padded with any space (config trims it); a list splits on
// commas, spaces, tabs and newlines only, as config does.
const (
	durationRegex     = `^\s*` + durationItem + `?\s*$`
	durationListRegex = `^[ \t\r\n,]*(` + durationItem + `([ \t\r\n,]+` + durationItem + `)*)?[ \t\r\n,]*$`
)

// componentInput is one input of the component's spec:inputs.
type componentInput struct {
	Name        string
	Description string
	Type        string // string, number, boolean, array
	Default     any
	Options     []string
	Regex       string
}

// componentOnlyInputs shape the job rather than the run; the binary never sees them.
func componentOnlyInputs() []componentInput {
	return []componentInput{
		{Name: "job_name", Type: "string", Default: "deploywatch",
			Description: "Name of the job; change it to run the component twice (one per environment) or to avoid a clash."},
		{Name: "stage", Type: "string", Default: componentStage,
			Description: "Stage of the job; .post (the default) always exists and runs after the deploy; use your own stage so later stages can read the dotenv outputs."},
		{Name: "image", Type: "string", Default: componentImage,
			Description: "Image of the job: the released deploywatch image by default (it has a shell and the binary on PATH); a mirror of it on a registry you control."},
	}
}

// componentSpec maps one input of the table to the component.
func componentSpec(t *testing.T, in config.Input) componentInput {
	t.Helper()
	c := componentInput{Name: in.Name, Type: "string", Default: in.Default, Description: inputDescription(in)}
	if def, ok := componentDefaults[in.Name]; ok {
		c.Default, c.Description = def, in.Description
	}
	if f, ok := componentFiles[in.Name]; ok {
		c.Default, c.Description, c.Regex = f.Default, f.Description, fileRegex
	}
	if in.Secret {
		c.Description += " Pass a masked CI/CD variable, e.g. $" + strings.ToUpper(in.Name) + "."
	}
	switch in.Type {
	case config.TypeBool:
		v, err := config.ParseBool(in.Default)
		if err != nil {
			t.Fatalf("input %s: default %q: %v", in.Name, in.Default, err)
		}
		c.Type, c.Default = "boolean", v
	case config.TypeCount:
		v, err := config.ParseCount(in.Default)
		if err != nil {
			t.Fatalf("input %s: default %q: %v", in.Name, in.Default, err)
		}
		c.Type, c.Default = "number", v
	case config.TypeEnum:
		c.Options = slices.Clone(in.Options)
		// GitLab checks the default against the options too; "" is "not given".
		if in.Default == "" {
			c.Options = append([]string{""}, c.Options...)
		}
	case config.TypeDuration:
		c.Regex = durationRegex
	case config.TypeDurations, config.TypeBaseline:
		c.Regex = durationListRegex
	}
	return c
}

func componentInputs(t *testing.T) []componentInput {
	t.Helper()
	out := componentOnlyInputs()
	for _, in := range config.Inputs() {
		out = append(out, componentSpec(t, in))
	}
	return out
}

func singleQuoted(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: yaml.SingleQuotedStyle}
}

func flowSeq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: items}
}

func blockSeq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

func (c componentInput) node() *yaml.Node {
	// type is explicit even for strings: GitLab's schema reads a missing type as any type,
	// and no default satisfies them all.
	n := mapping(scalar("description"), scalar(c.Description), scalar("type"), scalar(c.Type))
	switch d := c.Default.(type) {
	case string:
		n.Content = append(n.Content, scalar("default"), quoted(d))
	default:
		n.Content = append(n.Content, scalar("default"), scalar(fmt.Sprint(d)))
	}
	if c.Options != nil {
		opts := flowSeq()
		for _, o := range c.Options {
			opts.Content = append(opts.Content, quoted(o))
		}
		n.Content = append(n.Content, scalar("options"), opts)
	}
	if c.Regex != "" {
		n.Content = append(n.Content, scalar("regex"), singleQuoted(c.Regex))
	}
	return n
}

func interpolate(name string) *yaml.Node { return quoted("$[[ inputs." + name + " ]]") }

// componentJob is the body: one job; every input reaches the binary as a job variable,
// never through the script, so no input can inject shell.
func componentJob() *yaml.Node {
	vars := mapping()
	for _, in := range config.Inputs() {
		vars.Content = append(vars.Content, scalar(in.Env()), interpolate(in.Name))
	}
	job := mapping(
		scalar("stage"), interpolate("stage"),
		scalar("image"), mapping(scalar("name"), interpolate("image"), scalar("entrypoint"), flowSeq(quoted(""))),
		// verify: monitoring is not a second deployment of the environment.
		scalar("environment"), mapping(scalar("name"), interpolate("environment"), scalar("action"), scalar("verify")),
		scalar("variables"), vars,
		scalar("script"), blockSeq(scalar("deploywatch")),
		scalar("artifacts"), mapping(
			scalar("when"), scalar("always"),
			scalar("reports"), mapping(scalar("dotenv"), interpolate("dotenv_path"), scalar("junit"), interpolate("junit_path")),
			scalar("paths"), blockSeq(interpolate("report_path"), interpolate("summary_path"), interpolate("junit_path")),
			scalar("expose_as"), scalar(componentExpose),
		),
	)
	return mapping(interpolate("job_name"), job)
}

func componentYAML(t *testing.T) []byte {
	t.Helper()
	inputs := mapping()
	for _, c := range componentInputs(t) {
		inputs.Content = append(inputs.Content, scalar(c.Name), c.node())
	}
	var b bytes.Buffer
	b.WriteString("# deploywatch GitLab CI/CD component: watch a deployment right after it ships. See README.md.\n")
	b.WriteString("# Generated from internal/config/inputs.go: go test ./internal/app -run Component -update\n")
	for i, doc := range []*yaml.Node{mapping(scalar("spec"), mapping(scalar("inputs"), inputs)), componentJob()} {
		if i > 0 {
			b.WriteString("---\n")
		}
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestComponentTemplate(t *testing.T) {
	want := componentYAML(t)
	if *update {
		if err := os.WriteFile(componentPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(componentPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date; run: go test ./internal/app -run Component -update", componentPath)
	}
}

// componentDocs reads the committed template as its two YAML documents.
func componentDocs(t *testing.T) (header, body map[string]any) {
	t.Helper()
	data, err := os.ReadFile(componentPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	if len(docs) != 2 {
		t.Fatalf("the template has %d YAML documents, want 2 (spec header, job)", len(docs))
	}
	return docs[0], docs[1]
}

// specInputs returns spec:inputs of the header.
func specInputs(t *testing.T, header map[string]any) map[string]map[string]any {
	t.Helper()
	spec, _ := header["spec"].(map[string]any)
	raw, _ := spec["inputs"].(map[string]any)
	if len(header) != 1 || len(spec) != 1 || raw == nil {
		t.Fatalf("the header must hold spec:inputs only, got %v", header)
	}
	out := map[string]map[string]any{}
	for name, v := range raw {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("input %s: %T, want a mapping", name, v)
		}
		out[name] = m
	}
	return out
}

func TestComponentInputs(t *testing.T) {
	header, _ := componentDocs(t)
	got := specInputs(t, header)
	// The action's defaults, as the GitHub runner passes them.
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	var names, actionNames []string
	for name := range got {
		if !slices.ContainsFunc(componentOnlyInputs(), func(c componentInput) bool { return c.Name == name }) {
			names = append(names, name)
		}
	}
	for name := range action.Inputs {
		actionNames = append(actionNames, name)
	}
	slices.Sort(names)
	slices.Sort(actionNames)
	if diff := cmp.Diff(actionNames, names); diff != "" {
		t.Errorf("the component's inputs differ from action.yml's (-action +component):\n%s", diff)
	}
	// The host's own token is the only deliberate difference of default.
	platformDefaults := map[string][2]string{
		"github_token": {"${{ github.token }}", ""},
		"gitlab_token": {"", "$CI_JOB_TOKEN"},
	}
	// So are the files the job publishes, off on GitHub and named on GitLab as the GitLab
	// platform names them when unset.
	for name, f := range map[string]string{"summary_path": componentSummary, "junit_path": componentJUnit, "dotenv_path": componentDotenv} {
		platformDefaults[name] = [2]string{"", f}
	}
	for _, in := range config.Inputs() {
		t.Run(in.Name, func(t *testing.T) {
			spec, ok := got[in.Name]
			if !ok {
				t.Fatal("missing from spec:inputs")
			}
			desc, _ := spec["description"].(string)
			if desc == "" || len(desc) > 1024 {
				t.Errorf("description must be 1 to 1024 characters (GitLab's limit), got %d", len(desc))
			}
			def, hasDefault := spec["default"]
			if !hasDefault {
				t.Fatal("no default: GitLab would make the input mandatory")
			}
			typ, _ := spec["type"].(string)
			var text string
			switch in.Type {
			case config.TypeBool:
				b, ok := def.(bool)
				if typ != "boolean" || !ok {
					t.Fatalf("type %q default %#v, want type boolean with a boolean default", typ, def)
				}
				text = fmt.Sprint(b)
			case config.TypeCount:
				n, ok := def.(int)
				if typ != "number" || !ok {
					t.Fatalf("type %q default %#v, want type number with a number default", typ, def)
				}
				text = fmt.Sprint(n)
			default:
				s, ok := def.(string)
				if typ != "string" || !ok {
					t.Fatalf("type %q default %#v, want type string with a string default", typ, def)
				}
				text = s
			}
			want := action.Inputs[in.Name].Default
			if pd, ok := platformDefaults[in.Name]; ok {
				if want != pd[0] {
					t.Errorf("action.yml's default is %q, want %q", want, pd[0])
				}
				want = pd[1]
			}
			if text != want {
				t.Errorf("default %q, action.yml's is %q", text, want)
			}
			var opts []string
			if raw, ok := spec["options"].([]any); ok {
				for _, o := range raw {
					opts = append(opts, fmt.Sprint(o))
				}
			}
			var wantOpts []string
			if in.Type == config.TypeEnum {
				wantOpts = in.Options
				if in.Default == "" {
					wantOpts = append([]string{""}, wantOpts...)
				}
			}
			if diff := cmp.Diff(wantOpts, opts); diff != "" {
				t.Errorf("options differ from config's (-config +component):\n%s", diff)
			}
			if len(opts) > 0 && !slices.Contains(opts, text) {
				t.Errorf("default %q is not among the options: GitLab rejects the pipeline", text)
			}
			regex, _ := spec["regex"].(string)
			isDuration := in.Type == config.TypeDuration || in.Type == config.TypeDurations || in.Type == config.TypeBaseline
			_, isFile := componentFiles[in.Name]
			if (isDuration || isFile) != (regex != "") {
				t.Fatalf("regex %q for input %s of type %s: durations and published files, and only they, have one", regex, in.Name, in.Type)
			}
			if regex != "" && !regexp.MustCompile(regex).MatchString(text) {
				t.Errorf("default %q does not match its regex %s: GitLab rejects the pipeline", text, regex)
			}
		})
	}
}

func TestComponentJob(t *testing.T) {
	header, body := componentDocs(t)
	inputs := specInputs(t, header)
	// One job and nothing global (default, stages, variables, workflow…): an included
	// component merges into the consumer's pipeline.
	if len(body) != 1 {
		t.Fatalf("the body has %d top-level keys, want the job only: %v", len(body), body)
	}
	job, ok := body["$[[ inputs.job_name ]]"].(map[string]any)
	if !ok {
		t.Fatalf("the job must be named by the job_name input, got %v", body)
	}
	vars := map[string]string{}
	for _, in := range config.Inputs() {
		vars[in.Env()] = "$[[ inputs." + in.Name + " ]]"
	}
	want := map[string]any{
		"stage":       "$[[ inputs.stage ]]",
		"image":       map[string]any{"name": "$[[ inputs.image ]]", "entrypoint": []any{""}},
		"environment": map[string]any{"name": "$[[ inputs.environment ]]", "action": "verify"},
		"script":      []any{"deploywatch"},
		"artifacts": map[string]any{
			"when":      "always",
			"reports":   map[string]any{"dotenv": "$[[ inputs.dotenv_path ]]", "junit": "$[[ inputs.junit_path ]]"},
			"paths":     []any{"$[[ inputs.report_path ]]", "$[[ inputs.summary_path ]]", "$[[ inputs.junit_path ]]"},
			"expose_as": componentExpose,
		},
	}
	gotVars := map[string]string{}
	for k, v := range job["variables"].(map[string]any) {
		gotVars[k] = fmt.Sprint(v)
	}
	if diff := cmp.Diff(vars, gotVars); diff != "" {
		t.Errorf("job variables: every input, and only inputs, as INPUT_<NAME> (-want +got):\n%s", diff)
	}
	delete(job, "variables")
	if diff := cmp.Diff(want, job); diff != "" {
		t.Errorf("job (-want +got):\n%s", diff)
	}
	// GitLab's own rules for expose_as (lib/gitlab/ci/config/entry/artifacts.rb).
	if !regexp.MustCompile(`^\w[-\w ]*$`).MatchString(componentExpose) || len(componentExpose) > 100 {
		t.Errorf("expose_as %q: letters, digits, '-', '_' and spaces, at most 100", componentExpose)
	}
	// The published files come from inputs: their defaults are what the GitLab platform
	// writes when unset, and the regex keeps every value a plain relative file (GitLab shows
	// no link for globs, variables or directories, and an empty entry would lose the file).
	re := regexp.MustCompile(fileRegex)
	for name, f := range componentFiles {
		if inputs[name]["default"] != f.Default || inputs[name]["regex"] != fileRegex {
			t.Errorf("input %s: default %v regex %v, want %q and the file regex", name, inputs[name]["default"], inputs[name]["regex"], f.Default)
		}
		def := f.Default.(string)
		for v, ok := range map[string]bool{def: true, "out/" + def: true, "": false, " ": false, "out/*.xml": false,
			"$CI_PROJECT_DIR/x": false, "/tmp/x": false, "out/": false, "x": true, "a b": false, "a\nb": false} {
			if re.MatchString(v) != ok {
				t.Errorf("file regex on %q: %v, want %v", v, !ok, ok)
			}
		}
	}
	// Every reference names a declared input; every input is used.
	data, err := os.ReadFile(componentPath)
	if err != nil {
		t.Fatal(err)
	}
	_, bodyText, _ := strings.Cut(string(data), "\n---\n")
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\[\[(.*?)\]\]`).FindAllStringSubmatch(bodyText, -1) {
		name, ok := strings.CutPrefix(strings.TrimSpace(m[1]), "inputs.")
		if _, declared := inputs[name]; !ok || !declared {
			t.Errorf("reference $[[%s]] is not a plain declared input", m[1])
		}
		used[name] = true
	}
	for name := range inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}
	// No host is hard-coded: the job runs on whichever instance includes it.
	if strings.Contains(bodyText, "://") || strings.Contains(string(data), "gitlab.com") {
		t.Error("the template hard-codes a host; use $CI_SERVER_FQDN or $CI_API_V4_URL")
	}
}

// gitlabSchema compiles GitLab's CI schema, vendored from GitLab's
// app/assets/javascripts/editor/schema/ci.json (see testdata/schemas/NOTICE.md).
func gitlabSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/schemas/gitlab-ci.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("gitlab-ci.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("gitlab-ci.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jsonInstance turns a YAML value into what the validator expects (JSON numbers).
func jsonInstance(t *testing.T, v any) any {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestComponentSchema(t *testing.T) {
	schema := gitlabSchema(t)
	header, body := componentDocs(t)
	// The catalog project's own pipeline, which tests and releases the component.
	data, err := os.ReadFile("../../gitlab-component/.gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var pipeline map[string]any
	if err := yaml.Unmarshal(data, &pipeline); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]map[string]any{"template's header": header, "template's job": body, "catalog pipeline": pipeline} {
		if err := schema.Validate(jsonInstance(t, doc)); err != nil {
			t.Errorf("the %s does not validate against GitLab's CI schema: %v", name, err)
		}
	}
	// The check has teeth: a misspelt environment action and an unknown input type are
	// rejected.
	broken := jsonInstance(t, body).(map[string]any)
	broken["$[[ inputs.job_name ]]"].(map[string]any)["environment"].(map[string]any)["action"] = "verifyy"
	if err := schema.Validate(broken); err == nil {
		t.Error("the schema accepts environment:action verifyy")
	}
	badHeader := jsonInstance(t, header).(map[string]any)
	badHeader["spec"].(map[string]any)["inputs"].(map[string]any)["persistence"].(map[string]any)["type"] = "integer"
	if err := schema.Validate(badHeader); err == nil {
		t.Error("the schema accepts an input of type integer")
	}
}

// TestComponentDurationRegex checks the regexes against config's parsers: GitLab must
// accept what the binary accepts (else a valid setting cannot be given) and should reject
// what it rejects (so the mistake shows when the pipeline is created, not minutes later).
func TestComponentDurationRegex(t *testing.T) {
	parsers := map[config.ValueType]func(string) error{}
	for _, typ := range []config.ValueType{config.TypeDuration, config.TypeDurations, config.TypeBaseline} {
		parsers[typ] = config.Input{Type: typ}.CheckValue
	}
	single := []string{"10s", "1m30s", "250ms", "0", "+0", "0s", "1.5h", ".5s", "5.s", "1d", "2w", "05d", "+10s",
		"1h2m3s4ms5us6ns", "3µs", "3μs", " 10s ", "10s\n", "10", "1.5", "abc", "-10s", "10x", "0d", "1d2h", "s",
		".s", "10 s", "1e3s", "10S", "10s,30s", "-1d", "1.5d"}
	lists := []string{"10s,30s,1m,5m", "10s 30s", "10s, 30s", "10s\n30s\n", ",10s,", "30m,1d,1w", "1m30s,2m",
		"10s;30s", "10s,abc", "10,30", "10s,-5s", "10s|30s"}
	// Where the regex is deliberately wider: an overflowing duration, and a zero baseline
	// (a non-zero duration is not a regular language worth writing); the binary still
	// rejects both with exit 2, naming the input.
	wider := map[config.ValueType][]string{
		config.TypeDuration:  {"9999999999h"},
		config.TypeDurations: {"9999999999h"},
		config.TypeBaseline:  {"0", "+0", "0s", "30m,0.0s", "30m,0s", "9999999999h"},
	}
	for typ, parse := range parsers {
		samples := slices.Concat(single, lists, wider[typ])
		re := regexp.MustCompile(durationListRegex)
		if typ == config.TypeDuration {
			re = regexp.MustCompile(durationRegex)
		}
		for _, v := range samples {
			accepted, parsed := re.MatchString(v), parse(v) == nil
			if slices.Contains(wider[typ], v) {
				if !accepted || parsed {
					t.Errorf("%s %q: listed as wider, but regex %v, parser %v", typ, v, accepted, parsed)
				}
				continue
			}
			if accepted != parsed {
				t.Errorf("%s %q: regex accepts: %v, config's parser accepts: %v", typ, v, accepted, parsed)
			}
		}
		// Empty is not given: config reads an empty INPUT_ as unset and uses the default.
		if !re.MatchString("") {
			t.Errorf("%s: the regex rejects an empty value", typ)
		}
	}
}

func componentInputsTable(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("| input | type | default | meaning |\n|---|---|---|---|\n")
	for _, c := range componentInputs(t) {
		def := fmt.Sprint(c.Default)
		if def != "" {
			def = "`" + def + "`"
		}
		desc := c.Description
		if len(c.Options) > 0 {
			var opts []string
			for _, o := range c.Options {
				if o != "" {
					opts = append(opts, "`"+o+"`")
				}
			}
			desc += " One of " + strings.Join(opts, ", ") + "."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Type, def, tableText(desc))
	}
	return b.String()
}

// tableText escapes a description for a Markdown table cell: pipes everywhere, and angle
// brackets outside code spans, where they would read as HTML ("Deploy <sha7>").
func tableText(s string) string {
	parts := strings.Split(strings.ReplaceAll(s, "|", "\\|"), "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(parts[i])
	}
	return strings.Join(parts, "`")
}

func componentOutputsTable() string {
	var b strings.Builder
	b.WriteString("| dotenv variable | meaning |\n|---|---|\n")
	for _, o := range report.OutputDocs() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", o.Name, o.Description)
	}
	return b.String()
}

func TestComponentREADME(t *testing.T) {
	data, err := os.ReadFile(componentREADME)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	want := doc
	for name, body := range map[string]string{"component-inputs": componentInputsTable(t), "component-outputs": componentOutputsTable()} {
		var ok bool
		if want, ok = replaceBetween(want, name, body); !ok {
			t.Fatalf("%s lacks the <!-- %s:start --> / <!-- %s:end --> markers", componentREADME, name, name)
		}
	}
	if *update && want != doc {
		if err := os.WriteFile(componentREADME, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = want
	}
	if doc != want {
		t.Errorf("%s's input or output table is out of date; run: go test ./internal/app -run Component -update", componentREADME)
	}
	// The example pins the image and the component to a release, like the docs advise.
	for _, s := range []string{"component: $CI_SERVER_FQDN/", "deploywatch@1.0.0", "$CI_JOB_TOKEN", "action: verify"} {
		if !strings.Contains(doc, s) {
			t.Errorf("%s does not mention %q", componentREADME, s)
		}
	}
}
