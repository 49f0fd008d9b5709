package app

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform/local"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// validateCommand loads a configuration like a run would and prints what it would do.
func validateCommand(env Env, args []string) int {
	// The run context gives the defaults a run would get (expected_version on GitHub).
	var rc model.RunContext
	if p, _, err := choosePlatform(Env{Getenv: env.Getenv, Stdout: io.Discard}); err == nil {
		rc = p.Context()
	}
	src, err := sources(env, "validate", args, nil, rc)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	r := redact.New(config.Secrets(src)...)
	p := redacting{p: local.New(local.Options{Stdout: env.Stderr}), r: r}
	cfg, warnings, err := loadConfig(src, err, env.Dir)
	if err != nil {
		return invalid(p, err)
	}
	for _, w := range append(config.UnknownInputs(env.Environ()), warnings...) {
		fmt.Fprintln(env.Stdout, r.String("warning: "+w))
	}
	fmt.Fprintln(env.Stdout, r.String(describe(cfg)))
	return ExitOK
}

// describe summarises a valid configuration: the plan and the checks, with where each
// setting came from.
func describe(c *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "configuration is valid: mode %s, environment %s, fail on %s", c.Mode, c.Environment, c.FailOn)
	if c.DryRun {
		b.WriteString(" (dry run)")
	}
	fmt.Fprintf(&b, "\nschedule %s · interval %s · warm-up %s · cool-down %s\n", durations(c.Schedule), c.Interval, c.Warmup, c.Cooldown)
	fmt.Fprintf(&b, "%d check(s):\n", len(c.Checks))
	for _, ch := range c.Checks {
		fmt.Fprintf(&b, "  - %s (%s, %s, persistence %d, from %s): %s\n", ch.Name, ch.Type, ch.Severity, ch.Persistence, ch.Source, redact.URL(ch.URL))
	}
	var set []string
	for name, o := range c.Origins {
		if o.Layer != config.LayerDefault {
			set = append(set, fmt.Sprintf("%s from %s", name, o))
		}
	}
	sort.Strings(set)
	if len(set) > 0 {
		fmt.Fprintf(&b, "settings: %s", strings.Join(set, ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

func schemaCommand(env Env) int {
	b, err := config.Schema()
	if err != nil {
		fmt.Fprintf(env.Stderr, "deploywatch: %v\n", err)
		return ExitInconclusive
	}
	_, _ = env.Stdout.Write(b)
	return ExitOK
}
func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}
