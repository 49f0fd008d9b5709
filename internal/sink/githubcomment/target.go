package githubcomment

import (
	"context"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// target is where the comment lives: a pull request's conversation, else a commit.
type target struct {
	pr  int
	sha string
}

// target resolves the comment's place once. The run context names the pull request on
// pull_request and workflow_run events (GITHUB_SHA is a merge commit there, so looking it
// up would find nothing); on other events the deployed commit's pull requests are looked
// up: an open one first, else the merged one that brought the commit in.
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
		t = target{pr: run.PullRequest}
	case sha != "":
		pr, err := s.pullRequestOf(ctx, sha)
		if err != nil {
			return target{}, err
		}
		if pr > 0 {
			t = target{pr: pr}
		}
	}
	if t.pr == 0 && t.sha == "" {
		return target{}, &sink.Error{Op: "find where to comment", Disable: true, Detail: "the run's commit is unknown"}
	}
	if t.pr == 0 && s.cfg.Mode == ModePR {
		return target{}, &sink.Error{Op: "find the pull request", Disable: true,
			Detail: "there is no pull request for commit " + report.ShortCommit(sha) + " (comment: pr); comment: auto comments on the commit instead"}
	}
	s.mu.Lock()
	s.where = &t
	s.mu.Unlock()
	return t, nil
}

// pullRequestOf returns the number of the deployed commit's pull request, 0 if none: an
// open one first, else the merged one. The client answers from the run's first GraphQL
// query when the deployment sink made it, else with one query of its own.
func (s *Sink) pullRequestOf(ctx context.Context, sha string) (int, error) {
	prs, err := s.c.PullRequestsOf(ctx, sha)
	if err != nil {
		return 0, err
	}
	merged := 0
	for _, pr := range prs {
		switch {
		case pr.Open:
			return pr.Number, nil
		case pr.Merged && merged == 0:
			merged = pr.Number
		}
	}
	return merged, nil
}
