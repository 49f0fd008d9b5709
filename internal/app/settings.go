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
// problem reading them is returned as config.Problems with the sources read so far.
func sources(env Env, name string, args []string, fixed map[string]string, rc model.RunContext) (config.Sources, error) {
	src := config.Sources{Inputs: map[string]string{}, Context: rc}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fv := config.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(env.Stdout)
			return src, errHelp
		}
		return src, config.Problems{{Input: "command line", Msg: flagError(err)}}
	}
	if fs.NArg() > 0 {
		return src, config.Problems{{Input: "command line", Msg: fmt.Sprintf("unexpected argument %q; every setting is a --flag (see deploywatch help)", fs.Arg(0))}}
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
	if path == "" {
		return src, nil
	}
	data, err := os.ReadFile(resolvePath(env.Dir, path))
	if err != nil {
		return src, config.Problems{{Input: "config", Value: path, HasValue: true, Origin: config.Origin{Layer: config.LayerInput, Name: origin},
			Msg: "cannot be read: " + strings.TrimPrefix(err.Error(), "open "+resolvePath(env.Dir, path)+": ")}}
	}
	f, ps := config.ParseFile(path, data)
	src.File = f
	if len(ps) > 0 {
		return src, ps
	}
	return src, nil
}

// resolvePath makes a relative path relative to dir (the workspace).
func resolvePath(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

// flagError rewords the flag package's errors for a user: unknown flags get a suggestion.
func flagError(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		msg = "unknown flag -" + name
		if s := config.SuggestInput(name); s != "" {
			msg += "; did you mean --" + strings.ReplaceAll(s, "_", "-") + "?"
		}
	}
	return msg + " (see deploywatch help)"
}
