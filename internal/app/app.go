// Package app wires deploywatch together: it reads the command line and the environment
// (handed in, never read here directly), loads the configuration, picks the CI platform,
// builds the checks, runs the monitor, writes the report and outputs, and maps the verdict
// to an exit code. It is the only package that knows every implementation.
package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/deploywatch/deploywatch/internal/config"
)

// Exit codes of the contract.
const (
	ExitOK           = 0 // healthy, degraded below fail_on, or dry run
	ExitFailed       = 1 // the deploy is failing
	ExitInvalid      = 2 // invalid inputs or configuration
	ExitInconclusive = 3 // inconclusive, cancelled, or the monitor itself could not run
)

// Env is everything the process gives the program, injected so tests run it in-process.
type Env struct {
	Args   []string // without the program name
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads one variable; Environ lists the variables (for unknown-input warnings).
	Getenv  func(string) string
	Environ func() []string
	// StdoutTTY reports whether Stdout is a terminal (colour on the local platform).
	StdoutTTY bool
	// Version is the build's version.
	Version string
	// Dir is the working directory that relative paths (config, report) resolve against;
	// empty means the process's own.
	Dir string
}

// Main runs one command and returns the process exit code.
func Main(ctx context.Context, env Env) int {
	env = env.withDefaults()
	cmd, args := command(env.Args)
	switch cmd {
	case "run", "start", "monitor", "finish":
		return runCommand(ctx, env, cmd, args)
	case "validate":
		return validateCommand(env, args)
	case "schema":
		return schemaCommand(env)
	case "version":
		fmt.Fprintf(env.Stdout, "deploywatch %s\n", env.Version)
		return ExitOK
	case "demo":
		return demoCommand(ctx, env, args)
	case "detect":
		return detectCommand(env, args)
	case "help":
		usage(env.Stdout)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "deploywatch: unknown command %q; commands: run, start, monitor, finish, validate, schema, version, demo, detect, help\n", cmd)
	return ExitInvalid
}

// command splits the command from its arguments; `run` is the default, as in the container
// where the runner passes no arguments.
func command(args []string) (string, []string) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return "help", nil
		}
		return "run", args
	}
	return args[0], args[1:]
}

func (e Env) withDefaults() Env {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Environ == nil {
		e.Environ = func() []string { return nil }
	}
	if e.Version == "" {
		e.Version = "dev"
	}
	return e
}

func usage(w io.Writer) {
	fmt.Fprint(w, `deploywatch watches a deployment and tells the pipeline whether the new version is healthy.

Usage:
  deploywatch [run] [flags]      the whole lifecycle (the default, as in the container)
  deploywatch start [flags]      announce the deployment and record its start
  deploywatch monitor [flags]    rollout to verdict, after a start (--started-at)
  deploywatch finish --status S  post a final status
  deploywatch validate [flags]   check a configuration without running it
  deploywatch schema             print the JSON Schema of the YAML config
  deploywatch demo [--scenario NAME]
                                 a 30-second tour against an embedded service
  deploywatch detect [--input F] [--output F]
                                 score a CSV series (timestamp,value) with the anomaly detector
  deploywatch version

Every setting is a flag, an INPUT_<NAME> variable or a key of the --config YAML file
(precedence in that order). Flags:
`)
	config.PrintInputs(w)
	fmt.Fprint(w, `
Exit codes: 0 healthy (or degraded below fail_on, or dry run), 1 failed,
2 invalid configuration, 3 inconclusive, cancelled, or the monitor could not run.
`)
}
