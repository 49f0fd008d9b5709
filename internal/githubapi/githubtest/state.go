package githubtest

import (
	"slices"
	"time"
)

// Deployment is a deployment the fake holds.
type Deployment struct {
	ID          int64
	SHA         string
	Ref         string
	Task        string
	Environment string
	Description string
	// Creator is the REST login, e.g. Bot or "octocat".
	Creator    string
	Production bool
	Transient  bool
	CreatedAt  time.Time
	// Statuses are oldest first.
	Statuses []DeploymentStatus
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID             int64
	State          string
	Description    string
	LogURL         string
	EnvironmentURL string
	Creator        string
	CreatedAt      time.Time
}

// Comment is a pull request (issue) comment when PR is set, else a commit comment on SHA.
type Comment struct {
	ID        int64
	PR        int
	SHA       string
	User      string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PullRequest is a pull request; State is "open", "closed" or "merged".
type PullRequest struct {
	Number  int
	HeadSHA string
	State   string
}

// CommitStatus is a commit status.
type CommitStatus struct {
	ID          int64
	SHA         string
	Context     string
	State       string
	Description string
	TargetURL   string
	Creator     string
	CreatedAt   time.Time
}

// state is what the fake repository holds; Server.mu guards it.
type state struct {
	deployments []*Deployment
	comments    []*Comment
	pulls       []*PullRequest
	statuses    []*CommitStatus
}

// AddPullRequest seeds a pull request whose head is headSHA.
func (s *Server) AddPullRequest(number int, headSHA, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pulls = append(s.pulls, &PullRequest{Number: number, HeadSHA: headSHA, State: state})
}

// AddComment seeds a comment and returns its id. User defaults to the token's login,
// CreatedAt to the fake's clock.
func (s *Server) AddComment(c Comment) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = s.nextID()
	if c.User == "" {
		c.User = s.login
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	s.comments = append(s.comments, &c)
	return c.ID
}

// AddDeployment seeds a deployment (with its statuses) and returns its id. Defaults: Ref
// the SHA, Task "deploy", Environment "production", Creator the token's login (a job with
// `environment:` makes GitHub Actions create one so), times from the fake's clock.
func (s *Server) AddDeployment(d Deployment) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.nextID()
	if d.Ref == "" {
		d.Ref = d.SHA
	}
	if d.Task == "" {
		d.Task = "deploy"
	}
	if d.Environment == "" {
		d.Environment = "production"
	}
	if d.Creator == "" {
		d.Creator = s.login
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.now()
	}
	d.Statuses = slices.Clone(d.Statuses)
	for i := range d.Statuses {
		st := &d.Statuses[i]
		st.ID = s.nextID()
		if st.Creator == "" {
			st.Creator = d.Creator
		}
		if st.CreatedAt.IsZero() {
			st.CreatedAt = s.now()
		}
	}
	s.deployments = append(s.deployments, &d)
	return d.ID
}

// AddCommitStatus seeds a commit status, e.g. a pending CI check that blocks a deployment
// created without required_contexts.
func (s *Server) AddCommitStatus(sha, context, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, &CommitStatus{ID: s.nextID(), SHA: sha, Context: context, State: state, Creator: "ci-bot", CreatedAt: s.now()})
}

// Deployments returns the deployments, oldest first.
func (s *Server) Deployments() []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Deployment, 0, len(s.deployments))
	for _, d := range s.deployments {
		c := *d
		c.Statuses = slices.Clone(d.Statuses)
		out = append(out, c)
	}
	return out
}

// IssueComments returns the comments of pull request pr, oldest first.
func (s *Server) IssueComments(pr int) []Comment {
	return s.commentsWhere(func(c *Comment) bool { return c.PR == pr })
}

// CommitComments returns the comments on commit sha, oldest first.
func (s *Server) CommitComments(sha string) []Comment {
	return s.commentsWhere(func(c *Comment) bool { return c.PR == 0 && c.SHA == sha })
}

func (s *Server) commentsWhere(keep func(*Comment) bool) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if keep(c) {
			out = append(out, *c)
		}
	}
	return out
}

// CommitStatuses returns the statuses of commit sha, oldest first.
func (s *Server) CommitStatuses(sha string) []CommitStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CommitStatus
	for _, st := range s.statuses {
		if st.SHA == sha {
			out = append(out, *st)
		}
	}
	return out
}

func (s *Server) deployment(id int64) *Deployment {
	for _, d := range s.deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (s *Server) comment(id int64, issue bool) *Comment {
	for _, c := range s.comments {
		if c.ID == id && (c.PR != 0) == issue {
			return c
		}
	}
	return nil
}

func (s *Server) pull(number int) *PullRequest {
	for _, p := range s.pulls {
		if p.Number == number {
			return p
		}
	}
	return nil
}
