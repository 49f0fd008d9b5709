// Package source defines where metric checks get their numbers: a PromQL backend
// (Prometheus and compatibles: Thanos, Mimir, VictoriaMetrics) or the service's own
// /metrics endpoint scraped directly. Implementations live in subpackages (prometheus,
// scrape); checks depend only on the interfaces here.
package source

import (
	"context"
	"errors"
	"time"
)

// ErrNoData reports an answer without a usable value: an empty vector, or NaN. It is not
// a failure of the backend: the rules decide what no data means for a check.
var ErrNoData = errors.New("no data")

// Sample is one series of an instant query's answer.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Point is one value of a range query's series.
type Point struct {
	T time.Time
	V float64
}

// Series is one series of a range query's answer.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Querier evaluates PromQL.
type Querier interface {
	// Query evaluates q at the instant at. An empty answer, or one whose every value is
	// NaN, is ErrNoData (wrapped with the query). A query the backend rejects (bad PromQL)
	// returns a *QueryError.
	Query(ctx context.Context, q string, at time.Time) ([]Sample, error)
	// QueryRange evaluates q over [start, end] every step.
	QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]Series, error)
	// Ping checks that the backend answers queries at all (the preflight).
	Ping(ctx context.Context) error
}

// QueryError is a query the backend refused as invalid: a configuration problem, not an
// outage.
type QueryError struct {
	Query string
	// Reason is the backend's message, e.g. `parse error: unexpected end of input`.
	Reason string
}

func (e *QueryError) Error() string { return "invalid query: " + e.Reason }

// Traffic is what a window of a service's HTTP traffic looked like: counts, and the latency
// histogram (cumulative buckets, as Prometheus exposes them).
type Traffic struct {
	// Requests and Errors (5xx answers) in the window.
	Requests float64
	Errors   float64
	// Buckets is the latency histogram of the window: cumulative counts per upper bound
	// (seconds), ascending, ending with +Inf. Empty when the service exposes none.
	Buckets []Bucket
	// Span is how long the window lasted, when known (a baseline); rates divide by it.
	Span time.Duration
	// At is when the newest data of a cumulative reading was observed (a backend's newest
	// sample); zero when only the time of reading can tell. Rates are taken over data time:
	// a backend that has not scraped since the last reading shows no new traffic, and that
	// must read as no news, not as traffic stopping.
	At time.Time
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	UpperBound float64
	Count      float64
}
