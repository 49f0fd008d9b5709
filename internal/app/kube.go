package app

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/kube"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// podGrace is how long a new pod may take to become ready before "not ready" counts.
const podGrace = 30 * time.Second

// kubeSetup is the Kubernetes side of a run: the workload, its rollout and the checks of
// its pods.
type kubeSetup struct {
	client  *kube.Client
	target  kube.Target
	rollout *check.RolloutCheck
	// checks run from the rollout on.
	checks   []check.Check
	follower *kube.Follower
	warnings []string
}

// buildKube connects to the cluster, proves the permissions every enabled feature needs
// (one line per missing permission), and builds the rollout follower and the pod checks.
// A kubeconfig that cannot be read is a configuration problem (exit 2); an API that cannot
// be reached or permissions that are missing stop the run at once (exit 3).
func buildKube(ctx context.Context, env Env, cfg *config.Config, start time.Time, red *redact.Redactor) (*kubeSetup, error) {
	k := cfg.Kube
	if k.Deployment == "" {
		return nil, nil
	}
	client, err := kube.NewClient(kube.AccessOptions{Kubeconfig: k.Kubeconfig, Context: k.Context, Getenv: env.Getenv, UserAgent: "deploywatch/" + env.Version})
	if err != nil {
		return nil, config.Problems{{Input: "kubeconfig", Msg: red.String(err.Error())}}
	}
	target, err := kube.ParseTarget(k.Deployment, kubeNamespace(k.Namespace, client.Namespace))
	if err != nil {
		return nil, config.Problems{{Input: "deployment", Value: k.Deployment, HasValue: true, Msg: err.Error()}}
	}
	pctx, cancel := context.WithTimeout(ctx, preflightBudget)
	defer cancel()
	missing, err := kube.Preflight(pctx, client.Kube, target, kubeFeatures(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w: kubernetes: %s", errPreflight, red.String(err.Error()))
	}
	if len(missing) > 0 {
		// One line each in the annotation; "; " keeps them apart where lines are joined.
		return nil, fmt.Errorf("%w: kubernetes: missing permissions (the README lists a minimal Role):\n%s", errPreflight, strings.Join(missing, ";\n"))
	}
	// Without Prometheus, CPU and memory come from the metrics API (metrics-server). That
	// check is one nobody asked for by name: when the API is not served, cannot be read,
	// or is not granted, it is off with a warning saying which, and the run goes on.
	var warnings []string
	metrics := false
	if cfg.Metrics.PrometheusURL == "" {
		served, merr := kube.MetricsServed(pctx, client.Kube)
		switch {
		case merr != nil:
			warnings = append(warnings, "pod resources check is off: the metrics API (metrics.k8s.io) could not be read: "+red.String(merr.Error()))
		case !served:
			warnings = append(warnings, "pod resources check is off: the cluster serves no metrics API (metrics.k8s.io; install metrics-server, or set prometheus_url)")
		default:
			denied, perr := kube.Preflight(pctx, client.Kube, target, []kube.Feature{kube.FeatureResources})
			switch {
			case perr != nil:
				warnings = append(warnings, "pod resources check is off: "+red.String(perr.Error()))
			case len(denied) > 0:
				warnings = append(warnings, "pod resources check is off: "+strings.Join(denied, "; ")+" (the README's Role grants it)")
			default:
				metrics = true
			}
		}
	}
	follower, err := kube.Follow(ctx, client.Kube, target)
	if err != nil {
		return nil, fmt.Errorf("%w: kubernetes: follow %s: %s", errPreflight, target, red.String(err.Error()))
	}
	s := &kubeSetup{client: client, target: target, follower: follower}
	spec := func(name string, kind model.CheckKind, signal model.Signal, sev model.Severity) model.CheckSpec {
		return model.CheckSpec{Name: name, Kind: kind, Signal: signal, Target: target.String(), Severity: sev,
			Persistence: 1, MaxProbeErrors: cfg.MaxProbeErrors}
	}
	// Every pod signal is already a persisting condition (a waiting reason, a restart
	// count), not a blip: persistence 1.
	s.rollout = check.NewRollout(spec("rollout", model.KindRollout, model.SignalPods, model.SeverityCritical), follower)
	pods := kube.NewPods(client.Kube, kube.PodSelection{Target: target, Selector: k.PodSelector, Start: start, Redact: red.String})
	done := func() bool { return isDone(follower.Done()) }
	s.checks = append(s.checks,
		check.NewPodHealth(spec("pods", model.KindPods, model.SignalPods, model.SeverityCritical), pods, done, podGrace),
		check.NewRestarts(spec("restarts", model.KindRestarts, model.SignalRestarts, model.SeverityCritical), pods, int32(k.MaxRestarts)),
	)
	if k.LogErrorPattern != "" {
		// Validated when the configuration loaded.
		re := regexp.MustCompile(k.LogErrorPattern)
		w := kube.NewLogWatch(client.Kube, target.Namespace, re, start, red.String)
		s.checks = append(s.checks, check.NewLogErrors(spec("log errors", model.KindLogs, model.SignalUnspecified, model.SeverityCritical), w, pods, k.MaxLogErrors))
	}
	if metrics {
		s.checks = append(s.checks, check.NewPodResources(spec("pod resources", model.KindMemory, model.SignalResources, model.SeverityWarning),
			client.Metrics, pods, cfg.Metrics.CPUThreshold, cfg.Metrics.MemoryThreshold))
	}
	s.warnings = append(s.warnings, warnings...)
	return s, nil
}

// kubeNamespace is the workload's namespace: the namespace input, but its default
// "default" defers to the kubeconfig context's namespace (the pod's, in a cluster) when
// there is one, as kubectl without -n does. The value decides, not where it came from: the
// GitHub runner and the GitLab template pass the default as if it had been set.
func kubeNamespace(input, contextNS string) string {
	if input == metav1.NamespaceDefault && contextNS != "" {
		return contextNS
	}
	return input
}

// crashLoopSignals are the signals a finding of a pod check sets besides its own: a
// container the kubelet holds in CrashLoopBackOff is unhealthy and in a restart loop at
// once. The pod checks run together and the first fatal finding ends the round, so
// whichever of them reports the loop first must set both.
func crashLoopSignals(f model.Finding) []model.Signal {
	for _, p := range f.Parts {
		switch {
		case p.Reason != kube.ReasonCrashLoop:
		case f.Kind == model.KindPods:
			return []model.Signal{model.SignalRestarts}
		case f.Kind == model.KindRestarts:
			return []model.Signal{model.SignalPods}
		}
	}
	return nil
}

// kubeFeatures are the features a run needs, for the permission preflight; the pod
// resources check is asked for on its own, and only turns itself off.
func kubeFeatures(cfg *config.Config) []kube.Feature {
	f := []kube.Feature{kube.FeatureRollout, kube.FeaturePods}
	if cfg.Kube.LogErrorPattern != "" {
		f = append(f, kube.FeatureLogs)
	}
	if cfg.Kube.Rollback {
		f = append(f, kube.FeatureRollback)
	}
	return f
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// rollback undoes a failed deploy when rollback is on: back to the previous revision, as
// kubectl rollout undo does, once; then it waits for that rollout and watches the pods, so
// the report says whether the service recovered. A dry run describes what it would do.
func (s *kubeSetup) rollback(ctx context.Context, cfg *config.Config, red *redact.Redactor) *model.Rollback {
	return rollbackWorkload(ctx, s.client.Kube, s.target, rollbackOptions{
		dryRun: cfg.DryRun, timeout: cfg.Kube.RolloutTimeout, selector: cfg.Kube.PodSelector, redact: red.String})
}

// The pods of the restored revision must stay ready, with no restart, for rollbackSettle
// within rollbackVerify (capped by rollout_timeout, the settle time by a third of it) for
// the rollback to count as recovered: one instant would take a crash-looping container
// between two crashes, or a pod not yet ready, for the answer.
const (
	rollbackVerify = 30 * time.Second
	rollbackSettle = 10 * time.Second
	rollbackPoll   = time.Second
)

type rollbackOptions struct {
	dryRun bool
	// timeout bounds the rollout of the restored revision (rollout_timeout).
	timeout  time.Duration
	selector string
	redact   func(string) string
}

// rollbackWorkload undoes t once and verifies the result.
func rollbackWorkload(ctx context.Context, c kubernetes.Interface, t kube.Target, o rollbackOptions) *model.Rollback {
	rb := &model.Rollback{Target: t.String(), DryRun: o.dryRun}
	// Restarts count from just before the patch: every restart of a restored pod counts.
	start := time.Now()
	res, err := kube.Undo(ctx, c, t, o.dryRun)
	if err != nil {
		rb.DryRun = false
		rb.Message = "rollback failed: " + o.redact(err.Error())
		return rb
	}
	rb.FromRevision, rb.ToRevision, rb.Message = res.FromRevision, res.ToRevision, res.Message
	if res.NothingToUndo {
		// Neither done nor to be done: the summary must not say "rolled back".
		rb.DryRun = false
		return rb
	}
	if o.dryRun {
		return rb
	}
	rb.Performed = true
	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	f, err := kube.Follow(wctx, c, t)
	if err != nil {
		rb.Message += "; could not follow the rollback: " + o.redact(err.Error())
		return rb
	}
	defer f.Stop()
	select {
	case <-f.Done():
	case <-wctx.Done():
		rb.Message += fmt.Sprintf("; the previous revision did not roll out within %s", o.timeout)
		return rb
	}
	st := f.Status()
	if st.Failed {
		rb.Message += "; the previous revision did not roll out either: " + st.Message
		return rb
	}
	pods := kube.NewPods(c, kube.PodSelection{Target: t, Selector: o.selector, Start: start, Redact: o.redact})
	ok, msg := settlePods(ctx, pods, min(rollbackVerify, o.timeout), res.ToRevision, o.redact)
	rb.Recovered = ok
	rb.Message += "; " + msg
	return rb
}

// settlePods watches the restored revision's pods for up to window: recovered once all of
// them (at least the desired count) have been ready, with no restart and no fatal issue,
// for a third of window (at most rollbackSettle). A fatal issue or a restart ends it at
// once, unrecovered.
func settlePods(ctx context.Context, pods *kube.Pods, window time.Duration, rev int64, redact func(string) string) (bool, string) {
	settle := min(rollbackSettle, window/3)
	deadline := time.Now().Add(window)
	tick := time.NewTicker(max(min(rollbackPoll, settle/2), time.Millisecond))
	defer tick.Stop()
	var readySince time.Time
	for {
		report, err := pods.Snapshot(ctx)
		now := time.Now()
		st := settleStep(report, err, now, redact)
		switch {
		case st.failed:
			return false, "the previous revision is not healthy: " + st.text
		case !st.ready:
			readySince = time.Time{}
		case readySince.IsZero():
			readySince = now
		}
		switch {
		case st.ready && now.Sub(readySince) >= settle:
			return true, fmt.Sprintf("%s on revision %d for %s, with no restart", st.text, rev, settle)
		case !now.Before(deadline):
			return false, fmt.Sprintf("the previous revision's pods did not settle within %s: %s", window, st.text)
		}
		select {
		case <-ctx.Done():
			return false, "the check of the previous revision's pods was cut short: " + st.text
		case <-tick.C:
		}
	}
}

// settleState is one look at the restored pods.
type settleState struct {
	// ready: all of them, at least the desired count; failed: a fatal issue or a restart.
	ready, failed bool
	text          string
}

// settleStep judges one snapshot of the restored pods.
func settleStep(r kube.PodReport, err error, now time.Time, redact func(string) string) settleState {
	if err != nil {
		// A failed read says nothing about the pods: the next one may answer.
		return settleState{text: "could not read the pods: " + redact(err.Error())}
	}
	for _, is := range kube.Issues(r, true, 0, now) {
		if is.Fatal {
			return settleState{failed: true, text: is.Message}
		}
	}
	if cr := kube.Restarts(r, 0); len(cr) > 0 {
		times := "times"
		if cr[0].Restarts == 1 {
			times = "time"
		}
		return settleState{failed: true, text: fmt.Sprintf("pod %s: container %s restarted %d %s since the rollback",
			cr[0].Pod, cr[0].Container, cr[0].Restarts, times)}
	}
	ready, want := countReady(r.New), max(int(r.Desired), len(r.New), 1)
	return settleState{ready: ready == want, text: fmt.Sprintf("%d of %d pods ready", ready, want)}
}

func countReady(pods []kube.PodState) int {
	n := 0
	for _, p := range pods {
		if p.Ready {
			n++
		}
	}
	return n
}
