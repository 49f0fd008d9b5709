package app

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/source"
	"github.com/deploywatch/deploywatch/internal/source/prometheus"
)

// compareBudget bounds the queries that set this deploy beside the last healthy one.
const compareBudget = 10 * time.Second

// comparableKinds are the metrics worth setting side by side.
var comparableKinds = []model.CheckKind{model.KindErrorRate, model.KindLatency, model.KindCPU, model.KindMemory, model.KindQuery}

// compare sets the run's metrics beside those of the environment's last healthy deploy
// (from the deployment history), over as long after it as this run lasted. It needs
// Prometheus and a healthy deploy in the history; otherwise it returns nil.
func compare(ctx context.Context, cfg *config.Config, rep model.Report, version string) *model.Comparison {
	if cfg.Metrics.PrometheusURL == "" || rep.StartedAt.IsZero() || !rep.FinishedAt.After(rep.StartedAt) {
		return nil
	}
	last, ok := lastHealthy(rep.History, rep.StartedAt)
	if !ok {
		return nil
	}
	p, err := prometheus.New(prometheus.Options{URL: cfg.Metrics.PrometheusURL, Token: cfg.Metrics.PrometheusToken,
		Headers: cfg.Metrics.PrometheusHeaders, UserAgent: "deploywatch/" + version, Client: caClient(cfg, 0, nil)})
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, compareBudget)
	defer cancel()
	span := rep.FinishedAt.Sub(rep.StartedAt)
	c := &model.Comparison{With: last}
	for _, mc := range cfg.Metrics.Checks {
		if mc.Query == "" || !slices.Contains(comparableKinds, mc.Kind) {
			continue
		}
		now, okNow := medianOver(ctx, p, mc.Query, rep.StartedAt, span)
		then, okThen := medianOver(ctx, p, mc.Query, last.CreatedAt, span)
		if okNow && okThen {
			c.Rows = append(c.Rows, model.ComparisonRow{Metric: mc.Name, Unit: mc.Unit, Now: now, Then: then})
		}
	}
	if len(c.Rows) == 0 {
		return nil
	}
	return c
}

// lastHealthy is the newest successful deploy before start.
func lastHealthy(history []model.PastDeployment, start time.Time) (model.PastDeployment, bool) {
	for _, d := range history { // newest first
		if d.State == "success" && !d.CreatedAt.IsZero() && d.CreatedAt.Before(start) {
			return d, true
		}
	}
	return model.PastDeployment{}, false
}

// medianOver is the median of a query over span from from.
func medianOver(ctx context.Context, q source.Querier, query string, from time.Time, span time.Duration) (float64, bool) {
	series, err := q.QueryRange(ctx, query, from, from.Add(span), max(span/30, 15*time.Second))
	if err != nil || len(series) != 1 {
		return 0, false
	}
	var vs []float64
	for _, pt := range series[0].Points {
		if !math.IsNaN(pt.V) && !math.IsInf(pt.V, 0) {
			vs = append(vs, pt.V)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2, true
	}
	return vs[len(vs)/2], true
}
