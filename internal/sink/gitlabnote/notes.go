package gitlabnote

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// note is the part of a note the sink uses, wherever it lives.
type note struct {
	id int64
	// discussion is the commit discussion the note opens; empty on a merge request.
	discussion string
	body       string
	author     int64
	system     bool
	created    time.Time
}

// errGone is an edit of a note that no longer exists.
var errGone = errors.New("the note was deleted")

// perPage is the longest page GitLab serves.
const perPage = 100

// find returns the sticky note: one with the marker, written by the token's own user
// (anyone can paste a marker). Several, from runs that raced, are healed: the newest is
// kept and the others deleted.
func (s *Sink) find(ctx context.Context, t target, marker string) (*note, error) {
	user, err := s.c.CurrentUser(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.list(ctx, t)
	if err != nil {
		return nil, err
	}
	var mine []note
	for _, n := range all {
		if !n.system && n.author == user.ID && strings.Contains(n.body, marker) {
			mine = append(mine, n)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	slices.SortFunc(mine, func(a, b note) int {
		return cmp.Or(b.created.Compare(a.created), cmp.Compare(b.id, a.id))
	})
	for _, extra := range mine[1:] {
		if err := s.remove(ctx, t, extra); err != nil {
			return nil, err
		}
	}
	return &mine[0], nil
}

// list reads every note of a merge request, or the first note of every discussion on a
// commit, page after page.
func (s *Sink) list(ctx context.Context, t target) ([]note, error) {
	rest, pid := s.c.REST(), s.c.Project()
	var out []note
	opts := gitlab.ListOptions{PerPage: perPage}
	for {
		var (
			resp *gitlab.Response
			err  error
		)
		if t.mr > 0 {
			var page []*gitlab.Note
			page, resp, err = rest.Notes.ListMergeRequestNotes(pid, t.mr, &gitlab.ListMergeRequestNotesOptions{
				ListOptions: opts, OrderBy: gitlab.Ptr("created_at"), Sort: gitlab.Ptr("asc"),
			}, gitlab.WithContext(ctx))
			if err != nil {
				return nil, s.c.Classify("list merge request notes", err)
			}
			for _, n := range page {
				out = append(out, fromNote(n, ""))
			}
		} else {
			var page []*gitlab.Discussion
			page, resp, err = rest.Discussions.ListCommitDiscussions(pid, t.sha, &gitlab.ListCommitDiscussionsOptions{ListOptions: opts},
				gitlab.WithContext(ctx))
			if err != nil {
				return nil, s.c.ClassifyNeeding("list commit discussions", err, "comment on commits")
			}
			for _, d := range page {
				if len(d.Notes) > 0 && d.Notes[0] != nil {
					out = append(out, fromNote(d.Notes[0], d.ID))
				}
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// create posts the note: on a merge request, or as a new discussion on the commit.
func (s *Sink) create(ctx context.Context, t target, body string) (note, error) {
	rest, pid := s.c.REST(), s.c.Project()
	if t.mr > 0 {
		n, _, err := rest.Notes.CreateMergeRequestNote(pid, t.mr, &gitlab.CreateMergeRequestNoteOptions{Body: gitlab.Ptr(body)},
			gitlab.WithContext(ctx))
		if err != nil {
			return note{}, s.c.ClassifyNeeding("create merge request note", err, "create merge request notes")
		}
		return fromNote(n, ""), nil
	}
	d, _, err := rest.Discussions.CreateCommitDiscussion(pid, t.sha, &gitlab.CreateCommitDiscussionOptions{Body: gitlab.Ptr(body)},
		gitlab.WithContext(ctx))
	if err != nil {
		return note{}, s.c.ClassifyNeeding("create commit discussion", err, "comment on commits")
	}
	if len(d.Notes) == 0 || d.Notes[0] == nil {
		return note{}, s.c.Classify("create commit discussion", errors.New("GitLab's answer has no note"))
	}
	return fromNote(d.Notes[0], d.ID), nil
}

// edit replaces the note's body; errGone when it no longer exists.
func (s *Sink) edit(ctx context.Context, t target, cur note, body string) (note, error) {
	rest, pid := s.c.REST(), s.c.Project()
	var (
		n   *gitlab.Note
		err error
	)
	if t.mr > 0 {
		n, _, err = rest.Notes.UpdateMergeRequestNote(pid, t.mr, cur.id, &gitlab.UpdateMergeRequestNoteOptions{Body: gitlab.Ptr(body)},
			gitlab.WithContext(ctx))
	} else {
		n, _, err = rest.Discussions.UpdateCommitDiscussionNote(pid, t.sha, cur.discussion, cur.id,
			&gitlab.UpdateCommitDiscussionNoteOptions{Body: gitlab.Ptr(body)}, gitlab.WithContext(ctx))
	}
	switch {
	case errors.Is(err, gitlab.ErrNotFound):
		return note{}, errGone
	case err != nil:
		return note{}, s.c.ClassifyNeeding("edit note", err, "edit notes")
	}
	return fromNote(n, cur.discussion), nil
}

// remove deletes a duplicate; one already gone is fine.
func (s *Sink) remove(ctx context.Context, t target, n note) error {
	rest, pid := s.c.REST(), s.c.Project()
	var err error
	if t.mr > 0 {
		_, err = rest.Notes.DeleteMergeRequestNote(pid, t.mr, n.id, gitlab.WithContext(ctx))
	} else {
		_, err = rest.Discussions.DeleteCommitDiscussionNote(pid, t.sha, n.discussion, n.id, gitlab.WithContext(ctx))
	}
	if err != nil && !errors.Is(err, gitlab.ErrNotFound) {
		return s.c.ClassifyNeeding("delete duplicate note", err, "delete notes")
	}
	return nil
}

func fromNote(n *gitlab.Note, discussion string) note {
	out := note{id: n.ID, discussion: discussion, body: n.Body, author: n.Author.ID, system: n.System}
	if n.CreatedAt != nil {
		out.created = *n.CreatedAt
	}
	return out
}
