package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/demo"
)

// demoPlan is the accelerated schedule of the tour: the default's shape (progressive
// checkpoints, then a cool-down) squeezed into half a minute.
var demoPlan = struct{ schedule, interval, cooldown, timeout, baseline string }{"2s,5s,10s,20s", "1s", "5s", "2s", "5s"}

// demoCommand runs the tour: an embedded service with traffic, a deploy, a fault, and the
// real monitor pipeline watching it, exactly as `deploywatch run` would.
func demoCommand(ctx context.Context, env Env, args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("scenario", demo.DefaultScenario().Name, "scenario to play")
	list := fs.Bool("list", false, "list the scenarios")
	reportPath := fs.String("report-path", "deploywatch-report.json", "where to write the JSON report")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printScenarios(env.Stdout)
			return ExitOK
		}
		fmt.Fprintf(env.Stderr, "deploywatch demo: %v\n", err)
		return ExitInvalid
	}
	if *list {
		printScenarios(env.Stdout)
		return ExitOK
	}
	sc, err := demo.LookupScenario(*name)
	if err != nil {
		fmt.Fprintf(env.Stderr, "deploywatch demo: %v\n", err)
		return ExitInvalid
	}
	oldRel, newRel := demo.NewRelease("1.4.1"), demo.NewRelease("1.4.2")
	svc, err := demo.Start(demo.Options{Initial: oldRel})
	if err != nil {
		fmt.Fprintf(env.Stderr, "deploywatch demo: start the demo service: %v\n", err)
		return ExitInconclusive
	}
	defer func() { _ = svc.Stop() }()
	trafficCtx, stopTraffic := context.WithCancel(ctx)
	trafficDone := make(chan struct{})
	go func() { defer close(trafficDone); svc.Traffic(trafficCtx, 100) }()

	w := env.Stdout
	fmt.Fprintf(w, "deploywatch demo: %s (scenario %q)\n", sc.Title, sc.Name)
	fmt.Fprintf(w, "  service    %s, embedded, with ~100 requests/s of background traffic\n", svc.URL())
	fmt.Fprintf(w, "  deploying  %s (%s) -> %s (%s)\n", oldRel.Version, oldRel.Commit[:7], newRel.Version, newRel.Commit[:7])
	fmt.Fprintf(w, "  watching   readiness, liveness, version, 2 smoke tests, and the error rate, p99 latency and\n")
	fmt.Fprintf(w, "             throughput from its /metrics; every %s, checkpoints %s, cool-down %s\n\n",
		demoPlan.interval, demoPlan.schedule, demoPlan.cooldown)
	runEnv := env
	runEnv.Getenv = demoGetenv(env.Getenv)
	runEnv.Environ = func() []string { return nil }
	runArgs := demoArgs(svc.URL(), newRel.Commit, *reportPath)
	// Before the deploy, `start` samples /metrics: the baseline of the metric checks.
	fmt.Fprintf(w, "before the deploy: deploywatch start samples /metrics for %s as the metrics baseline\n", demoPlan.baseline)
	code := runCommand(ctx, runEnv, "start", runArgs)
	if code != ExitOK {
		stopTraffic()
		<-trafficDone
		return code
	}
	fmt.Fprintln(w)
	svc.Deploy(newRel)
	fault := time.AfterFunc(sc.Onset, func() { svc.SetFault(sc.Fault) })
	defer fault.Stop()
	code = runCommand(ctx, runEnv, "run", runArgs)
	stopTraffic()
	<-trafficDone
	return demoEpilogue(w, env, sc, svc.Stats(), *reportPath, code)
}

// demoArgs are the flags of the monitored run: the same settings a user would pass.
func demoArgs(base, commit, reportPath string) []string {
	return []string{
		"--environment", "demo",
		// The tour has no CI run to read a commit from: it names the deploy as the default
		// does a run's commit, "Deploy <sha7> to <environment>", with the fake one it ships.
		"--description", "Deploy " + commit[:7] + " to demo",
		"--health-url", base + "/health/ready",
		"--live-url", base + "/health/live",
		"--info-url", base + "/health/info",
		"--expected-version", commit,
		"--smoke-tests", "GET " + base + `/api/v1/status .status == "ok"`,
		"--smoke-tests", "POST " + base + "/auth/health",
		"--schedule", demoPlan.schedule, "--interval", demoPlan.interval, "--cooldown", demoPlan.cooldown,
		"--http-timeout", demoPlan.timeout, "--report-path", reportPath,
		"--metrics-url", base + "/metrics", "--baseline", demoPlan.baseline,
	}
}

// demoGetenv hides the CI host from the tour: it always runs on the terminal, whatever the
// environment says, and reads no INPUT_ variables.
func demoGetenv(getenv func(string) string) func(string) string {
	return func(k string) string {
		if k == "NO_COLOR" || k == "TERM" {
			return getenv(k)
		}
		return ""
	}
}

func demoEpilogue(w io.Writer, env Env, sc demo.Scenario, st demo.TrafficStats, reportPath string, code int) int {
	errPct := 0.0
	if st.Requests > 0 {
		errPct = 100 * float64(st.Errors) / float64(st.Requests)
	}
	fmt.Fprintf(w, "\ntraffic during the run: %d requests, %d errors (%.1f%%), p50 %s, p99 %s\n",
		st.Requests, st.Errors, errPct, st.P50.Round(time.Millisecond), st.P99.Round(time.Millisecond))
	got := reportStatus(resolvePath(env.Dir, reportPath))
	var others []string
	for _, s := range demo.Scenarios() {
		if s.Name != sc.Name {
			others = append(others, s.Name)
		}
	}
	defer fmt.Fprintf(w, "try another: deploywatch demo --scenario %s\n", strings.Join(others, "|"))
	switch got {
	case sc.Expect:
		fmt.Fprintf(w, "the monitor reached the expected verdict for this scenario: %s (exit code %d in a pipeline)\n", got, code)
		return ExitOK
	case "cancelled":
		fmt.Fprintln(w, "the demo was interrupted")
		return code
	}
	fmt.Fprintf(w, "unexpected verdict %q for this scenario (expected %s)\n", got, sc.Expect)
	return ExitFailed
}

func reportStatus(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var r struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(b, &r) != nil {
		return ""
	}
	return r.Status
}

func printScenarios(w io.Writer) {
	fmt.Fprintln(w, "deploywatch demo [--scenario NAME] [--report-path FILE]\n\nscenarios:")
	for _, s := range demo.Scenarios() {
		def := ""
		if s.Name == demo.DefaultScenario().Name {
			def = " (default)"
		}
		fmt.Fprintf(w, "  %-11s %s; expect %s%s\n", s.Name, s.Title, s.Expect, def)
	}
}
