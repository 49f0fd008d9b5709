package sink

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// slowSink takes a second per event.
type slowSink struct {
	mu  sync.Mutex
	got []Kind
}

func (s *slowSink) Name() string { return "slow chat" }

func (s *slowSink) Send(ctx context.Context, ev Event) (bool, error) {
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return false, ctx.Err()
	}
	s.mu.Lock()
	s.got = append(s.got, ev.Kind)
	s.mu.Unlock()
	return false, nil
}

// A sink slower than the run keeps a bounded backlog: intermediate events are dropped,
// oldest first, the start and the end are delivered, and the run is told once.
func TestBacklogIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &slowSink{}
		d := New([]Sink{s}, Options{Jitter: noJitter})
		d.Publish(ev(KindStarted))
		for range 1000 { // a check flapping far faster than the sink answers
			d.Publish(ev(KindFinding))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
		defer cancel()
		warnings := d.Finish(ctx, ev(KindFinished))
		if n := len(s.got); n > maxQueue+2 || s.got[0] != KindStarted || s.got[n-1] != KindFinished {
			t.Errorf("sent %d events, first %s, last %s: want at most %d, the start first and the end last", n, s.got[0], s.got[n-1], maxQueue+2)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "slow chat: is slower than the run") {
			t.Errorf("warnings %q: want one about the dropped events", warnings)
		}
	})
}
