package gitlabtest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"unicode/utf8"
)

// statusEvents names the state machine event that leads to each state.
var statusEvents = map[string]string{
	"pending": "enqueue", "running": "run", "success": "success", "failed": "drop", "canceled": "cancel", "skipped": "skip",
}

// MaxStatusDescription is the longest commit status description the fake keeps.
const MaxStatusDescription = 255

// statusTransition reports whether an active (pending or running) status may take the
// state: a pending one may run, be skipped or finish; a running one may only finish.
// Neither may take the state it has.
func statusTransition(from, to string) bool {
	switch to {
	case "pending":
		return false
	case "running", "skipped":
		return from == "pending"
	}
	return true
}

// TransitionError is GitLab's answer to a state the commit status cannot take, e.g.
// "Cannot transition status via :run from :running (Reason(s): Status cannot transition
// via "run")".
func TransitionError(from, to string) string {
	ev := statusEvents[to]
	return fmt.Sprintf("Cannot transition status via :%s from :%s (Reason(s): Status cannot transition via %q)", ev, from, ev)
}

func statusJSON(st *CommitStatus) map[string]any {
	doc := map[string]any{
		"id": st.ID, "sha": st.SHA, "ref": st.Ref, "status": st.Status, "name": st.Name, "target_url": nil,
		"description": nil, "created_at": stamp(st.CreatedAt), "started_at": nil, "finished_at": nil,
		"allow_failure": false, "coverage": nil, "pipeline_id": st.PipelineID, "author": userJSON(st.Author),
	}
	if st.TargetURL != "" {
		doc["target_url"] = st.TargetURL
	}
	if st.Description != "" {
		doc["description"] = st.Description
	}
	return doc
}

// createCommitStatus sets a status as GitLab does: a status of the same name in the same
// pipeline that is still pending or running takes the new state if its state machine
// allows it (else 400); otherwise a new status replaces the finished ones.
func (s *Server) createCommitStatus(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	doc, ok := decode(w, r)
	if !ok || !projectOK(w, r) || !commitOK(w, sha) {
		return
	}
	state, present := text(doc, "state")
	switch {
	case !present:
		badParam(w, "state is missing")
		return
	case statusEvents[state] == "":
		badParam(w, "state does not have a valid value")
		return
	}
	st := CommitStatus{SHA: sha, Ref: "main", Name: "default", PipelineID: PipelineID, Status: state, Author: callerOf(r).username}
	if v, ok := text(doc, "ref"); ok && v != "" {
		st.Ref = v
	}
	if v, ok := text(doc, "name"); ok && v != "" {
		st.Name = v
	} else if v, ok := text(doc, "context"); ok && v != "" {
		st.Name = v
	}
	st.Description, _ = text(doc, "description")
	st.TargetURL, _ = text(doc, "target_url")
	if v, ok := text(doc, "pipeline_id"); ok {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			badParam(w, "pipeline_id is invalid")
			return
		}
		st.PipelineID = id
	}
	if u, err := url.Parse(st.TargetURL); st.TargetURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https")) {
		invalid(w, "target_url", "is blocked: Only allowed schemes are http, https")
		return
	}
	if len(st.TargetURL) > 255 {
		invalid(w, "target_url", "is too long (maximum is 255 characters)")
		return
	}
	if utf8.RuneCountInString(st.Description) > MaxStatusDescription {
		invalid(w, "description", "is too long (maximum is 255 characters)")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.activeStatus(st); cur != nil {
		if !statusTransition(cur.Status, state) {
			writeMessage(w, http.StatusBadRequest, TransitionError(cur.Status, state))
			return
		}
		cur.Status = state
		if st.Description != "" {
			cur.Description = st.Description
		}
		if st.TargetURL != "" {
			cur.TargetURL = st.TargetURL
		}
		writeJSON(w, http.StatusCreated, statusJSON(cur))
		return
	}
	for _, old := range s.statuses {
		if old.SHA == sha && old.Name == st.Name && old.PipelineID == st.PipelineID {
			old.Retried = true
		}
	}
	st.ID, st.CreatedAt = s.nextID(), s.now()
	s.statuses = append(s.statuses, &st)
	writeJSON(w, http.StatusCreated, statusJSON(&st))
}

// activeStatus is the pending or running status st would move on. s.mu must be held.
func (s *Server) activeStatus(st CommitStatus) *CommitStatus {
	for _, cur := range slices.Backward(s.statuses) {
		if cur.SHA == st.SHA && cur.Name == st.Name && cur.PipelineID == st.PipelineID && !cur.Retried &&
			(cur.Status == "pending" || cur.Status == "running") {
			return cur
		}
	}
	return nil
}

// listCommitStatuses lists a commit's statuses: the latest of each (not retried) unless
// all is set, filtered by ref, name, stage and pipeline_id, ordered by id or pipeline_id.
func (s *Server) listCommitStatuses(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if !projectOK(w, r) || !commitOK(w, sha) {
		return
	}
	orderBy, ok := oneOf(w, r, "order_by", "id", "id", "pipeline_id")
	if !ok {
		return
	}
	sort, ok := oneOf(w, r, "sort", "asc", "asc", "desc")
	if !ok {
		return
	}
	q := r.URL.Query()
	all := q.Get("all") == "true" || q.Get("all") == "1"
	keep := func(st *CommitStatus) bool {
		return st.SHA == sha && (all || !st.Retried) && (q.Get("ref") == "" || q.Get("ref") == st.Ref) &&
			(q.Get("name") == "" || q.Get("name") == st.Name) && (q.Get("stage") == "" || q.Get("stage") == "external") &&
			(q.Get("pipeline_id") == "" || q.Get("pipeline_id") == strconv.FormatInt(st.PipelineID, 10))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*CommitStatus
	for _, st := range s.statuses {
		if keep(st) {
			list = append(list, st)
		}
	}
	slices.SortStableFunc(list, func(a, b *CommitStatus) int {
		c := cmp.Compare(a.ID, b.ID)
		if orderBy == "pipeline_id" {
			c = cmp.Or(cmp.Compare(a.PipelineID, b.PipelineID), c)
		}
		if sort == "desc" {
			return -c
		}
		return c
	})
	lo, hi := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, st := range list[lo:hi] {
		out = append(out, statusJSON(st))
	}
	writeJSON(w, http.StatusOK, out)
}
