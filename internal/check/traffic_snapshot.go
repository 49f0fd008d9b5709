package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/source"
)

// Snapshot is the baseline of a direct scrape, when there is no Prometheus history: the
// counters of the service's targets at one scrape before the deploy, saved by `deploywatch
// start` or read at the first scrape of a run whose targets are older than the deploy.
// Counters are cumulative since each process started, so they hold the old version's whole
// traffic; the request rate is measured apart (a lifetime's average is no current rate).
type Snapshot struct {
	Version     int       `json:"version"`
	Environment string    `json:"environment"`
	TakenAt     time.Time `json:"taken_at"`
	// Counts says what Requests, Errors and Buckets cover: "lifetime" (the targets'
	// counters summed: each process's traffic since it started) or "sample" (the traffic
	// of SpanSeconds, version 1).
	Counts   string       `json:"counts"`
	Requests float64      `json:"requests"`
	Errors   float64      `json:"errors"`
	Buckets  [][2]float64 `json:"buckets"` // [upper bound, cumulative count]; +Inf as 1e308
	// Rate is the request rate per second, RateFrom how it was measured: "sample" (between
	// two scrapes SpanSeconds apart), "process_start" (each target's requests over its
	// process's age) or "run" (the run measures it over its first seconds).
	Rate        float64 `json:"rate_per_s"`
	RateFrom    string  `json:"rate_from"`
	SpanSeconds float64 `json:"span_s,omitempty"`
	// OldestStart is the earliest process start of the targets, when they expose it.
	OldestStart time.Time      `json:"oldest_process_start,omitzero"`
	Targets     []string       `json:"targets"` // passwords redacted
	traffic     source.Traffic `json:"-"`
	live        *LiveBaseline  `json:"-"`
}

// How a snapshot's counts and rate were measured.
const (
	CountsLifetime       = "lifetime"
	CountsSample         = "sample"
	RateFromSample       = "sample"
	RateFromProcessStart = "process_start"
	RateFromRun          = "run"
)

// snapshotMaxAge is how old a snapshot may be and still stand for "before the deploy".
const snapshotMaxAge = 24 * time.Hour

// NewSnapshot records the targets' lifetime counters, summed; a rate is set apart.
func NewSnapshot(env string, takenAt time.Time, lifetime source.Traffic, targets []string) Snapshot {
	s := Snapshot{Version: 2, Environment: env, TakenAt: takenAt.UTC(), Counts: CountsLifetime,
		Requests: lifetime.Requests, Errors: lifetime.Errors}
	for _, t := range targets {
		s.Targets = append(s.Targets, redact.URL(t))
	}
	for _, b := range lifetime.Buckets {
		s.Buckets = append(s.Buckets, [2]float64{min(b.UpperBound, maxFloat), b.Count})
	}
	s.traffic = source.Traffic{Requests: lifetime.Requests, Errors: lifetime.Errors, Buckets: lifetime.Buckets}
	return s
}

// WithSampleRate sets the rate measured between two scrapes span apart.
func (s Snapshot) WithSampleRate(rate float64, span time.Duration) Snapshot {
	s.Rate, s.RateFrom, s.SpanSeconds = rate, RateFromSample, span.Seconds()
	return s
}

// WithProcessRate sets the rate of the processes since they started (oldest the earliest).
func (s Snapshot) WithProcessRate(rate float64, oldest time.Time) Snapshot {
	s.Rate, s.RateFrom, s.OldestStart = rate, RateFromProcessStart, oldest.UTC()
	return s
}

// WithRunRate leaves the rate to the run's first seconds, measured by l.
func (s Snapshot) WithRunRate(l *LiveBaseline) Snapshot {
	s.Rate, s.RateFrom, s.live = 0, RateFromRun, l
	return s
}

// maxFloat stands for +Inf in JSON, which cannot hold infinities.
const maxFloat = 1e308

// Save writes the snapshot, creating its directory.
func (s Snapshot) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode baseline snapshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save baseline snapshot: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save baseline snapshot: %w", err)
	}
	return nil
}

// LoadSnapshot reads a snapshot saved by a start run; a missing file is ErrNoBaseline, a
// stale or foreign one too (it would not describe the service before this deploy).
func LoadSnapshot(path, env string, now time.Time) (*Snapshot, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no start snapshot at %s", ErrNoBaseline, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read baseline snapshot: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil || (s.Version != 1 && s.Version != 2) {
		return nil, fmt.Errorf("%w: %s is not a baseline snapshot", ErrNoBaseline, path)
	}
	switch {
	case s.Environment != env:
		return nil, fmt.Errorf("%w: the start snapshot at %s is for environment %q", ErrNoBaseline, path, s.Environment)
	case now.Sub(s.TakenAt) > snapshotMaxAge:
		return nil, fmt.Errorf("%w: the start snapshot at %s is from %s", ErrNoBaseline, path, s.TakenAt.Format(time.RFC3339))
	}
	if s.Version == 1 {
		// Version 1 held the traffic of its span alone.
		s.Counts, s.RateFrom = CountsSample, RateFromSample
		if s.SpanSeconds > 0 {
			s.Rate = s.Requests / s.SpanSeconds
		}
	}
	s.traffic = source.Traffic{Requests: s.Requests, Errors: s.Errors}
	for _, b := range s.Buckets {
		ub := b[0]
		if ub >= maxFloat {
			ub = math.Inf(1)
		}
		s.traffic.Buckets = append(s.traffic.Buckets, source.Bucket{UpperBound: ub, Count: b[1]})
	}
	return &s, nil
}

// Baseline serves the snapshot's counts as every baseline window: it is the only one there
// is.
func (s *Snapshot) Baseline(context.Context, time.Time, time.Duration) (source.Traffic, error) {
	return s.traffic, nil
}

// BaselineRate is the snapshot's request rate, or the run's first seconds' when it left
// the rate to the run.
func (s *Snapshot) BaselineRate(ctx context.Context) (float64, error) {
	if s.RateFrom == RateFromRun && s.live != nil {
		return s.live.BaselineRate(ctx)
	}
	return s.Rate, nil
}

// Describe says in one line what the baseline is, for the log and the report.
func (s *Snapshot) Describe(now time.Time) string {
	counts := fmt.Sprintf("%s requests, %s errors", groupDigits(s.Requests), groupDigits(s.Errors))
	if p := source.Quantile(0.99, s.traffic.Buckets); !math.IsNaN(p) {
		counts += ", p99 " + model.UnitSeconds.Format(p)
	}
	switch {
	case s.Counts == CountsSample:
		counts += fmt.Sprintf(" over %s", shortDuration(time.Duration(s.SpanSeconds*float64(time.Second))))
	case !s.OldestStart.IsZero():
		counts += fmt.Sprintf(" since the old processes started (the oldest %s ago)", shortDuration(now.Sub(s.OldestStart)))
	default:
		counts += " since the old processes started"
	}
	var rate string
	switch s.RateFrom {
	case RateFromSample:
		rate = fmt.Sprintf("throughput %s over a %s sample", model.UnitPerSec.Format(s.Rate), shortDuration(time.Duration(s.SpanSeconds*float64(time.Second))))
	case RateFromProcessStart:
		rate = fmt.Sprintf("throughput %s since the processes started", model.UnitPerSec.Format(s.Rate))
	case RateFromRun:
		if s.live != nil {
			rate = "throughput from the run's first " + shortDuration(s.live.Span)
		}
	}
	if s.Counts == CountsSample || rate == "" {
		return "baseline: " + counts
	}
	return "baseline: " + counts + "; " + rate
}

var (
	_ BaselineReader = (*Snapshot)(nil)
	_ RateBaseline   = (*Snapshot)(nil)
)
