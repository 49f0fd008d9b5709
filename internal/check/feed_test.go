package check

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/source"
)

// TestFeedSharesAFailedRead is the regression test of a backend that hangs mid-run: the
// traffic checks of a round queue behind one read, and when it fails at its timeout they
// must share its error as they share a good reading, not each read (and wait) again. It
// was found end to end (TestFaultPrometheus/hangs_mid_run): with Prometheus hanging, each
// round took three query timeouts instead of one.
func TestFeedSharesAFailedRead(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const timeout = 10 * time.Second
		var reads atomic.Int32
		var hang atomic.Bool
		f := NewFeed(readerFunc(func(ctx context.Context) (source.Traffic, error) {
			reads.Add(1)
			if hang.Load() {
				time.Sleep(timeout)
				return source.Traffic{}, errors.New("no answer within 10s")
			}
			return source.Traffic{Requests: float64(reads.Load())}, nil
		}))
		if _, _, err := f.Latest(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // the next round
		hang.Store(true)
		reads.Store(0)
		// The checks of a round ask one after the other (they queue on the feed's lock).
		start := time.Now()
		for range 3 { // error rate, latency, throughput
			if _, _, err := f.Latest(t.Context()); err == nil {
				t.Error("a failed read was not reported")
			}
		}
		if n, took := reads.Load(), time.Since(start); n != 1 || took != timeout {
			t.Errorf("%d reads taking %s for one round, want 1 taking %s", n, took, timeout)
		}
		// The next round reads again: an error is shared within a round only.
		time.Sleep(time.Second)
		hang.Store(false)
		if _, _, err := f.Latest(t.Context()); err != nil {
			t.Errorf("the backend is back, but the feed still says %v", err)
		}
	})
}

// TestPromTrafficStampsTheTimeRead is the regression test of a backend that hangs in the
// middle of a read: the counters came back, then the query for the data's time timed out.
// The reading was stamped when the read ended, a timeout after the counters' time, and the
// rate over it showed a traffic drop that never happened (TestFaultPrometheus/hangs_mid_run
// ended degraded: "traffic dropped: 8.54 req/s (baseline 93.3 req/s)"). The reading keeps
// the time the counters were read at.
func TestPromTrafficStampsTheTimeRead(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := NewPromTraffic(nil, `job="api"`)
		p.q = &scriptedQuerier{instant: map[string]func(time.Time) ([]source.Sample, error){
			p.requests: value(1000),
			p.buckets:  value(0),
			p.newest: func(time.Time) ([]source.Sample, error) {
				time.Sleep(10 * time.Second)
				return nil, errors.New("no answer within 10s")
			},
		}}
		start := time.Now()
		got, err := p.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !got.At.Equal(start) || got.Requests != 1000 {
			t.Errorf("reading %v at +%s, want 1000 requests at +0s", got.Requests, got.At.Sub(start))
		}
	})
}
