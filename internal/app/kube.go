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
	ns := k.Namespace
	if cfg.Origins["namespace"].Layer == config.LayerDefault && client.Namespace != "" {
		// An explicit namespace input wins; else the kubeconfig context's, else "default".
		ns = client.Namespace
	}
	target, err := kube.ParseTarget(k.Deployment, ns)
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
		return nil, fmt.Errorf("%w: kubernetes: missing permissions: %s (the README lists a minimal Role)", errPreflight, strings.Join(missing, "; "))
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
	if cfg.Metrics.PrometheusURL == "" {
		// Without Prometheus, CPU and memory come from the metrics API, when the cluster
		// serves one (metrics-server); otherwise the check is off, and said so.
		if _, err := client.Kube.Discovery().ServerResourcesForGroupVersion("metrics.k8s.io/v1beta1"); err != nil {
			s.warnings = append(s.warnings, "pod resources check is off: the cluster serves no metrics API (metrics.k8s.io; install metrics-server, or set prometheus_url)")
		} else {
			s.checks = append(s.checks, check.NewPodResources(spec("pod resources", model.KindMemory, model.SignalResources, model.SeverityWarning),
				client.Metrics, pods, cfg.Metrics.CPUThreshold, cfg.Metrics.MemoryThreshold))
		}
	}
	return s, nil
}

// kubeFeatures are the features a run uses, for the permission preflight.
func kubeFeatures(cfg *config.Config) []kube.Feature {
	f := []kube.Feature{kube.FeatureRollout, kube.FeaturePods}
	if cfg.Kube.LogErrorPattern != "" {
		f = append(f, kube.FeatureLogs)
	}
	if cfg.Metrics.PrometheusURL == "" {
		f = append(f, kube.FeatureResources)
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
// kubectl rollout undo does, once; then it waits for that rollout and checks the pods, so
// the report says whether the service recovered. A dry run describes what it would do.
func (s *kubeSetup) rollback(ctx context.Context, cfg *config.Config, red *redact.Redactor) *model.Rollback {
	rb := &model.Rollback{Target: s.target.String(), DryRun: cfg.DryRun}
	res, err := kube.Undo(ctx, s.client.Kube, s.target, cfg.DryRun)
	if err != nil {
		rb.DryRun = false
		rb.Message = "rollback failed: " + red.String(err.Error())
		return rb
	}
	rb.FromRevision, rb.ToRevision, rb.Message = res.FromRevision, res.ToRevision, res.Message
	if cfg.DryRun {
		return rb
	}
	rb.Performed = true
	wctx, cancel := context.WithTimeout(ctx, cfg.Kube.RolloutTimeout)
	defer cancel()
	f, err := kube.Follow(wctx, s.client.Kube, s.target)
	if err != nil {
		rb.Message += "; could not follow the rollback: " + red.String(err.Error())
		return rb
	}
	defer f.Stop()
	select {
	case <-f.Done():
	case <-wctx.Done():
		rb.Message += fmt.Sprintf("; the previous revision did not roll out within %s", cfg.Kube.RolloutTimeout)
		return rb
	}
	st := f.Status()
	if st.Failed {
		rb.Message += "; the previous revision did not roll out either: " + st.Message
		return rb
	}
	pods := kube.NewPods(s.client.Kube, kube.PodSelection{Target: s.target, Selector: cfg.Kube.PodSelector, Start: time.Now(), Redact: red.String})
	report, err := pods.Snapshot(wctx)
	if err != nil {
		rb.Message += "; could not check the pods: " + red.String(err.Error())
		return rb
	}
	if issues := kube.Issues(report, true, 0, time.Now()); len(issues) > 0 {
		rb.Message += "; the previous revision is not healthy: " + issues[0].Message
		return rb
	}
	rb.Recovered = true
	rb.Message += fmt.Sprintf("; %d of %d pods ready on revision %d", countReady(report.New), len(report.New), res.ToRevision)
	return rb
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
