package gitlabtest

import (
	"fmt"
	"net/http"
)

// routes registers the REST paths the fake serves.
func (s *Server) routes() {
	const p = "/api/v4/projects/{id}"
	m := s.mux
	m.HandleFunc("GET /api/v4/user", s.currentUser)
	m.HandleFunc("GET /api/v4/job", s.currentJob)
	m.HandleFunc("GET "+p+"/deployments", s.listDeployments)
	m.HandleFunc("POST "+p+"/deployments", s.createDeployment)
	m.HandleFunc("GET "+p+"/deployments/{deployment_id}", s.getDeployment)
	m.HandleFunc("PUT "+p+"/deployments/{deployment_id}", s.updateDeployment)
	m.HandleFunc("GET "+p+"/repository/commits/{sha}/merge_requests", s.mergeRequestsOfCommit)
	m.HandleFunc("GET "+p+"/merge_requests/{iid}/notes", s.listMergeRequestNotes)
	m.HandleFunc("POST "+p+"/merge_requests/{iid}/notes", s.createMergeRequestNote)
	m.HandleFunc("PUT "+p+"/merge_requests/{iid}/notes/{note_id}", s.updateMergeRequestNote)
	m.HandleFunc("DELETE "+p+"/merge_requests/{iid}/notes/{note_id}", s.deleteMergeRequestNote)
	m.HandleFunc("GET "+p+"/repository/commits/{sha}/discussions", s.listCommitDiscussions)
	m.HandleFunc("POST "+p+"/repository/commits/{sha}/discussions", s.createCommitDiscussion)
	m.HandleFunc("PUT "+p+"/repository/commits/{sha}/discussions/{discussion}/notes/{note_id}", s.updateCommitNote)
	m.HandleFunc("DELETE "+p+"/repository/commits/{sha}/discussions/{discussion}/notes/{note_id}", s.deleteCommitNote)
	m.HandleFunc("POST "+p+"/statuses/{sha}", s.createCommitStatus)
	m.HandleFunc("GET "+p+"/repository/commits/{sha}/statuses", s.listCommitStatuses)
	m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
	})
}

// currentUser answers GET /user: the access token's bot user.
func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) {
	u := userJSON(callerOf(r).username)
	u["bot"] = callerOf(r).username == Bot
	writeJSON(w, http.StatusOK, u)
}

// currentJob answers GET /job, which only a job token may call: the job, with its user.
func (s *Server) currentJob(w http.ResponseWriter, r *http.Request) {
	if !callerOf(r).job {
		writeMessage(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": JobID, "name": "deploywatch", "stage": "verify", "status": "running", "ref": "main", "tag": false,
		"user":     userJSON(JobUser),
		"pipeline": map[string]any{"id": PipelineID, "project_id": ProjectID, "ref": "main", "status": "running"},
		"web_url":  fmt.Sprintf("%s/-/jobs/%d", projectWeb(), JobID),
	})
}

// mergeRequestsOfCommit lists the merge requests whose source branch holds the commit.
func (s *Server) mergeRequestsOfCommit(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	if !projectOK(w, r) || !commitOK(w, sha) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, m := range s.mergeRequests {
		if m.SHA == sha {
			out = append(out, mergeRequestJSON(m))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func mergeRequestJSON(m *MergeRequest) map[string]any {
	doc := map[string]any{
		"id": 100000 + m.IID, "iid": m.IID, "project_id": ProjectID, "title": fmt.Sprintf("Merge request !%d", m.IID),
		"description": "", "state": m.State, "target_branch": "main", "source_branch": fmt.Sprintf("feature-%d", m.IID),
		"source_project_id": ProjectID, "target_project_id": ProjectID, "author": userJSON(JobUser), "draft": false,
		"sha": m.SHA, "merged_at": nil, "created_at": stamp(Epoch), "updated_at": stamp(Epoch),
		"web_url":    fmt.Sprintf("%s/-/merge_requests/%d", projectWeb(), m.IID),
		"references": map[string]any{"short": fmt.Sprintf("!%d", m.IID), "full": fmt.Sprintf("%s!%d", ProjectPath, m.IID)},
	}
	if m.State == "merged" {
		doc["merged_at"] = stamp(Epoch)
	}
	return doc
}
