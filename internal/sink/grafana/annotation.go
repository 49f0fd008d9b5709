package grafana

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// annotation is the API's annotation, as created and as found. Times are Unix
// milliseconds; a point annotation has no timeEnd (Grafana answers it equal to time).
type annotation struct {
	ID           int64    `json:"id,omitempty"`
	DashboardUID string   `json:"dashboardUID,omitempty"`
	Time         int64    `json:"time,omitempty"`
	TimeEnd      int64    `json:"timeEnd,omitempty"`
	Tags         []string `json:"tags"`
	Text         string   `json:"text"`
}

// patchBody is what the end of a deploy changes: the region's end, its text and tags.
type patchBody struct {
	TimeEnd int64    `json:"timeEnd"`
	Text    string   `json:"text"`
	Tags    []string `json:"tags"`
}

// findLimit bounds the annotations a lookup reads: it covers two seconds of one
// environment's deploys.
const findLimit = 20

// create posts a, remembering under key that it may exist until Grafana confirms it.
func (s *Sink) create(ctx context.Context, key string, a annotation) (int64, error) {
	s.setUnsure(key, true)
	var out struct {
		ID int64 `json:"id"`
	}
	if err := s.do(ctx, "create annotation", http.MethodPost, "/api/annotations", a, &out); err != nil {
		return 0, err
	}
	if out.ID == 0 {
		return 0, &sink.Error{Op: "create annotation", Err: errors.New("the answer holds no annotation id")}
	}
	s.setUnsure(key, false)
	return out.ID, nil
}

// patch closes the region id with a's end, text and tags.
func (s *Sink) patch(ctx context.Context, id int64, a annotation) error {
	return s.do(ctx, "update annotation", http.MethodPatch, "/api/annotations/"+strconv.FormatInt(id, 10),
		patchBody{TimeEnd: a.TimeEnd, Text: a.Text, Tags: a.Tags}, nil)
}

// find lists the annotations carrying every tag that overlap [from, to].
func (s *Sink) find(ctx context.Context, tags []string, from, to int64) ([]annotation, error) {
	q := url.Values{"tags": tags}
	q.Set("from", strconv.FormatInt(from, 10))
	q.Set("to", strconv.FormatInt(to, 10))
	q.Set("limit", strconv.Itoa(findLimit))
	if s.cfg.DashboardUID != "" {
		q.Set("dashboardUID", s.cfg.DashboardUID)
	}
	var out []annotation
	err := s.do(ctx, "find annotation", http.MethodGet, "/api/annotations?"+q.Encode(), nil, &out)
	return out, err
}

// do calls the API at path; the text in bodies is HTML on purpose, already escaped where
// it has to be.
func (s *Sink) do(ctx context.Context, op, method, path string, body, out any) error {
	r := sink.Request{Op: op, Method: method, URL: s.base + path, Header: s.header.Clone(), JSON: body}
	r.Header.Set("Accept", "application/json")
	return sink.Do(ctx, s.cfg.Client, r, out)
}

// findRegion returns the id of the deploy's region starting at start (Unix ms), 0 when
// there is none. The start a later mode is given (started_at) has whole seconds, so a
// region of the same version drawn at 10:00:00.345 is found from 10:00:00 too; an exact
// time wins over that, the version's tag over none, then the oldest.
func (s *Sink) findRegion(ctx context.Context, r model.Report, start int64) (int64, error) {
	found, err := s.find(ctx, regionFindTags(r), start-1000, start+1000)
	if err != nil {
		return 0, err
	}
	version := report.VersionLabel(r)
	var best annotation
	bestScore := 0
	for _, a := range found {
		if s.cfg.DashboardUID != "" && a.DashboardUID != "" && a.DashboardUID != s.cfg.DashboardUID {
			continue
		}
		tagged := version != "" && slices.Contains(a.Tags, version)
		score := 0
		switch {
		case a.Time == start && tagged:
			score = 3
		case a.Time == start:
			score = 2
		case tagged && start%1000 == 0 && a.Time/1000 == start/1000:
			// Within the second but of another version would be another service's.
			score = 1
		default:
			continue
		}
		if score > bestScore || (score == bestScore && a.ID < best.ID) {
			best, bestScore = a, score
		}
	}
	return best.ID, nil
}

// findPoint reports whether the point annotation a already exists.
func (s *Sink) findPoint(ctx context.Context, a annotation) (bool, error) {
	found, err := s.find(ctx, a.Tags, a.Time, a.Time)
	if err != nil {
		return false, err
	}
	for _, f := range found {
		if f.Time == a.Time && f.Text == a.Text {
			return true, nil
		}
	}
	return false, nil
}
