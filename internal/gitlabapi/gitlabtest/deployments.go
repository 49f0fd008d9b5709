package gitlabtest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// deploymentStatuses are the statuses a deployment may have; the API sets the first four.
var deploymentStatuses = []string{"running", "success", "failed", "canceled", "created", "blocked"}

// deploymentEvents names the state machine event each status the API sets goes through.
var deploymentEvents = map[string]string{"running": "run", "success": "succeed", "failed": "drop", "canceled": "cancel"}

// deploymentTransition reports whether a deployment may go from one status to another:
// to running only from created; to a finished status from any other.
func deploymentTransition(from, to string) bool {
	if to == "running" {
		return from == "created"
	}
	return from != to
}

func (s *Server) deploymentJSON(d *Deployment) map[string]any {
	env := map[string]any{"id": s.environments[d.Environment], "name": d.Environment,
		"slug": strings.ToLower(strings.ReplaceAll(d.Environment, "/", "-")), "external_url": nil, "state": "available",
		"tier": "other", "created_at": stamp(Epoch), "updated_at": stamp(Epoch)}
	if d.Environment == "production" {
		env["tier"] = "production"
	}
	doc := map[string]any{
		"id": d.ID, "iid": d.IID, "ref": d.Ref, "sha": d.SHA, "status": d.Status, "user": userJSON(d.User),
		"created_at": stamp(d.CreatedAt), "updated_at": stamp(d.UpdatedAt), "finished_at": nil,
		"environment": env, "deployable": nil,
	}
	if d.Status == "success" || d.Status == "failed" || d.Status == "canceled" {
		doc["finished_at"] = stamp(d.UpdatedAt)
	}
	if d.JobID != 0 {
		doc["deployable"] = map[string]any{
			"id": d.JobID, "name": d.JobName, "stage": "deploy", "status": jobStatus(d.Status), "ref": d.Ref, "tag": d.Tag,
			"coverage": nil, "allow_failure": false, "created_at": stamp(d.CreatedAt), "user": userJSON(d.User),
			"commit":   map[string]any{"id": d.SHA, "short_id": d.SHA[:min(8, len(d.SHA))]},
			"pipeline": map[string]any{"id": d.PipelineID, "project_id": ProjectID, "sha": d.SHA, "ref": d.Ref, "status": jobStatus(d.Status)},
			"web_url":  fmt.Sprintf("%s/-/jobs/%d", projectWeb(), d.JobID),
		}
	}
	return doc
}

// jobStatus is the status of the job behind a deployment.
func jobStatus(deployment string) string {
	if deployment == "created" || deployment == "blocked" {
		return "manual"
	}
	return deployment
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	if !projectOK(w, r) {
		return
	}
	orderBy, ok := oneOf(w, r, "order_by", "id", "id", "iid", "created_at", "updated_at", "ref", "finished_at")
	if !ok {
		return
	}
	sort, ok := oneOf(w, r, "sort", "asc", "asc", "desc")
	if !ok {
		return
	}
	status, ok := oneOf(w, r, "status", "", deploymentStatuses...)
	if !ok {
		return
	}
	env := r.URL.Query().Get("environment")
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*Deployment
	for _, d := range s.deployments {
		if (env == "" || d.Environment == env) && (status == "" || d.Status == status) {
			list = append(list, d)
		}
	}
	slices.SortStableFunc(list, func(a, b *Deployment) int {
		c := cmp.Compare(a.ID, b.ID)
		switch orderBy {
		case "updated_at":
			c = cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), c)
		case "ref":
			c = cmp.Or(cmp.Compare(a.Ref, b.Ref), c)
		}
		if sort == "desc" {
			return -c
		}
		return c
	})
	lo, hi := paginate(w, r, len(list))
	out := []map[string]any{}
	for _, d := range list[lo:hi] {
		out = append(out, s.deploymentJSON(d))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "deployment_id")
	if !ok || !projectOK(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(id)
	if d == nil {
		writeMessage(w, http.StatusNotFound, "404 Not found")
		return
	}
	writeJSON(w, http.StatusOK, s.deploymentJSON(d))
}

// createDeployment makes a deployment through the API: no job behind it.
func (s *Server) createDeployment(w http.ResponseWriter, r *http.Request) {
	doc, ok := decode(w, r)
	if !ok || !projectOK(w, r) {
		return
	}
	var missing []string
	for _, name := range []string{"environment", "sha", "ref", "tag", "status"} {
		if _, present := text(doc, name); !present {
			missing = append(missing, name+" is missing")
		}
	}
	if len(missing) > 0 {
		badParam(w, strings.Join(missing, ", "))
		return
	}
	tag, isBool := doc["tag"].(bool)
	env, _ := text(doc, "environment")
	sha, _ := text(doc, "sha")
	ref, _ := text(doc, "ref")
	status, _ := text(doc, "status")
	switch {
	case !isBool:
		badParam(w, "tag is invalid")
		return
	case deploymentEvents[status] == "":
		badParam(w, "status does not have a valid value")
		return
	case env == "" || sha == "" || ref == "":
		badParam(w, "environment, sha and ref are empty")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.environment(env)
	s.deployIID++
	d := &Deployment{ID: s.nextID(), IID: s.deployIID, Environment: env, SHA: sha, Ref: ref, Tag: tag, Status: status,
		User: callerOf(r).username, CreatedAt: s.now()}
	d.UpdatedAt = d.CreatedAt
	s.deployments = append(s.deployments, d)
	writeJSON(w, http.StatusCreated, s.deploymentJSON(d))
}

// updateDeployment changes a deployment's status. GitLab refuses a deployment a job made
// (its job owns the status) and a change its state machine does not allow.
func (s *Server) updateDeployment(w http.ResponseWriter, r *http.Request) {
	id, ok := pathInt(w, r, "deployment_id")
	if !ok || !projectOK(w, r) {
		return
	}
	doc, ok := decode(w, r)
	if !ok {
		return
	}
	status, present := text(doc, "status")
	switch {
	case !present:
		badParam(w, "status is missing")
		return
	case deploymentEvents[status] == "":
		badParam(w, "status does not have a valid value")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployment(id)
	switch {
	case d == nil:
		writeMessage(w, http.StatusNotFound, "404 Not found")
	case d.JobID != 0:
		writeMessage(w, http.StatusForbidden, "403 Forbidden - Deployments created using GitLab CI can not be updated using the API")
	case !deploymentTransition(d.Status, status):
		invalid(w, "status", fmt.Sprintf("cannot transition via %q", deploymentEvents[status]))
	default:
		d.Status, d.UpdatedAt = status, s.now()
		writeJSON(w, http.StatusOK, s.deploymentJSON(d))
	}
}
