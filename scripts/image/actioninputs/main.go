// Command actioninputs prints the INPUT_* variables the GitHub runner gives a Docker
// action whose step sets no with: every input of action.yml at its default, named as the
// runner names it (INPUT_ + the id upper-cased, spaces turned into underscores, hyphens
// kept), each as NAME=value followed by a NUL byte so values may hold any text.
//
//	go run ./scripts/image/actioninputs -token TOKEN action.yml
//
// The runner evaluates expressions in defaults; the only one action.yml may use here is
// ${{ github.token }}, replaced by -token. Any other fails, rather than reaching the
// container unevaluated.
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

var expression = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

func main() {
	token := flag.String("token", "", "value of ${{ github.token }}")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: actioninputs -token TOKEN action.yml")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *token); err != nil {
		fmt.Fprintf(os.Stderr, "actioninputs: %v\n", err)
		os.Exit(1)
	}
}

func run(path, token string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read action metadata: %w", err)
	}
	// A yaml.Node keeps the inputs in their file order, so the output is stable.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	inputs := child(doc.Content[0], "inputs")
	if inputs == nil || inputs.Kind != yaml.MappingNode {
		return fmt.Errorf("%s has no inputs mapping", path)
	}
	var b strings.Builder
	for i := 0; i+1 < len(inputs.Content); i += 2 {
		id := inputs.Content[i].Value
		def := ""
		if n := child(inputs.Content[i+1], "default"); n != nil {
			def = n.Value
		}
		var bad error
		def = expression.ReplaceAllStringFunc(def, func(e string) string {
			if expr := expression.FindStringSubmatch(e)[1]; expr != "github.token" {
				bad = fmt.Errorf("input %s: default %q has an expression this emulation does not evaluate", id, def)
			}
			return token
		})
		if bad != nil {
			return bad
		}
		fmt.Fprintf(&b, "INPUT_%s=%s\x00", strings.ToUpper(strings.ReplaceAll(id, " ", "_")), def)
	}
	_, err = os.Stdout.WriteString(b.String())
	return err
}

// child returns the value of key in a mapping node, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
