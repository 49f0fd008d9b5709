package gitlabtest

import (
	"cmp"
	"net/http"
	"slices"
	"unicode/utf8"
)

// MaxNoteChars is GitLab's limit on a note's body.
const MaxNoteChars = 1_000_000

func noteJSON(n *Note) map[string]any {
	doc := map[string]any{
		"id": n.ID, "type": nil, "body": n.Body, "attachment": nil, "author": userJSON(n.Author),
		"created_at": stamp(n.CreatedAt), "updated_at": stamp(n.UpdatedAt), "system": n.System,
		"project_id": ProjectID, "resolvable": false, "confidential": false, "internal": false,
		"imported": false, "imported_from": "none", "commands_changes": map[string]any{},
	}
	if n.MergeRequest != 0 {
		doc["noteable_id"], doc["noteable_type"], doc["noteable_iid"], doc["commit_id"] = 100000+n.MergeRequest, "MergeRequest", n.MergeRequest, nil
		return doc
	}
	doc["type"], doc["noteable_id"], doc["noteable_type"], doc["noteable_iid"], doc["commit_id"] = "DiscussionNote", nil, "Commit", nil, n.SHA
	return doc
}

// noteBody validates a note's body as GitLab does.
func noteBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	doc, ok := decode(w, r)
	if !ok {
		return "", false
	}
	body, present := text(doc, "body")
	switch {
	case !present:
		badParam(w, "body is missing")
		return "", false
	case body == "":
		invalid(w, "note", "can't be blank")
		return "", false
	case utf8.RuneCountInString(body) > MaxNoteChars:
		invalid(w, "note", "is too long (maximum is 1000000 characters)")
		return "", false
	}
	return body, true
}

// mergeRequestOK answers 404 for a merge request the project does not have. s.mu must be
// held.
func (s *Server) mergeRequestOK(w http.ResponseWriter, r *http.Request) (int64, bool) {
	iid, ok := pathInt(w, r, "iid")
	if !ok {
		return 0, false
	}
	if s.mergeRequest(iid) == nil {
		writeMessage(w, http.StatusNotFound, "404 Not found")
		return 0, false
	}
	return iid, true
}

// listMergeRequestNotes lists a merge request's notes, system notes included, ordered by
// created_at (or updated_at), newest first unless sort=asc.
func (s *Server) listMergeRequestNotes(w http.ResponseWriter, r *http.Request) {
	if !projectOK(w, r) {
		return
	}
	orderBy, ok := oneOf(w, r, "order_by", "created_at", "created_at", "updated_at")
	if !ok {
		return
	}
	sort, ok := oneOf(w, r, "sort", "desc", "asc", "desc")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	iid, ok := s.mergeRequestOK(w, r)
	if !ok {
		return
	}
	var list []*Note
	for _, n := range s.notes {
		if n.MergeRequest == iid {
			list = append(list, n)
		}
	}
	slices.SortStableFunc(list, func(a, b *Note) int {
		c := cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		if orderBy == "updated_at" {
			c = cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
		}
		if sort == "desc" {
			return -c
		}
		return c
	})
	lo, hi := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, n := range list[lo:hi] {
		out = append(out, noteJSON(n))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createMergeRequestNote(w http.ResponseWriter, r *http.Request) {
	if !projectOK(w, r) {
		return
	}
	body, ok := noteBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	iid, ok := s.mergeRequestOK(w, r)
	if !ok {
		return
	}
	n := &Note{ID: s.nextID(), MergeRequest: iid, Author: callerOf(r).username, Body: body, CreatedAt: s.now()}
	n.UpdatedAt = n.CreatedAt
	s.notes = append(s.notes, n)
	writeJSON(w, http.StatusCreated, noteJSON(n))
}

// note finds a note of the merge request, or of the commit discussion. s.mu must be held.
func (s *Server) note(w http.ResponseWriter, r *http.Request, match func(*Note) bool) *Note {
	id, ok := pathInt(w, r, "note_id")
	if !ok {
		return nil
	}
	for _, n := range s.notes {
		if n.ID == id && match(n) {
			return n
		}
	}
	writeMessage(w, http.StatusNotFound, "404 Note Not Found")
	return nil
}

// edit replaces a note's body; only its author may. s.mu must be held.
func (s *Server) edit(w http.ResponseWriter, r *http.Request, n *Note, body string) {
	if n.Author != callerOf(r).username || n.System {
		writeMessage(w, http.StatusForbidden, "403 Forbidden")
		return
	}
	n.Body, n.UpdatedAt = body, s.now()
	writeJSON(w, http.StatusOK, noteJSON(n))
}

// remove deletes a note; only its author may. s.mu must be held.
func (s *Server) remove(w http.ResponseWriter, r *http.Request, n *Note) {
	if n.Author != callerOf(r).username {
		writeMessage(w, http.StatusForbidden, "403 Forbidden")
		return
	}
	s.notes = slices.DeleteFunc(s.notes, func(x *Note) bool { return x == n })
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) updateMergeRequestNote(w http.ResponseWriter, r *http.Request) {
	if !projectOK(w, r) {
		return
	}
	body, ok := noteBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	iid, ok := s.mergeRequestOK(w, r)
	if !ok {
		return
	}
	if n := s.note(w, r, func(n *Note) bool { return n.MergeRequest == iid }); n != nil {
		s.edit(w, r, n, body)
	}
}

func (s *Server) deleteMergeRequestNote(w http.ResponseWriter, r *http.Request) {
	if !projectOK(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	iid, ok := s.mergeRequestOK(w, r)
	if !ok {
		return
	}
	if n := s.note(w, r, func(n *Note) bool { return n.MergeRequest == iid }); n != nil {
		s.remove(w, r, n)
	}
}
