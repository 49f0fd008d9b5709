package githubtest

import "net/http"

// routes registers the REST paths and GraphQL endpoint the fake serves.
func (s *Server) routes() {
	const repo = "/repos/{owner}/{repo}"
	m := s.mux
	m.HandleFunc("POST /graphql", s.graphql)
	m.HandleFunc("GET /user", func(w http.ResponseWriter, _ *http.Request) {
		// A GITHUB_TOKEN is an installation token: it has no user.
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Resource not accessible by integration", "documentation_url": docs})
	})
	m.HandleFunc("GET "+repo+"/deployments", s.listDeployments)
	m.HandleFunc("POST "+repo+"/deployments", s.createDeployment)
	m.HandleFunc("GET "+repo+"/deployments/{id}", s.getDeployment)
	m.HandleFunc("GET "+repo+"/deployments/{id}/statuses", s.listDeploymentStatuses)
	m.HandleFunc("POST "+repo+"/deployments/{id}/statuses", s.createDeploymentStatus)
	m.HandleFunc("GET "+repo+"/issues/{number}/comments", s.listIssueComments)
	m.HandleFunc("POST "+repo+"/issues/{number}/comments", s.createIssueComment)
	m.HandleFunc("PATCH "+repo+"/issues/comments/{id}", s.editComment(true))
	m.HandleFunc("DELETE "+repo+"/issues/comments/{id}", s.deleteComment(true))
	m.HandleFunc("GET "+repo+"/commits/{sha}/comments", s.listCommitComments)
	m.HandleFunc("POST "+repo+"/commits/{sha}/comments", s.createCommitComment)
	m.HandleFunc("PATCH "+repo+"/comments/{id}", s.editComment(false))
	m.HandleFunc("DELETE "+repo+"/comments/{id}", s.deleteComment(false))
	m.HandleFunc("GET "+repo+"/commits/{sha}/pulls", s.pullsOfCommit)
	m.HandleFunc("POST "+repo+"/statuses/{sha}", s.createCommitStatus)
	m.HandleFunc("GET "+repo+"/commits/{ref}/statuses", s.listCommitStatuses)
	m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFound(w) })
}
