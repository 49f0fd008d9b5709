package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"
)

// commitStates are the states a commit status may take.
var commitStates = []string{"error", "failure", "pending", "success"}

type commitStatusRequest struct {
	State       string `json:"state"`
	TargetURL   string `json:"target_url"`
	Description string `json:"description"`
	Context     string `json:"context"`
}

func (s *Server) commitStatusJSON(r *http.Request, st *CommitStatus) map[string]any {
	return map[string]any{
		"url": fmt.Sprintf("%s/repos/%s/%s/statuses/%s", apiBase(r), Owner, Repo, st.SHA), "id": st.ID,
		"node_id": fmt.Sprintf("SC_%d", st.ID), "state": st.State, "description": st.Description,
		"target_url": st.TargetURL, "context": st.Context, "creator": user(st.Creator),
		"created_at": stamp(st.CreatedAt), "updated_at": stamp(st.CreatedAt),
	}
}

func (s *Server) createCommitStatus(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	var req commitStatusRequest
	if !repoOK(w, r) || !decode(w, r, &req) {
		return
	}
	switch {
	case !isSHA(sha):
		writeError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+sha, nil)
		return
	case !slices.Contains(commitStates, req.State):
		invalid(w, "Status", "state", "state is not included in the list")
		return
	case utf8.RuneCountInString(req.Description) > maxStatusDescription:
		invalid(w, "Status", "description", "description is too long (maximum is 140 characters)")
		return
	}
	if req.Context == "" {
		req.Context = "default"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &CommitStatus{ID: s.nextID(), SHA: sha, Context: req.Context, State: req.State, Description: req.Description,
		TargetURL: req.TargetURL, Creator: s.login, CreatedAt: s.now()}
	s.statuses = append(s.statuses, st)
	writeJSON(w, http.StatusCreated, s.commitStatusJSON(r, st))
}

func (s *Server) listCommitStatuses(w http.ResponseWriter, r *http.Request) {
	if !repoOK(w, r) {
		return
	}
	ref := r.PathValue("ref")
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*CommitStatus
	for _, st := range slices.Backward(s.statuses) {
		if st.SHA == ref {
			list = append(list, st)
		}
	}
	lo, hi := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, st := range list[lo:hi] {
		out = append(out, s.commitStatusJSON(r, st))
	}
	writeJSON(w, http.StatusOK, out)
}
