package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"
)

// deploymentStates are the states a deployment status may take.
var deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

// maxStatusDescription is GitHub's limit on a status description.
const maxStatusDescription = 140

func (s *Server) deploymentJSON(r *http.Request, d *Deployment) map[string]any {
	u := fmt.Sprintf("%s/repos/%s/%s/deployments/%d", apiBase(r), Owner, Repo, d.ID)
	return map[string]any{
		"url": u, "id": d.ID, "node_id": fmt.Sprintf("DE_%d", d.ID), "sha": d.SHA, "ref": d.Ref, "task": d.Task,
		"payload": map[string]any{}, "original_environment": d.Environment, "environment": d.Environment,
		"description": d.Description, "creator": user(d.Creator), "created_at": stamp(d.CreatedAt), "updated_at": stamp(d.CreatedAt),
		"statuses_url": u + "/statuses", "repository_url": fmt.Sprintf("%s/repos/%s/%s", apiBase(r), Owner, Repo),
		"transient_environment": d.Transient, "production_environment": d.Production,
	}
}

func (s *Server) statusJSON(r *http.Request, d *Deployment, st DeploymentStatus) map[string]any {
	du := fmt.Sprintf("%s/repos/%s/%s/deployments/%d", apiBase(r), Owner, Repo, d.ID)
	return map[string]any{
		"url": fmt.Sprintf("%s/statuses/%d", du, st.ID), "id": st.ID, "node_id": fmt.Sprintf("DES_%d", st.ID),
		"state": st.State, "creator": user(st.Creator), "description": st.Description, "environment": d.Environment,
		"target_url": st.LogURL, "log_url": st.LogURL, "environment_url": st.EnvironmentURL,
		"created_at": stamp(st.CreatedAt), "updated_at": stamp(st.CreatedAt), "deployment_url": du,
		"repository_url": fmt.Sprintf("%s/repos/%s/%s", apiBase(r), Owner, Repo),
	}
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	if !repoOK(w, r) {
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*Deployment
	// Newest first, as GitHub lists them.
	for _, d := range slices.Backward(s.deployments) {
		if (q.Get("sha") == "" || q.Get("sha") == d.SHA) && (q.Get("ref") == "" || q.Get("ref") == d.Ref) &&
			(q.Get("task") == "" || q.Get("task") == d.Task) && (q.Get("environment") == "" || q.Get("environment") == d.Environment) {
			list = append(list, d)
		}
	}
	lo, hi := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, d := range list[lo:hi] {
		out = append(out, s.deploymentJSON(r, d))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok || !repoOK(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(id)
	if d == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.deploymentJSON(r, d))
}

type deploymentRequest struct {
	Ref                   string    `json:"ref"`
	Task                  *string   `json:"task"`
	AutoMerge             *bool     `json:"auto_merge"`
	RequiredContexts      *[]string `json:"required_contexts"`
	Environment           *string   `json:"environment"`
	Description           *string   `json:"description"`
	TransientEnvironment  *bool     `json:"transient_environment"`
	ProductionEnvironment *bool     `json:"production_environment"`
}

func (s *Server) createDeployment(w http.ResponseWriter, r *http.Request) {
	var req deploymentRequest
	if !repoOK(w, r) || !decode(w, r, &req) {
		return
	}
	if req.Ref == "" {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" wasn't supplied.", nil)
		return
	}
	if !isSHA(req.Ref) {
		// The fake knows no branches: deployments are made for commits.
		writeError(w, http.StatusUnprocessableEntity, "No ref found for: "+req.Ref, nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if failing := s.failingContexts(req.Ref, req.RequiredContexts); len(failing) > 0 {
		writeError(w, http.StatusConflict, "Conflict: Commit status checks failed for "+req.Ref+".",
			[]fieldError{{Resource: "Deployment", Field: "required_contexts", Code: "invalid", Contexts: failing}})
		return
	}
	d := &Deployment{ID: s.nextID(), SHA: req.Ref, Ref: req.Ref, Task: "deploy", Environment: "production", Creator: s.login, CreatedAt: s.now()}
	if req.Task != nil && *req.Task != "" {
		d.Task = *req.Task
	}
	if req.Environment != nil && *req.Environment != "" {
		d.Environment = *req.Environment
	}
	if req.Description != nil {
		d.Description = *req.Description
	}
	d.Production = d.Environment == "production"
	if req.ProductionEnvironment != nil {
		d.Production = *req.ProductionEnvironment
	}
	if req.TransientEnvironment != nil {
		d.Transient = *req.TransientEnvironment
	}
	s.deployments = append(s.deployments, d)
	writeJSON(w, http.StatusCreated, s.deploymentJSON(r, d))
}

// failingContexts are the commit statuses that block a deployment: with required_contexts
// omitted every context must be green, with a list those named. s.mu must be held.
func (s *Server) failingContexts(sha string, required *[]string) []any {
	latest := map[string]string{}
	var order []string
	for _, st := range s.statuses {
		if st.SHA != sha {
			continue
		}
		if _, seen := latest[st.Context]; !seen {
			order = append(order, st.Context)
		}
		latest[st.Context] = st.State
	}
	want := order
	if required != nil {
		want = *required
	}
	var failing []any
	for _, c := range want {
		if latest[c] != "success" {
			failing = append(failing, map[string]any{"context": c, "state": latest[c]})
		}
	}
	return failing
}

func (s *Server) listDeploymentStatuses(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok || !repoOK(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(id)
	if d == nil {
		notFound(w)
		return
	}
	lo, hi := paginate(w, r, len(d.Statuses))
	out := []map[string]any{}
	for _, st := range slices.Backward(d.Statuses) {
		out = append(out, s.statusJSON(r, d, st))
	}
	writeJSON(w, http.StatusOK, out[lo:hi])
}

type deploymentStatusRequest struct {
	State          string `json:"state"`
	LogURL         string `json:"log_url"`
	TargetURL      string `json:"target_url"`
	Description    string `json:"description"`
	EnvironmentURL string `json:"environment_url"`
	AutoInactive   *bool  `json:"auto_inactive"`
}

func (s *Server) createDeploymentStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	var req deploymentStatusRequest
	if !ok || !repoOK(w, r) || !decode(w, r, &req) {
		return
	}
	switch {
	case !slices.Contains(deploymentStates, req.State):
		invalid(w, "DeploymentStatus", "state", "state is not included in the list")
		return
	case utf8.RuneCountInString(req.Description) > maxStatusDescription:
		invalid(w, "DeploymentStatus", "description", "description is too long (maximum is 140 characters)")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(id)
	if d == nil {
		notFound(w)
		return
	}
	logURL := req.LogURL
	if logURL == "" {
		logURL = req.TargetURL
	}
	st := DeploymentStatus{ID: s.nextID(), State: req.State, Description: req.Description, LogURL: logURL,
		EnvironmentURL: req.EnvironmentURL, Creator: s.login, CreatedAt: s.now()}
	d.Statuses = append(d.Statuses, st)
	if req.State == "success" && (req.AutoInactive == nil || *req.AutoInactive) {
		s.inactivatePrior(d)
	}
	writeJSON(w, http.StatusCreated, s.statusJSON(r, d, st))
}

// inactivatePrior does what GitHub does on a success: the environment's earlier
// non-transient, non-production deployments become inactive. s.mu must be held.
func (s *Server) inactivatePrior(cur *Deployment) {
	for _, d := range s.deployments {
		if d.ID >= cur.ID || d.Environment != cur.Environment || d.Transient || d.Production {
			continue
		}
		if n := len(d.Statuses); n > 0 && d.Statuses[n-1].State == "inactive" {
			continue
		}
		d.Statuses = append(d.Statuses, DeploymentStatus{ID: s.nextID(), State: "inactive", Creator: s.login, CreatedAt: s.now()})
	}
}
