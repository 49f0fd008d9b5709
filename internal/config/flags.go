package config

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// FlagValues collects the input flags set on a command line.
type FlagValues struct {
	set map[string]string
}

// Values returns the inputs set by flags, by input name.
func (f *FlagValues) Values() map[string]string { return f.set }

// RegisterFlags adds one flag per input to fs, in kebab-case (--health-url). List inputs
// may repeat (--smoke-tests "GET https://a" --smoke-tests "GET https://b"); booleans may be
// given alone (--dry-run).
func RegisterFlags(fs *flag.FlagSet) *FlagValues {
	fv := &FlagValues{set: map[string]string{}}
	for _, in := range inputs {
		fs.Var(&inputFlag{in: in, fv: fv}, in.Flag(), in.Description)
	}
	return fv
}

type inputFlag struct {
	in Input
	fv *FlagValues
}

func (f *inputFlag) String() string {
	if f == nil || f.fv == nil {
		return ""
	}
	return f.fv.set[f.in.Name]
}

func (f *inputFlag) Set(v string) error {
	prev, repeated := f.fv.set[f.in.Name]
	switch {
	case repeated && (f.in.Type == TypeLines || f.in.Type == TypeDurations):
		f.fv.set[f.in.Name] = prev + "\n" + v
	case repeated:
		return fmt.Errorf("given twice; it takes one value")
	default:
		f.fv.set[f.in.Name] = v
	}
	return nil
}

// IsBoolFlag lets boolean inputs be given without a value.
func (f *inputFlag) IsBoolFlag() bool { return f.in.Type == TypeBool }

// PrintInputs writes a table of every input: flag, default and description.
func PrintInputs(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, in := range inputs {
		def := in.Default
		if def == "" {
			def = in.DefaultDoc
		}
		if def != "" {
			def = "(default " + def + ")"
		}
		fmt.Fprintf(tw, "  --%s\t%s\t%s\n", in.Flag(), def, firstSentence(in.Description))
	}
	_ = tw.Flush()
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}
