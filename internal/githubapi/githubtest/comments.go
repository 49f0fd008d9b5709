package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxCommentChars is GitHub's limit on a comment's body.
const MaxCommentChars = 65536

func (s *Server) commentJSON(r *http.Request, c *Comment) map[string]any {
	doc := map[string]any{
		"id": c.ID, "node_id": fmt.Sprintf("IC_%d", c.ID), "body": c.Body, "user": user(c.User),
		"created_at": stamp(c.CreatedAt), "updated_at": stamp(c.UpdatedAt),
	}
	repoAPI := fmt.Sprintf("%s/repos/%s/%s", apiBase(r), Owner, Repo)
	if c.PR != 0 {
		doc["url"] = fmt.Sprintf("%s/issues/comments/%d", repoAPI, c.ID)
		doc["html_url"] = fmt.Sprintf("%s/%s/%s/pull/%d#issuecomment-%d", ServerURL, Owner, Repo, c.PR, c.ID)
		doc["issue_url"] = fmt.Sprintf("%s/issues/%d", repoAPI, c.PR)
		doc["author_association"] = "NONE"
		return doc
	}
	doc["url"] = fmt.Sprintf("%s/comments/%d", repoAPI, c.ID)
	doc["html_url"] = fmt.Sprintf("%s/%s/%s/commit/%s#commitcomment-%d", ServerURL, Owner, Repo, c.SHA, c.ID)
	doc["commit_id"] = c.SHA
	doc["path"], doc["position"], doc["line"] = nil, nil, nil
	return doc
}

type commentRequest struct {
	Body *string `json:"body"`
}

// body validates a comment body as GitHub does.
func commentBody(w http.ResponseWriter, r *http.Request, resource string) (string, bool) {
	var req commentRequest
	if !decode(w, r, &req) {
		return "", false
	}
	switch {
	case req.Body == nil || *req.Body == "":
		invalid(w, resource, "body", "Body cannot be blank")
		return "", false
	case utf8.RuneCountInString(*req.Body) > MaxCommentChars:
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed",
			[]fieldError{{Resource: resource, Code: "unprocessable", Field: "data", Message: "Body is too long (maximum is 65536 characters)"}})
		return "", false
	}
	return *req.Body, true
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, keep func(*Comment) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*Comment
	for _, c := range s.comments {
		if keep(c) {
			list = append(list, c)
		}
	}
	lo, hi := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, c := range list[lo:hi] {
		out = append(out, s.commentJSON(r, c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listIssueComments(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || !repoOK(w, r) {
		notFound(w)
		return
	}
	s.mu.Lock()
	exists := s.pull(n) != nil
	s.mu.Unlock()
	if !exists {
		notFound(w)
		return
	}
	s.listComments(w, r, func(c *Comment) bool { return c.PR == n })
}

func (s *Server) createIssueComment(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || !repoOK(w, r) {
		notFound(w)
		return
	}
	body, ok := commentBody(w, r, "IssueComment")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pull(n) == nil {
		notFound(w)
		return
	}
	c := &Comment{ID: s.nextID(), PR: n, User: s.login, Body: body, CreatedAt: s.now()}
	c.UpdatedAt = c.CreatedAt
	s.comments = append(s.comments, c)
	writeJSON(w, http.StatusCreated, s.commentJSON(r, c))
}

func (s *Server) listCommitComments(w http.ResponseWriter, r *http.Request) {
	if !repoOK(w, r) {
		return
	}
	sha := r.PathValue("sha")
	s.listComments(w, r, func(c *Comment) bool { return c.PR == 0 && c.SHA == sha })
}

func (s *Server) createCommitComment(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if !repoOK(w, r) {
		return
	}
	if !isSHA(sha) {
		writeError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+sha, nil)
		return
	}
	body, ok := commentBody(w, r, "CommitComment")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Comment{ID: s.nextID(), SHA: sha, User: s.login, Body: body, CreatedAt: s.now()}
	c.UpdatedAt = c.CreatedAt
	s.comments = append(s.comments, c)
	writeJSON(w, http.StatusCreated, s.commentJSON(r, c))
}

func (s *Server) editComment(issue bool) http.HandlerFunc {
	resource := map[bool]string{true: "IssueComment", false: "CommitComment"}[issue]
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "id")
		if !ok || !repoOK(w, r) {
			return
		}
		body, ok := commentBody(w, r, resource)
		if !ok {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.comment(id, issue)
		if c == nil {
			notFound(w)
			return
		}
		c.Body, c.UpdatedAt = body, s.now()
		writeJSON(w, http.StatusOK, s.commentJSON(r, c))
	}
}

func (s *Server) deleteComment(issue bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "id")
		if !ok || !repoOK(w, r) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		c := s.comment(id, issue)
		if c == nil {
			notFound(w)
			return
		}
		s.comments = slices.DeleteFunc(s.comments, func(x *Comment) bool { return x == c })
		w.WriteHeader(http.StatusNoContent)
	}
}

// pullsOfCommit lists the pull requests whose head is the commit: open ones, and merged
// ones, as GitHub lists them for a commit.
func (s *Server) pullsOfCommit(w http.ResponseWriter, r *http.Request) {
	if !repoOK(w, r) {
		return
	}
	sha := r.PathValue("sha")
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*PullRequest
	for _, p := range s.pulls {
		if p.HeadSHA == sha {
			list = append(list, p)
		}
	}
	lo, hi := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, p := range list[lo:hi] {
		doc := map[string]any{
			"id": int64(p.Number) * 1000, "number": p.Number, "state": p.State, "title": fmt.Sprintf("Pull request #%d", p.Number),
			"html_url": fmt.Sprintf("%s/%s/%s/pull/%d", ServerURL, Owner, Repo, p.Number),
			"head":     map[string]any{"sha": p.HeadSHA, "ref": fmt.Sprintf("feature-%d", p.Number)},
			"user":     user("octocat"), "merged_at": nil,
		}
		if p.State == "merged" {
			doc["state"], doc["merged_at"] = "closed", stamp(Epoch)
		}
		out = append(out, doc)
	}
	writeJSON(w, http.StatusOK, out)
}
