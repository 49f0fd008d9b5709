package check

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deploywatch/deploywatch/internal/source"
)

// ErrBaselinePending reports a baseline still being gathered: the run's own first seconds.
// A check that needs it waits (pending) rather than turning off.
var ErrBaselinePending = errors.New("baseline pending")

// RateBaseline is a baseline whose request rate is measured apart from its counts: a
// snapshot's counts cover the processes' lifetimes, whose average is no current rate.
type RateBaseline interface {
	BaselineRate(ctx context.Context) (float64, error)
}

// LiveBaseline is the baseline of a direct scrape with no start snapshot, when the targets
// are not known to predate the deploy: the traffic of the run's first Span, the new
// version's own. Checks relative to it judge drift within the run, not the deploy. It is
// ready once Span has passed since From; until then it is ErrBaselinePending.
type LiveBaseline struct {
	// Feed is the run's traffic, cumulative since From (the scraper's first scrape).
	Feed *Feed
	From time.Time
	Span time.Duration
}

// Baseline returns the traffic since From, once Span has passed.
func (l *LiveBaseline) Baseline(ctx context.Context, _ time.Time, _ time.Duration) (source.Traffic, error) {
	// No read before the span is over: a baseline still gathering must not cost a scrape.
	if d := time.Since(l.From); d < l.Span {
		return source.Traffic{}, fmt.Errorf("%w: the first %s of the run (%s so far)", ErrBaselinePending, shortDuration(l.Span), shortDuration(max(d, 0)))
	}
	at, cum, err := l.Feed.Latest(ctx)
	if err != nil {
		return source.Traffic{}, err
	}
	cum.Span, cum.At = at.Sub(l.From), time.Time{}
	if cum.Span <= 0 {
		return source.Traffic{}, fmt.Errorf("%w: no reading since the first scrape", ErrBaselinePending)
	}
	return cum, nil
}

// BaselineRate is the request rate of the run's first Span.
func (l *LiveBaseline) BaselineRate(ctx context.Context) (float64, error) {
	t, err := l.Baseline(ctx, time.Time{}, 0)
	if err != nil {
		return 0, err
	}
	return t.Requests / t.Span.Seconds(), nil
}

var (
	_ BaselineReader = (*LiveBaseline)(nil)
	_ RateBaseline   = (*LiveBaseline)(nil)
)

// groupDigits writes a count with thousands separators: 41200 → "41,200".
func groupDigits(v float64) string {
	s := analysisCount(v)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
