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

	"github.com/deploywatch/deploywatch/internal/source"
)

// Snapshot is the traffic of a service sampled before a deploy by `deploywatch start`, when
// there is no Prometheus history: the baseline of a direct scrape.
type Snapshot struct {
	Version     int            `json:"version"`
	Environment string         `json:"environment"`
	TakenAt     time.Time      `json:"taken_at"`
	SpanSeconds float64        `json:"span_s"`
	Requests    float64        `json:"requests"`
	Errors      float64        `json:"errors"`
	Buckets     [][2]float64   `json:"buckets"` // [upper bound, cumulative count]; +Inf as 1e308
	Targets     []string       `json:"targets"`
	traffic     source.Traffic `json:"-"`
}

// snapshotMaxAge is how old a snapshot may be and still stand for "before the deploy".
const snapshotMaxAge = 24 * time.Hour

// NewSnapshot records traffic sampled over span.
func NewSnapshot(env string, takenAt time.Time, span time.Duration, t source.Traffic, targets []string) Snapshot {
	s := Snapshot{Version: 1, Environment: env, TakenAt: takenAt.UTC(), SpanSeconds: span.Seconds(),
		Requests: t.Requests, Errors: t.Errors, Targets: targets}
	for _, b := range t.Buckets {
		s.Buckets = append(s.Buckets, [2]float64{min(b.UpperBound, maxFloat), b.Count})
	}
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
	if err := json.Unmarshal(b, &s); err != nil || s.Version != 1 {
		return nil, fmt.Errorf("%w: %s is not a baseline snapshot", ErrNoBaseline, path)
	}
	switch {
	case s.Environment != env:
		return nil, fmt.Errorf("%w: the start snapshot at %s is for environment %q", ErrNoBaseline, path, s.Environment)
	case now.Sub(s.TakenAt) > snapshotMaxAge:
		return nil, fmt.Errorf("%w: the start snapshot at %s is from %s", ErrNoBaseline, path, s.TakenAt.Format(time.RFC3339))
	}
	s.traffic = source.Traffic{Requests: s.Requests, Errors: s.Errors, Span: time.Duration(s.SpanSeconds * float64(time.Second))}
	for _, b := range s.Buckets {
		ub := b[0]
		if ub >= maxFloat {
			ub = math.Inf(1)
		}
		s.traffic.Buckets = append(s.traffic.Buckets, source.Bucket{UpperBound: ub, Count: b[1]})
	}
	return &s, nil
}

// Baseline serves the snapshot as every baseline window: it is the only one there is.
func (s *Snapshot) Baseline(context.Context, time.Time, time.Duration) (source.Traffic, error) {
	return s.traffic, nil
}

var _ BaselineReader = (*Snapshot)(nil)
