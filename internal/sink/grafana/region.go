package grafana

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// open creates the region at the start. A resumed run, or a start retried after a lost
// answer, first looks for the region an earlier attempt or `deploywatch start` created.
func (s *Sink) open(ctx context.Context, ev sink.Event) error {
	if s.regionID() != 0 {
		return nil
	}
	a := regionStart(ev, s.cfg.DashboardUID)
	if ev.Kind == sink.KindResumed || s.isUnsure(regionKey) {
		id, err := s.findRegion(ctx, ev.Report, a.Time)
		if err != nil {
			return err
		}
		if id != 0 {
			s.setRegion(id)
			return nil
		}
	}
	id, err := s.create(ctx, regionKey, a)
	if err != nil {
		return err
	}
	s.setRegion(id)
	return nil
}

// close sets the region's end and final text. Without a region (mode finish, or a start
// that never got through), it finds the region or creates it whole.
func (s *Sink) close(ctx context.Context, ev sink.Event) error {
	a := regionEnd(ev, s.cfg.DashboardUID)
	id := s.regionID()
	if id == 0 {
		found, err := s.findRegion(ctx, ev.Report, a.Time)
		if err != nil {
			return err
		}
		id = found
	}
	if id != 0 {
		err := s.patch(ctx, id, a)
		var se *sink.Error
		if !errors.As(err, &se) || se.Status != http.StatusNotFound {
			return err
		}
		// Someone deleted the region since: draw it again rather than turn the sink off.
		s.setRegion(0)
	}
	id, err := s.create(ctx, regionKey, a)
	if err != nil {
		return err
	}
	s.setRegion(id)
	return nil
}

// point adds a point annotation once: a retry after a lost answer looks for it first.
func (s *Sink) point(ctx context.Context, a annotation) error {
	key := fmt.Sprintf("point %d %s", a.Time, a.Text)
	if s.isUnsure(key) {
		found, err := s.findPoint(ctx, a)
		if err != nil || found {
			if found {
				s.setUnsure(key, false)
			}
			return err
		}
	}
	_, err := s.create(ctx, key, a)
	return err
}

const regionKey = "region"

func (s *Sink) regionID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.region
}

func (s *Sink) setRegion(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.region = id
}

func (s *Sink) isUnsure(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unsure[key]
}

func (s *Sink) setUnsure(key string, unsure bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if unsure {
		s.unsure[key] = true
	} else {
		delete(s.unsure, key)
	}
}
