package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
)

// errHelp reports that --help was asked for and printed.
var errHelp = errors.New("help requested")

// sources gathers the configuration layers: flags from args (plus fixed ones the command
// implies, such as the mode), INPUT_* variables, and the YAML file named by either. A
// problem reading them (a bad flag, an unreadable or partly invalid file) is returned as
// config.Problems, every one, with as much of each layer as could be read.
func sources(env Env, name string, args []string, fixed map[string]string, rc model.RunContext) (config.Sources, error) {
	src := config.Sources{Inputs: map[string]string{}, Context: rc}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fv := config.RegisterFlags(fs)
	help, ps := parseFlags(fs, args)
	if help {
		usage(env.Stdout)
		return src, errHelp
	}
	src.Flags = fv.Values()
	for k, v := range fixed {
		src.Flags[k] = v
	}
	for _, in := range config.Inputs() {
		if v := env.Getenv(in.Env()); v != "" {
			src.Inputs[in.Name] = v
		}
	}
	path := src.Flags["config"]
	origin := "--config"
	if path == "" {
		path, origin = strings.TrimSpace(src.Inputs["config"]), "INPUT_CONFIG"
	}
	if path != "" {
		data, err := os.ReadFile(resolvePath(env.Dir, path))
		if err != nil {
			ps = append(ps, config.Problem{Input: "config", Value: path, HasValue: true, Origin: config.Origin{Layer: config.LayerInput, Name: origin},
				Msg: "cannot be read: " + strings.TrimPrefix(err.Error(), "open "+resolvePath(env.Dir, path)+": ")})
		} else {
			// A file with problems is kept as far as it parsed: the values in it are
			// checked too, so its every problem is reported at once.
			f, fps := config.ParseFile(path, data)
			src.File = f
			ps = append(ps, fps...)
		}
	}
	if len(ps) > 0 {
		return src, ps
	}
	return src, nil
}

// parseFlags sets the flags of args on fs. Unlike fs.Parse it does not stop at the first
// mistake: every bad flag is a problem, and the flags around it are still read, so their
// values are checked too. help reports -h or --help.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, ps config.Problems) {
	cmdline := func(msg string) {
		ps = append(ps, config.Problem{Input: "command line", Msg: msg + " (see deploywatch help)"})
	}
	unexpected := func(a string) {
		cmdline(fmt.Sprintf("unexpected argument %q; every setting is a --flag", a))
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, rest := range args[i+1:] {
				unexpected(rest)
			}
			break
		}
		if len(a) < 2 || a[0] != '-' {
			unexpected(a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if name == "h" || name == "help" {
			return true, nil
		}
		f := fs.Lookup(name)
		if f == nil || name == "" || strings.HasPrefix(name, "-") {
			msg := fmt.Sprintf("unknown flag --%s", strings.TrimLeft(name, "-"))
			if s := config.SuggestInput(name); s != "" {
				msg += "; did you mean --" + strings.ReplaceAll(s, "_", "-") + "?"
			}
			cmdline(msg)
			// The word after an unknown flag is its value, not an argument of its own.
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
			}
			continue
		}
		if !hasValue {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				value = "true"
			} else if i+1 < len(args) {
				i++
				value = args[i]
			} else {
				cmdline(fmt.Sprintf("flag --%s needs a value", name))
				continue
			}
		}
		if err := fs.Set(name, value); err != nil {
			input := strings.ReplaceAll(name, "-", "_")
			in, _ := config.LookupInput(input)
			ps = append(ps, config.Problem{Input: input, Origin: config.Origin{Layer: config.LayerFlag, Name: "--" + name},
				Value: value, HasValue: true, Secret: in.Secret, Msg: err.Error()})
		}
	}
	return false, ps
}

// resolvePath makes a relative path relative to dir (the workspace).
func resolvePath(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}
