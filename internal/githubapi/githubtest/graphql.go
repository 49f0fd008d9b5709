package githubtest

import (
	"net/http"
	"slices"
	"strings"
)

// graphqlRequest is the body of POST /graphql.
type graphqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// graphql answers the queries deploywatch makes, from the fake's state: `viewer { login }`
// and `repository(owner: $owner, name: $name) { deployments(environments: $environments,
// first: $first, ...) { nodes {...} } object(oid: $sha) { ... on Commit {
// associatedPullRequests(...) { nodes {...} } } } }` (variables owner, name, environments
// or environment, first, sha). Anything else gets GraphQL errors, as an unknown field does.
func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	var req graphqlRequest
	if !decode(w, r, &req) {
		return
	}
	q := req.Query
	if strings.TrimSpace(q) == "" {
		writeJSON(w, http.StatusOK, gqlErrors("", "A query attribute must be specified and must be a string."))
		return
	}
	if strings.HasPrefix(strings.TrimSpace(q), "mutation") {
		writeJSON(w, http.StatusOK, gqlErrors("", "githubtest: mutations are not supported"))
		return
	}
	data := map[string]any{}
	var errs []map[string]any
	if strings.Contains(q, "viewer") {
		s.mu.Lock()
		data["viewer"] = map[string]any{"login": s.login}
		s.mu.Unlock()
	}
	if strings.Contains(q, "repository(") {
		owner, _ := req.Variables["owner"].(string)
		name, _ := req.Variables["name"].(string)
		if !strings.EqualFold(owner, Owner) || !strings.EqualFold(name, Repo) {
			data["repository"] = nil
			errs = append(errs, map[string]any{"type": "NOT_FOUND", "path": []string{"repository"},
				"message": "Could not resolve to a Repository with the name '" + owner + "/" + name + "'."})
		} else {
			repo := map[string]any{}
			if strings.Contains(q, "deployments(") {
				repo["deployments"] = map[string]any{"nodes": s.deploymentNodes(req.Variables)}
			}
			if strings.Contains(q, "object(") {
				sha, _ := req.Variables["sha"].(string)
				repo["object"] = map[string]any{"associatedPullRequests": map[string]any{"nodes": s.pullNodes(sha)}}
			}
			data["repository"] = repo
		}
	}
	if len(data) == 0 {
		writeJSON(w, http.StatusOK, gqlErrors("", "githubtest: the fake answers viewer, repository.deployments and repository.object only"))
		return
	}
	answer := map[string]any{"data": data}
	if len(errs) > 0 {
		answer["errors"] = errs
	}
	writeJSON(w, http.StatusOK, answer)
}

// pullNodes are the pull requests associated with a commit, as pullsOfCommit lists them.
func (s *Server) pullNodes(sha string) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	nodes := []any{}
	for _, p := range s.pulls {
		if p.HeadSHA == sha {
			nodes = append(nodes, map[string]any{"number": p.Number, "state": strings.ToUpper(p.State), "merged": p.State == "merged"})
		}
	}
	return nodes
}

func gqlErrors(typ, msg string) map[string]any {
	e := map[string]any{"message": msg}
	if typ != "" {
		e["type"] = typ
	}
	return map[string]any{"errors": []any{e}}
}

// deploymentNodes are the deployments of the environments asked for, newest first.
func (s *Server) deploymentNodes(vars map[string]any) []any {
	var envs []string
	if list, ok := vars["environments"].([]any); ok {
		for _, e := range list {
			if s, ok := e.(string); ok {
				envs = append(envs, s)
			}
		}
	}
	if e, ok := vars["environment"].(string); ok {
		envs = append(envs, e)
	}
	first := 10
	if f, ok := vars["first"].(float64); ok && f > 0 {
		first = min(int(f), 100)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	nodes := []any{}
	for _, d := range slices.Backward(s.deployments) {
		if len(nodes) == first {
			break
		}
		if len(envs) > 0 && !slices.Contains(envs, d.Environment) {
			continue
		}
		var ref any
		if !isSHA(d.Ref) {
			ref = map[string]any{"name": d.Ref}
		}
		var latest any
		if n := len(d.Statuses); n > 0 {
			st := d.Statuses[n-1]
			latest = map[string]any{"state": strings.ToUpper(st.State), "description": st.Description,
				"logUrl": nullable(st.LogURL), "createdAt": stamp(st.CreatedAt)}
		}
		nodes = append(nodes, map[string]any{
			"databaseId": d.ID, "commitOid": d.SHA, "task": d.Task, "createdAt": stamp(d.CreatedAt),
			"description": nullable(d.Description), "environment": d.Environment,
			// A bot is an Actor without the "[bot]" of its REST login.
			"creator":      map[string]any{"login": strings.TrimSuffix(d.Creator, "[bot]")},
			"ref":          ref,
			"latestStatus": latest,
		})
	}
	return nodes
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
