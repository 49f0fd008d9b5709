package gitlabnote

import (
	"context"
	"strconv"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// target is where the note lives: a merge request, else a commit.
type target struct {
	mr  int64
	sha string
}

// url is the web address of note id at the target.
func (t target) url(c *gitlabapi.Client, id int64) string {
	anchor := "#note_" + strconv.FormatInt(id, 10)
	if t.mr > 0 {
		return c.ProjectURL("-", "merge_requests", strconv.FormatInt(t.mr, 10)) + anchor
	}
	return c.ProjectURL("-", "commit", t.sha) + anchor
}

// target resolves the note's place once. The run context names the merge request in a
// merge request pipeline (CI_MERGE_REQUEST_IID); in a branch pipeline the deployed
// commit's merge requests are looked up: an opened one first, else the merged one that
// brought the commit in.
func (s *Sink) target(ctx context.Context, run model.RunContext) (target, error) {
	s.mu.Lock()
	where := s.where
	s.mu.Unlock()
	if where != nil {
		return *where, nil
	}
	sha := run.DeployedSHA()
	t := target{sha: sha}
	switch {
	case s.cfg.Mode == ModeCommit:
	case run.PullRequest > 0:
		t = target{mr: int64(run.PullRequest)}
	case sha != "":
		mr, err := s.mergeRequestOf(ctx, sha)
		if err != nil {
			return target{}, err
		}
		if mr > 0 {
			t = target{mr: mr}
		}
	}
	if t.mr == 0 && t.sha == "" {
		return target{}, &sink.Error{Op: "find where to comment", Disable: true, Detail: "the run's commit is unknown"}
	}
	if t.mr == 0 && s.cfg.Mode == ModePR {
		return target{}, &sink.Error{Op: "find the merge request", Disable: true,
			Detail: "there is no merge request for commit " + report.ShortCommit(sha) + " (comment: pr); comment: auto notes on the commit instead"}
	}
	s.mu.Lock()
	s.where = &t
	s.mu.Unlock()
	return t, nil
}

// mergeRequestOf returns the IID of the deployed commit's merge request, 0 if none.
func (s *Sink) mergeRequestOf(ctx context.Context, sha string) (int64, error) {
	mrs, _, err := s.c.REST().Commits.ListMergeRequestsByCommit(s.c.Project(), sha, gitlab.WithContext(ctx))
	if err != nil {
		return 0, s.c.Classify("find the commit's merge request", err)
	}
	var merged int64
	for _, mr := range mrs {
		switch {
		case mr.State == "opened":
			return mr.IID, nil
		case mr.State == "merged" && merged == 0:
			merged = mr.IID
		}
	}
	return merged, nil
}
