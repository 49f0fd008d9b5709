package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/source"
	"github.com/deploywatch/deploywatch/internal/source/prometheus"
	"github.com/deploywatch/deploywatch/internal/source/scrape"
)

// preflightBudget bounds the checks made before monitoring starts: an unreachable backend
// is reported in seconds, not after minutes of silence.
const preflightBudget = 20 * time.Second

// errPreflight marks a backend that cannot serve the run (unreachable, no matching series):
// the monitor could not run, exit 3.
var errPreflight = errors.New("preflight")

// metricSetup is what the metric checks of a run share.
type metricSetup struct {
	prom    *prometheus.Client
	scraper *scrape.Scraper
	traffic *check.Feed
	// promTraffic is set when the traffic comes from Prometheus (it needs a zero point).
	promTraffic *check.PromTraffic
	baselines   check.BaselineReader
	warnings    []string
	// ownChecks is set when the user wrote metric checks of their own: the default traffic
	// checks are then optional, left out when the service has no request counter.
	ownChecks bool
}

// buildMetricChecks creates the sources and the metric checks, proves every backend and
// query answers (preflight), and reads the baselines. It returns configuration problems
// (exit 2) as config.Problems, backends that cannot serve the run wrapped in errPreflight
// (exit 3), and warnings for optional checks it dropped.
func buildMetricChecks(ctx context.Context, cfg *config.Config, start time.Time, version, dir string) ([]check.Check, []string, error) {
	m := cfg.Metrics
	if len(m.Checks) == 0 {
		return nil, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, preflightBudget)
	defer cancel()
	setup, err := newMetricSetup(ctx, cfg, start, version, dir)
	if err != nil {
		return nil, nil, err
	}
	for _, mc := range m.Checks {
		setup.ownChecks = setup.ownChecks || !mc.Traffic && mc.Kind == model.KindQuery
	}
	var checks []check.Check
	warnings := setup.warnings
	if m.PrometheusURL != "" && cfg.Kube.Deployment == "" {
		warnings = append(warnings, "cpu and memory checks are off: set deployment (and namespace) so that they judge the workload's own pods")
	}
	var problems config.Problems
	for _, mc := range m.Checks {
		c, warn, err := setup.check(ctx, cfg, mc, start)
		var qe *source.QueryError
		switch {
		case errors.As(err, &qe):
			problems = append(problems, config.Problem{Input: mc.Source, Value: qe.Query, HasValue: true, Msg: "Prometheus rejects the query: " + qe.Reason})
		case err != nil:
			return nil, nil, err
		case warn != "":
			warnings = append(warnings, warn)
		}
		if c != nil {
			checks = append(checks, c)
			checks = append(checks, setup.companions(cfg, mc, start)...)
		}
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	if setup.promTraffic != nil {
		if err := setup.promTraffic.Start(ctx, start); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", errPreflight, err)
		}
	}
	kept := checks[:0]
	for _, c := range checks {
		if p, ok := c.(check.Preparer); ok {
			err := p.Prepare(ctx)
			switch {
			case errors.Is(err, check.ErrNoBaseline):
				// A default judged against the baseline has nothing to compare with: off, and
				// said so, rather than every run ending inconclusive.
				what := "it compares with the traffic before the start (Prometheus history, or a start snapshot)"
				if c.Spec().Kind == model.KindHistory {
					what = fmt.Sprintf("it learns from the metric's last %s in Prometheus (history)", report.FormatDuration(cfg.Metrics.History))
				}
				warnings = append(warnings, fmt.Sprintf("%s check is off: %v; %s", c.Spec().Name, err, what))
				continue
			case err != nil:
				return nil, nil, fmt.Errorf("%w: %s: read the baseline: %v", errPreflight, c.Spec().Name, err)
			}
		}
		kept = append(kept, c)
	}
	return kept, warnings, nil
}

func newMetricSetup(ctx context.Context, cfg *config.Config, start time.Time, version, dir string) (*metricSetup, error) {
	m, s := cfg.Metrics, &metricSetup{}
	ua := "deploywatch/" + version
	if m.PrometheusURL != "" {
		p, err := prometheus.New(prometheus.Options{URL: m.PrometheusURL, Token: m.PrometheusToken, Headers: m.PrometheusHeaders, UserAgent: ua,
			Client: caClient(cfg, 0, nil)})
		if err != nil {
			return nil, config.Problems{{Input: "prometheus_url", Msg: err.Error()}}
		}
		if err := p.Ping(ctx); err != nil {
			return nil, fmt.Errorf("%w: prometheus_url: %v", errPreflight, err)
		}
		s.prom = p
		pt := check.NewPromTraffic(p, m.Selector)
		s.promTraffic, s.baselines = pt, pt
		s.traffic = check.NewFeed(pt)
	}
	if len(m.MetricsURLs) > 0 {
		sc, err := scrape.New(scrape.Options{Targets: m.MetricsURLs, Headers: cfg.HTTPHeaders, UserAgent: ua,
			Client: caClient(cfg, 0, sameHostRedirect)})
		if err != nil {
			return nil, config.Problems{{Input: "metrics_url", Msg: err.Error()}}
		}
		if err := sc.Ping(ctx); err != nil {
			if !errors.Is(err, scrape.ErrNoCounter) {
				return nil, fmt.Errorf("%w: metrics_url: %v", errPreflight, err)
			}
			// Reachable, but no request counter yet (no traffic since the process started,
			// or another metric name): monitoring goes on, and no data stays visible.
			s.warnings = append(s.warnings, "metrics_url: "+err.Error())
		}
		// A direct scrape is fresher than Prometheus (no scrape lag); Prometheus, when there
		// is one, still gives the history the baselines need.
		s.scraper, s.promTraffic = sc, nil
		s.traffic = check.NewFeed(scrapeTraffic{sc})
		if s.prom == nil {
			// Without Prometheus history, the baseline is what `deploywatch start` sampled,
			// else what the run's first scrapes give.
			snap, err := check.LoadSnapshot(snapshotPath(dir, cfg.Environment), cfg.Environment, time.Now())
			switch {
			case err == nil:
				s.baselines = snap
			case !errors.Is(err, check.ErrNoBaseline):
				s.warnings = append(s.warnings, err.Error())
			}
			if s.baselines == nil {
				var note string
				s.baselines, note = firstScrapeBaseline(ctx, cfg, sc, s.traffic, start)
				s.warnings = append(s.warnings, note)
			}
		}
	}
	return s, nil
}

// snapshotPath is where `deploywatch start` keeps the traffic it sampled for a direct
// scrape's baseline, in the workspace.
func snapshotPath(dir, environment string) string {
	safe := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, environment)
	return resolvePath(dir, filepath.Join(".deploywatch", "baseline-"+safe+".json"))
}

// snapshotSpanMax bounds how long `start` samples the service's rate: a baseline, not a
// delay.
const snapshotSpanMax = 15 * time.Second

// takeSnapshot saves the service's traffic before the deploy as the baseline of a later
// run: the targets' counters (each process's traffic since it started, a far larger sample
// than any wait), and the request rate, from the processes' age when
// they started within the baseline window, else over min(baseline, 15s) between two
// scrapes (the average of a long-lived process mixes in other hours).
func takeSnapshot(ctx context.Context, cfg *config.Config, version, dir string) (string, error) {
	sc, err := scrape.New(scrape.Options{Targets: cfg.Metrics.MetricsURLs, Headers: cfg.HTTPHeaders, UserAgent: "deploywatch/" + version,
		Client: caClient(cfg, 0, sameHostRedirect)})
	if err != nil {
		return "", err
	}
	first, err := sc.Scrape(ctx)
	if err != nil {
		return "", fmt.Errorf("sample the service before the deploy: %w", err)
	}
	snap := check.NewSnapshot(cfg.Environment, first.At, first.Lifetime(), cfg.Metrics.MetricsURLs)
	if rate, oldest, ok := processRate(first, cfg.Metrics.Baseline.Window); ok {
		snap = snap.WithProcessRate(rate, oldest)
	} else {
		timer := time.NewTimer(min(cfg.Metrics.Baseline.Window, snapshotSpanMax))
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-timer.C:
		}
		last, err := sc.Scrape(ctx)
		if err != nil {
			return "", fmt.Errorf("sample the service before the deploy: %w", err)
		}
		span := last.At.Sub(first.At)
		if last.Lifetime().Requests > first.Lifetime().Requests {
			// Still before the deploy, and more of it (unless a process restarted between).
			snap = check.NewSnapshot(cfg.Environment, last.At, last.Lifetime(), cfg.Metrics.MetricsURLs)
		}
		snap = snap.WithSampleRate(scrape.Window(first, last).Requests/span.Seconds(), span)
	}
	path := snapshotPath(dir, cfg.Environment)
	if err := snap.Save(path); err != nil {
		return "", err
	}
	return snap.Describe(time.Now()) + ", saved to " + path, nil
}

// processRate is the targets' request rate since their processes started, when every one
// exposes its start and none started before the baseline window.
func processRate(first scrape.Snapshot, window time.Duration) (float64, time.Time, bool) {
	oldest, _, ok := first.Started()
	if !ok || first.At.Sub(oldest) > window {
		return 0, time.Time{}, false
	}
	rate, ok := first.LifetimeRate()
	return rate, oldest, ok
}

// liveBaselineMax bounds the run's first seconds taken as a baseline without a warm-up.
const liveBaselineMax = 30 * time.Second

// firstScrapeBaseline is the baseline of a direct scrape without a start snapshot, and the
// line that explains it. The run's first scrape (the zero point of its totals) reads the
// targets' counters: when every target's process started before the baseline window that
// ends at the run's start, they are the old version's traffic and the baseline. Otherwise (new or unknown processes)
// the baseline is the run's first seconds (the warm-up, else up to the first checkpoint):
// relative checks then judge drift within the run, and the error rate its threshold alone.
func firstScrapeBaseline(ctx context.Context, cfg *config.Config, sc *scrape.Scraper, feed *check.Feed, start time.Time) (check.BaselineReader, string) {
	first, err := sc.Scrape(ctx)
	span := cfg.Warmup
	if span <= 0 {
		span = liveBaselineMax
		if len(cfg.Schedule) > 0 && cfg.Schedule[0] > 0 {
			span = min(cfg.Schedule[0], liveBaselineMax)
		}
	}
	live := &check.LiveBaseline{Feed: feed, From: first.At, Span: span}
	// `run` starts after the deploy, so a process that started shortly before it is most
	// likely the new version: only processes up since before the baseline window count
	// as the old version's.
	old, why := first.StartedBefore(start.Add(-cfg.Metrics.Baseline.Window))
	if !old && strings.Contains(why, "started after") {
		why = strings.Replace(why, "started after the deploy start", "started less than "+report.FormatDuration(cfg.Metrics.Baseline.Window)+" before the run, so they may be the new version", 1)
	}
	if err != nil {
		why = "the first scrape failed: " + err.Error()
	}
	if !old {
		return live, fmt.Sprintf("baseline: the first %s of the run (%s): p99 latency and throughput judge drift within the run, "+
			"the error rate its threshold; run `deploywatch start` before the deploy to compare with the old version", report.FormatDuration(span), why)
	}
	snap := check.NewSnapshot(cfg.Environment, first.At, first.Lifetime(), cfg.Metrics.MetricsURLs)
	if rate, oldest, ok := processRate(first, cfg.Metrics.Baseline.Window); ok {
		snap = snap.WithProcessRate(rate, oldest)
	} else {
		snap = snap.WithRunRate(live)
	}
	return &snap, snap.Describe(first.At) + " (the counters at the run's first scrape)"
}

// scrapeTraffic adapts the scraper to the checks' traffic reader: its totals run from its
// first scrape, the start of the run.
type scrapeTraffic struct{ s *scrape.Scraper }

func (a scrapeTraffic) Read(ctx context.Context) (source.Traffic, error) {
	snap, err := a.s.Scrape(ctx)
	if err != nil {
		return source.Traffic{}, err
	}
	return snap.Totals, nil
}

// signals maps metric kinds to the outputs they set.
var metricSignals = map[model.CheckKind]model.Signal{
	model.KindErrorRate: model.SignalErrorRate,
	model.KindLatency:   model.SignalLatency,
	model.KindCPU:       model.SignalResources,
	model.KindMemory:    model.SignalResources,
}

// check builds one metric check; a warning (with a nil check) drops an optional check
// whose data does not exist.
func (s *metricSetup) check(ctx context.Context, cfg *config.Config, mc config.MetricCheck, start time.Time) (check.Check, string, error) {
	spec := model.CheckSpec{
		Name: mc.Name, Kind: mc.Kind, Signal: metricSignals[mc.Kind], Target: mc.Query, Severity: mc.Severity,
		Persistence: mc.Persistence, EmergencyPersistence: mc.EmergencyPersistence, MaxProbeErrors: mc.MaxProbeErrors,
	}
	base := check.Baseline{Start: start, Window: cfg.Metrics.Baseline.Window, Offsets: cfg.Metrics.Baseline.Offsets}
	if mc.Traffic {
		return s.trafficCheck(ctx, mc, spec, base)
	}
	q := check.NewQuery(check.QueryConfig{
		Spec: spec, Querier: s.prom.WithTimeout(mc.Timeout), Query: mc.Query, Op: mc.Op, Threshold: mc.Threshold, Relative: mc.Relative,
		Unit: mc.Unit, OnNoData: mc.OnNoData, Baseline: base, PerSeries: mc.PerSeries,
	})
	err := q.Preflight(ctx)
	switch {
	case errors.Is(err, source.ErrNoData) && mc.Optional:
		return nil, fmt.Sprintf("%s check is off: its query has no data (%s); it needs cAdvisor and kube-state-metrics series of the workload's pods in namespace %s", mc.Name, mc.Query, cfg.Kube.Namespace), nil
	case errors.Is(err, source.ErrNoData):
		return q, fmt.Sprintf("%s: the query has no data right now (%s); no data counts against max_probe_errors (on_no_data: %s)", mc.Name, mc.Query, mc.OnNoData), nil
	case err != nil:
		var qe *source.QueryError
		if errors.As(err, &qe) {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("%w: %s: %v", errPreflight, mc.Name, err)
	}
	return q, "", nil
}

// trafficCheck builds the error-rate, latency or throughput check from the service's
// request counter and latency histogram.
func (s *metricSetup) trafficCheck(ctx context.Context, mc config.MetricCheck, spec model.CheckSpec, base check.Baseline) (check.Check, string, error) {
	if s.promTraffic != nil {
		// The counters must exist: a selector that matches nothing is a setup mistake to
		// report now, not five minutes of no data.
		if _, err := s.prom.Query(ctx, s.promTraffic.RequestsQuery(), time.Now()); err != nil {
			if errors.Is(err, source.ErrNoData) && s.ownChecks {
				return nil, fmt.Sprintf("%s check is off: no series match %s; your own checks run", mc.Name, s.promTraffic.RequestsQuery()), nil
			}
			if errors.Is(err, source.ErrNoData) {
				return nil, "", fmt.Errorf("%w: prometheus_url: no series match %s; set selector to the labels of the service's metrics", errPreflight, s.promTraffic.RequestsQuery())
			}
			return nil, "", fmt.Errorf("%w: prometheus_url: %v", errPreflight, err)
		}
		if mc.Kind == model.KindLatency {
			if _, err := s.prom.Query(ctx, s.promTraffic.BucketsQuery(), time.Now()); errors.Is(err, source.ErrNoData) {
				return nil, fmt.Sprintf("%s check is off: no series match %s (the service exposes no latency histogram)", mc.Name, s.promTraffic.BucketsQuery()), nil
			}
		}
	}
	cfg := check.TrafficConfig{Spec: spec, Feed: s.traffic, Baselines: s.baselines, Baseline: base, Query: mc.Query, OnNoData: mc.OnNoData}
	switch mc.Kind {
	case model.KindErrorRate:
		return check.NewErrorRate(cfg, analysis.ErrorRateRule{Threshold: mc.Threshold}), "", nil
	case model.KindLatency:
		rule := analysis.LatencyRule{Factor: mc.Threshold}
		if !mc.Relative {
			rule = analysis.LatencyRule{Absolute: time.Duration(mc.Threshold * float64(time.Second))}
		}
		return check.NewLatency(cfg, rule), "", nil
	case model.KindThroughput:
		return check.NewThroughput(cfg, mc.Threshold, 0), "", nil
	}
	return nil, "", fmt.Errorf("no traffic check of kind %s", mc.Kind)
}

// companions are the checks a metric gets beside its own, from Prometheus: its history
// (the band it keeps at this hour, and the anomaly detector) and its drift towards its
// limit.
func (s *metricSetup) companions(cfg *config.Config, mc config.MetricCheck, start time.Time) []check.Check {
	if s.prom == nil || mc.Query == "" {
		return nil
	}
	var out []check.Check
	m := cfg.Metrics
	if mc.Anomaly && m.History > 0 {
		spec := model.CheckSpec{Name: mc.Name + " vs history", Kind: model.KindHistory, Target: mc.Query,
			Severity: model.SeverityWarning, Persistence: max(mc.Persistence, 2), MaxProbeErrors: mc.MaxProbeErrors}
		out = append(out, check.NewHistory(check.HistoryConfig{Spec: spec, Querier: s.prom.WithTimeout(mc.Timeout), Query: mc.Query, Op: mc.Op,
			Unit: mc.Unit, Start: start, Window: m.History, Scorer: newScorer(mc.Unit), Threshold: anomalyThreshold}))
	}
	if mc.Trend {
		spec := model.CheckSpec{Name: mc.Name + " trend", Kind: model.KindTrend, Target: mc.Query,
			Severity: model.SeverityWarning, Persistence: 2, MaxProbeErrors: mc.MaxProbeErrors}
		end := start.Add(lastOf(cfg.Schedule) + cfg.Cooldown)
		out = append(out, check.NewTrend(check.TrendConfig{End: end, Query: check.QueryConfig{
			Spec: spec, Querier: s.prom.WithTimeout(mc.Timeout), Query: mc.Query, Op: mc.Op, Threshold: mc.Threshold, Relative: mc.Relative,
			Unit: mc.Unit, OnNoData: "inconclusive", PerSeries: mc.PerSeries,
			Baseline: check.Baseline{Start: start, Window: m.Baseline.Window, Offsets: m.Baseline.Offsets},
		}}))
	}
	return out
}

func lastOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)-1]
}
