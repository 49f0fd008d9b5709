package githubcomment

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/deploywatch/deploywatch/internal/githubapi"
)

// comment is the part of a comment the sink uses, whichever kind it is.
type comment struct {
	id      int64
	body    string
	url     string
	user    string
	created time.Time
}

// errGone is an edit of a comment that no longer exists.
var errGone = errors.New("the comment was deleted")

// perPage is the longest page GitHub serves.
const perPage = 100

// find returns the sticky comment: one with the marker, written by the token's own
// account (anyone can paste a marker). Several, from runs that raced, are healed: the
// newest is kept and the others deleted.
func (s *Sink) find(ctx context.Context, t target, marker string) (*comment, error) {
	viewer, err := s.c.Viewer(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.list(ctx, t)
	if err != nil {
		return nil, err
	}
	var mine []comment
	for _, c := range all {
		if strings.Contains(c.body, marker) && githubapi.SameLogin(c.user, viewer) {
			mine = append(mine, c)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	slices.SortFunc(mine, func(a, b comment) int {
		return cmp.Or(b.created.Compare(a.created), cmp.Compare(b.id, a.id))
	})
	for _, extra := range mine[1:] {
		if err := s.remove(ctx, t, extra.id); err != nil {
			return nil, err
		}
	}
	return &mine[0], nil
}

// list reads every comment of the target, page after page.
func (s *Sink) list(ctx context.Context, t target) ([]comment, error) {
	rest, owner, repo := s.c.REST(), s.c.Owner(), s.c.Repo()
	var out []comment
	opts := github.ListOptions{PerPage: perPage}
	for {
		var resp *github.Response
		var err error
		if t.pr > 0 {
			var page []*github.IssueComment
			page, resp, err = rest.Issues.ListComments(ctx, owner, repo, t.pr, &github.IssueListCommentsOptions{ListOptions: opts})
			for _, c := range page {
				out = append(out, fromIssue(c))
			}
		} else {
			var page []*github.RepositoryComment
			page, resp, err = rest.Repositories.ListCommitComments(ctx, owner, repo, t.sha, &opts)
			for _, c := range page {
				out = append(out, fromCommit(c))
			}
		}
		if err != nil {
			return nil, s.c.Classify("list comments", err)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func (s *Sink) create(ctx context.Context, t target, body string) (comment, error) {
	rest, owner, repo := s.c.REST(), s.c.Owner(), s.c.Repo()
	if t.pr > 0 {
		c, _, err := rest.Issues.CreateComment(ctx, owner, repo, t.pr, &github.IssueComment{Body: github.String(body)})
		if err != nil {
			return comment{}, s.c.Classify("create pull request comment", err)
		}
		return fromIssue(c), nil
	}
	c, _, err := rest.Repositories.CreateComment(ctx, owner, repo, t.sha, &github.RepositoryComment{Body: github.String(body)})
	if err != nil {
		return comment{}, s.c.Classify("create commit comment", err)
	}
	return fromCommit(c), nil
}

// edit replaces the comment's body; errGone when it no longer exists.
func (s *Sink) edit(ctx context.Context, t target, id int64, body string) (comment, error) {
	rest, owner, repo := s.c.REST(), s.c.Owner(), s.c.Repo()
	var (
		out comment
		err error
	)
	if t.pr > 0 {
		var c *github.IssueComment
		if c, _, err = rest.Issues.EditComment(ctx, owner, repo, id, &github.IssueComment{Body: github.String(body)}); err == nil {
			out = fromIssue(c)
		}
	} else {
		var c *github.RepositoryComment
		if c, _, err = rest.Repositories.UpdateComment(ctx, owner, repo, id, &github.RepositoryComment{Body: github.String(body)}); err == nil {
			out = fromCommit(c)
		}
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return comment{}, errGone
	}
	if err != nil {
		return comment{}, s.c.Classify("edit comment", err)
	}
	return out, nil
}

// remove deletes a duplicate; one already gone is fine.
func (s *Sink) remove(ctx context.Context, t target, id int64) error {
	rest, owner, repo := s.c.REST(), s.c.Owner(), s.c.Repo()
	var err error
	if t.pr > 0 {
		_, err = rest.Issues.DeleteComment(ctx, owner, repo, id)
	} else {
		_, err = rest.Repositories.DeleteComment(ctx, owner, repo, id)
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return s.c.Classify("delete duplicate comment", err)
	}
	return nil
}

func fromIssue(c *github.IssueComment) comment {
	return comment{id: c.GetID(), body: c.GetBody(), url: c.GetHTMLURL(), user: c.GetUser().GetLogin(), created: c.GetCreatedAt().Time}
}

func fromCommit(c *github.RepositoryComment) comment {
	return comment{id: c.GetID(), body: c.GetBody(), url: c.GetHTMLURL(), user: c.GetUser().GetLogin(), created: c.GetCreatedAt().Time}
}
