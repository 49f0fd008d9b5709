package sink

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// slowSnapshots takes delay to send a progress snapshot (forever when 0) and records
// whether each send finished or was cut.
type slowSnapshots struct {
	delay time.Duration
	mu    sync.Mutex
	log   []string
}

func (s *slowSnapshots) Name() string          { return "deployment status" }
func (s *slowSnapshots) MinGap() time.Duration { return 0 }

func (s *slowSnapshots) Send(ctx context.Context, ev Event) (bool, error) {
	entry := string(ev.Kind)
	if ev.Kind == KindProgress {
		wait := make(<-chan time.Time)
		if s.delay > 0 {
			wait = time.After(s.delay)
		}
		select {
		case <-wait:
			entry += " sent"
		case <-ctx.Done():
			entry += " cut"
		}
	}
	s.mu.Lock()
	s.log = append(s.log, entry)
	s.mu.Unlock()
	return false, nil
}

// A snapshot under way when the final event arrives may finish first, so the final
// status lands last; a hung one is cut after abortGrace, so it cannot hold the end up.
func TestFinalEventAndASnapshotUnderWay(t *testing.T) {
	for _, tt := range []struct {
		name      string
		delay     time.Duration
		want      []string
		wantFinal time.Duration // after Finish
	}{
		{name: "slow_snapshot_finishes_first", delay: 300 * time.Millisecond, want: []string{"started", "progress sent", "finished"}, wantFinal: 200 * time.Millisecond},
		{name: "hung_snapshot_is_cut", want: []string{"started", "progress cut", "finished"}, wantFinal: abortGrace},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &slowSnapshots{delay: tt.delay}
				d := New([]Sink{s}, Options{Jitter: noJitter})
				d.Publish(ev(KindStarted))
				d.Publish(ev(KindProgress))
				time.Sleep(100 * time.Millisecond) // the progress snapshot is on its way
				start := time.Now()
				d.Finish(t.Context(), ev(KindFinished))
				if took := time.Since(start); took != tt.wantFinal || !slices.Equal(s.log, tt.want) {
					t.Errorf("sent %q, the end %s after Finish; want %q after %s", s.log, took, tt.want, tt.wantFinal)
				}
			})
		})
	}
}
