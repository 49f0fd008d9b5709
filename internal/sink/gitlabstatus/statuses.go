package gitlabstatus

import (
	"context"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// need is what a refused token could not do, for the hint.
const need = "set commit statuses"

// read learns GitLab's view of the status unless it is known: the latest status of this
// name in the pipeline (on the ref when the pipeline is unknown). One still pending or
// running is the one a post moves on; a finished one is replaced by a post.
func (s *Sink) read(ctx context.Context, p params) error {
	s.mu.Lock()
	known := s.known
	s.mu.Unlock()
	if known {
		return nil
	}
	opts := &gitlab.GetCommitStatusesOptions{
		ListOptions: gitlab.ListOptions{PerPage: 100},
		Name:        gitlab.Ptr(StatusName(s.cfg.Environment)),
	}
	if p.pipeline != 0 {
		opts.PipelineID = gitlab.Ptr(p.pipeline)
	} else if p.ref != "" {
		opts.Ref = gitlab.Ptr(p.ref)
	}
	list, _, err := s.c.REST().Commits.GetCommitStatuses(s.c.Project(), p.sha, opts, gitlab.WithContext(ctx))
	if err != nil {
		return s.c.ClassifyNeeding("read commit status", err, need)
	}
	// Without all=true GitLab lists the latest status of each name and pipeline only; of
	// several pipelines (none given), the newest counts.
	var latest *gitlab.CommitStatus
	for _, st := range list {
		if st != nil && (latest == nil || st.ID > latest.ID) {
			latest = st
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.known, s.active, s.done = true, "", ""
	if latest != nil {
		if latest.Status == "pending" || latest.Status == "running" {
			s.active = latest.Status
		} else {
			s.done = latest.Status
		}
	}
	return nil
}

// post sets the status. A post that failed may have been carried out all the same (its
// answer lost): the status is read again before the next one.
func (s *Sink) post(ctx context.Context, p params, state, desc, target string) error {
	opts := &gitlab.SetCommitStatusOptions{
		State:       gitlab.BuildStateValue(state),
		Name:        gitlab.Ptr(StatusName(s.cfg.Environment)),
		Description: gitlab.Ptr(desc),
	}
	if p.ref != "" {
		opts.Ref = gitlab.Ptr(p.ref)
	}
	if p.pipeline != 0 {
		opts.PipelineID = gitlab.Ptr(p.pipeline)
	}
	if target != "" {
		opts.TargetURL = gitlab.Ptr(target)
	}
	_, _, err := s.c.REST().Commits.SetCommitStatus(s.c.Project(), p.sha, opts, gitlab.WithContext(ctx))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.known = false
		return s.c.ClassifyNeeding("set commit status", err, need)
	}
	if state == "pending" || state == "running" {
		s.active, s.done = state, ""
	} else {
		s.active, s.done = "", state
	}
	return nil
}
