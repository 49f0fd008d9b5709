package app

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/monitor"
	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// announceBudget is how long the first check waits for the start to be announced (a
// GitHub deployment and comment created, so the log shows them from its first lines).
const announceBudget = 2 * time.Second

// runCommand serves run, start, monitor and finish.
func runCommand(ctx context.Context, env Env, cmd string, args []string) int {
	p, pwarn, err := choosePlatform(env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "deploywatch: %v\n", err)
		return ExitInconclusive
	}
	fixed := map[string]string{}
	if cmd != "run" {
		fixed["mode"] = cmd
	}
	src, srcErr := sources(env, cmd, args, fixed, p.Context())
	if errors.Is(srcErr, errHelp) {
		return ExitOK
	}
	// Mask before the first line is printed, even when the configuration is invalid.
	secrets := config.Secrets(src)
	if tok := env.Getenv("CI_JOB_TOKEN"); tok != "" {
		// GitLab masks it in the job log, not in the files the run writes.
		secrets = append(secrets, tok)
	}
	for _, s := range secrets {
		p.Mask(s)
	}
	rp := redacting{p: p, r: redact.New(secrets...)}
	defer rp.flush()
	cfg, warnings, err := loadConfig(src, srcErr, env.Dir)
	if err != nil {
		return invalid(rp, err)
	}
	warnings = append(append(pwarn, config.UnknownInputs(env.Environ())...), warnings...)
	for _, w := range warnings {
		rp.Annotate(platform.LevelWarning, "deploywatch", w)
	}
	run := &runner{env: env, p: rp, cfg: cfg, warnings: warnings, cons: newConsole(rp)}
	run.openEvents()
	defer run.ev.release()
	switch cfg.Mode {
	case config.ModeStart:
		return run.start(ctx)
	case config.ModeFinish:
		return run.finishMode(ctx)
	}
	return run.monitor(ctx)
}

// invalid reports configuration problems, every one, and returns the exit code for them.
func invalid(p platform.Platform, err error) int {
	var ps config.Problems
	if !errors.As(err, &ps) {
		p.Annotate(platform.LevelError, "deploywatch: invalid configuration", err.Error())
		reportInvalid(p, []string{err.Error()})
		return ExitInvalid
	}
	p.Log(platform.LevelError, fmt.Sprintf("deploywatch: %d configuration problem(s); nothing was monitored", len(ps)))
	lines := make([]string, 0, len(ps))
	for _, pr := range ps {
		lines = append(lines, pr.Error())
		if p.Name() == "local" {
			// A terminal reads the problem itself; a title would repeat its input's name.
			p.Log(platform.LevelError, "  "+pr.Error())
			continue
		}
		p.Annotate(platform.LevelError, "deploywatch: invalid input "+pr.Input, pr.Error())
	}
	reportInvalid(p, lines)
	return ExitInvalid
}

// runner carries one run through its mode.
type runner struct {
	env      Env
	p        redacting
	cfg      *config.Config
	warnings []string
	// ev reports the run to its sinks; cons prints it.
	ev   *events
	cons *console
}

func (r *runner) monitor(ctx context.Context) int {
	checks, err := buildChecks(r.cfg, r.env.Version)
	if err != nil {
		r.p.Annotate(platform.LevelError, "deploywatch: internal error", err.Error())
		return ExitInconclusive
	}
	startedAt := time.Now()
	if r.cfg.Mode == config.ModeMonitor && !r.cfg.StartedAt.IsZero() {
		startedAt = r.cfg.StartedAt
	}
	metricChecks, warnings, err := buildMetricChecks(ctx, r.cfg, startedAt, r.env.Version, r.env.Dir)
	var ps config.Problems
	switch {
	case errors.As(err, &ps):
		return invalid(r.p, err)
	case err != nil:
		return r.preflightFailed(ctx, startedAt, err)
	}
	for _, w := range warnings {
		r.warnings = append(r.warnings, w)
		r.p.Annotate(platform.LevelWarning, "deploywatch", w)
	}
	checks = append(checks, metricChecks...)
	ks, err := buildKube(ctx, r.env, r.cfg, startedAt, r.p.r)
	switch {
	case errors.As(err, &ps):
		return invalid(r.p, err)
	case err != nil:
		return r.preflightFailed(ctx, startedAt, err)
	}
	if ks != nil {
		for _, w := range ks.warnings {
			r.warnings = append(r.warnings, w)
			r.p.Annotate(platform.LevelWarning, "deploywatch", w)
		}
	}
	if len(checks) == 0 && ks == nil {
		return r.preflightFailed(ctx, startedAt, fmt.Errorf("%w: no check is left to run", errPreflight))
	}
	opts := monitor.Options{
		Checks: checks, FailOn: r.cfg.FailOn, Publisher: fanout{r.cons, r.ev}, StartedAt: startedAt,
		Plan: monitor.Plan{Warmup: r.cfg.Warmup, Schedule: r.cfg.Schedule, Interval: r.cfg.Interval, Cooldown: r.cfg.Cooldown},
	}
	if ks != nil {
		defer ks.follower.Stop()
		opts.Rollout, opts.RolloutChecks, opts.RolloutTimeout = ks.rollout, ks.checks, r.cfg.Kube.RolloutTimeout
	}
	r.cons.follow(opts.Plan)
	r.begin(ctx, startedAt, &opts)
	res := safeRun(ctx, r.env, opts)
	rep := sink.WithHandles(r.report(res), r.ev.handles())
	rep.Comparison = compare(ctx, r.cfg, rep, r.env.Version)
	if ks != nil && r.cfg.Kube.Rollback && res.Verdict == model.VerdictFailed && ctx.Err() == nil {
		r.p.Group("Rollback")
		rep.Rollback = ks.rollback(ctx, r.cfg, r.p.r)
		r.p.Log(platform.LevelInfo, "rollback: "+rep.Rollback.Message)
		r.p.EndGroup()
		r.ev.rolledBack(rep)
	}
	rep = r.finalize(ctx, rep)
	r.cons.verdictNote(rep)
	return exitCode(r.cfg, rep.Verdict)
}

// begin announces the start and sets when monitoring begins. A slow or hanging API must
// not hold the first check: the announce gets announceBudget, then goes on in the
// background (the sink's worker retries it) while the checks run.
func (r *runner) begin(ctx context.Context, startedAt time.Time, opts *monitor.Options) {
	actx, cancel := context.WithTimeout(ctx, announceBudget)
	defer cancel()
	r.announce(actx, startedAt, *opts)
	if r.cfg.Mode == config.ModeRun {
		// Monitoring begins now: the plan's offsets, the log's and detected_after_s count
		// from the first round of checks, not from the preflight and the announce before
		// it. Mode monitor keeps the started_at of mode start: its plan resumes from there.
		opts.StartedAt = time.Now()
	}
}

// fanout hands the monitor's events to several publishers in turn.
type fanout []monitor.Publisher

func (f fanout) Publish(ctx context.Context, ev model.Event) {
	for _, p := range f {
		p.Publish(ctx, ev)
	}
}

// safeRun runs the monitor; a crash becomes an inconclusive result so the run still ends
// with its outputs, report and final status.
func safeRun(ctx context.Context, env Env, o monitor.Options) (res model.Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(env.Stderr, "deploywatch: internal error: %v\n%s", p, debug.Stack())
			res = model.Result{StartedAt: start, FinishedAt: time.Now(), Verdict: model.VerdictInconclusive,
				Reason: fmt.Sprintf("deploywatch itself failed (internal error: %v); the deploy was not judged", p)}
		}
	}()
	return monitor.Run(ctx, o)
}

// exitCode maps a verdict to the contract's exit codes.
func exitCode(cfg *config.Config, v model.Verdict) int {
	if cfg.DryRun {
		return ExitOK
	}
	switch v {
	case model.VerdictHealthy, model.VerdictDegraded:
		return ExitOK
	case model.VerdictFailed:
		return ExitFailed
	}
	return ExitInconclusive
}

// preflightFailed ends a run whose backends cannot serve it: nothing was judged, so the
// verdict is inconclusive, and the report, outputs and summary say why.
func (r *runner) preflightFailed(ctx context.Context, startedAt time.Time, err error) int {
	reason := "the monitor could not start: " + strings.TrimPrefix(err.Error(), errPreflight.Error()+": ")
	r.p.Annotate(platform.LevelError, "deploywatch: preflight failed", reason)
	now := time.Now()
	rep := r.report(model.Result{StartedAt: startedAt, FinishedAt: now, Verdict: model.VerdictInconclusive, Reason: reason})
	r.finalize(ctx, rep)
	return ExitInconclusive
}
