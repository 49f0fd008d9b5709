package gitlabtest

import (
	"net/http"
)

// commitDiscussions groups the notes on sha by discussion, in the order the discussions
// started. s.mu must be held.
func (s *Server) commitDiscussions(sha string) (ids []string, notes map[string][]*Note) {
	notes = map[string][]*Note{}
	for _, n := range s.notes {
		if n.MergeRequest != 0 || n.SHA != sha {
			continue
		}
		if _, seen := notes[n.Discussion]; !seen {
			ids = append(ids, n.Discussion)
		}
		notes[n.Discussion] = append(notes[n.Discussion], n)
	}
	return ids, notes
}

func discussionJSON(id string, notes []*Note) map[string]any {
	out := make([]map[string]any, 0, len(notes))
	for _, n := range notes {
		out = append(out, noteJSON(n))
	}
	return map[string]any{"id": id, "individual_note": false, "notes": out}
}

// listCommitDiscussions lists the discussions on a commit, oldest first.
func (s *Server) listCommitDiscussions(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if !projectOK(w, r) || !commitOK(w, sha) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, notes := s.commitDiscussions(sha)
	lo, hi := paginate(w, r, len(ids))
	out := []map[string]any{}
	for _, id := range ids[lo:hi] {
		out = append(out, discussionJSON(id, notes[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

// createCommitDiscussion starts a discussion on a commit with one note.
func (s *Server) createCommitDiscussion(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if !projectOK(w, r) || !commitOK(w, sha) {
		return
	}
	body, ok := noteBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := &Note{ID: s.nextID(), SHA: sha, Author: callerOf(r).username, Body: body, CreatedAt: s.now()}
	n.UpdatedAt, n.Discussion = n.CreatedAt, discussionID(n.ID)
	s.notes = append(s.notes, n)
	writeJSON(w, http.StatusCreated, discussionJSON(n.Discussion, []*Note{n}))
}

// inDiscussion matches the notes of the discussion and commit the path names.
func inDiscussion(r *http.Request) func(*Note) bool {
	sha, id := r.PathValue("sha"), r.PathValue("discussion")
	return func(n *Note) bool { return n.MergeRequest == 0 && n.SHA == sha && n.Discussion == id }
}

func (s *Server) updateCommitNote(w http.ResponseWriter, r *http.Request) {
	if !projectOK(w, r) || !commitOK(w, r.PathValue("sha")) {
		return
	}
	body, ok := noteBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.note(w, r, inDiscussion(r)); n != nil {
		s.edit(w, r, n, body)
	}
}

// deleteCommitNote deletes a note; a discussion left without notes is gone with it.
func (s *Server) deleteCommitNote(w http.ResponseWriter, r *http.Request) {
	if !projectOK(w, r) || !commitOK(w, r.PathValue("sha")) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.note(w, r, inDiscussion(r)); n != nil {
		s.remove(w, r, n)
	}
}
