package gitlabtest

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"time"
)

// MergeRequest is a merge request whose source branch's head is SHA; State is "opened",
// "merged" or "closed".
type MergeRequest struct {
	IID   int64
	SHA   string
	State string
}

// Deployment is a deployment the fake holds.
type Deployment struct {
	ID  int64
	IID int64
	// Environment defaults to "production".
	Environment string
	SHA         string
	// Ref defaults to "main".
	Ref string
	Tag bool
	// Status is created, running, success, failed, canceled or blocked.
	Status string
	// User is the username of who made it.
	User string
	// JobID is the job that made it (its deployable); zero for one made through the API,
	// which only the API may update.
	JobID   int64
	JobName string
	// PipelineID is the job's pipeline.
	PipelineID int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Note is a merge request note when MergeRequest is set, else a note of a commit
// discussion on SHA.
type Note struct {
	ID           int64
	MergeRequest int64
	SHA          string
	// Discussion is the commit discussion's id (made up when empty).
	Discussion string
	// Author is a username; the token's user (Bot) when empty.
	Author    string
	Body      string
	System    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CommitStatus is an external commit status of a pipeline.
type CommitStatus struct {
	ID          int64
	SHA         string
	Ref         string
	Name        string
	Status      string
	Description string
	TargetURL   string
	PipelineID  int64
	Author      string
	// Retried marks a status a later one of the same name and pipeline replaced.
	Retried   bool
	CreatedAt time.Time
}

// state is what the fake project holds; Server.mu guards it.
type state struct {
	mergeRequests []*MergeRequest
	deployments   []*Deployment
	notes         []*Note
	statuses      []*CommitStatus
	// environments maps names to ids.
	environments map[string]int64
	deployIID    int64
}

// AddMergeRequest seeds a merge request.
func (s *Server) AddMergeRequest(iid int64, sha, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mergeRequests = append(s.mergeRequests, &MergeRequest{IID: iid, SHA: sha, State: state})
}

// AddDeployment seeds a deployment and returns its id. Defaults: Environment
// "production", Ref "main", Status "success", PipelineID (for one made by a job)
// PipelineID, JobName "deploy", User the job's user for one made by a job and the token's
// user otherwise, times from the fake's clock.
func (s *Server) AddDeployment(d Deployment) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.nextID()
	s.deployIID++
	d.IID = s.deployIID
	if d.Environment == "" {
		d.Environment = "production"
	}
	if d.Ref == "" {
		d.Ref = "main"
	}
	if d.Status == "" {
		d.Status = "success"
	}
	if d.JobID != 0 {
		if d.PipelineID == 0 {
			d.PipelineID = PipelineID
		}
		if d.JobName == "" {
			d.JobName = "deploy"
		}
	}
	if d.User == "" {
		d.User = Bot
		if d.JobID != 0 {
			d.User = JobUser
		}
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = s.now()
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	s.environment(d.Environment)
	s.deployments = append(s.deployments, &d)
	return d.ID
}

// AddNote seeds a note and returns its id: on merge request n.MergeRequest, else in a
// commit discussion on n.SHA (a new one unless n.Discussion names one).
func (s *Server) AddNote(n Note) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n.ID = s.nextID()
	if n.Author == "" {
		n.Author = Bot
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = s.now()
	}
	if n.UpdatedAt.IsZero() {
		n.UpdatedAt = n.CreatedAt
	}
	if n.MergeRequest == 0 && n.Discussion == "" {
		n.Discussion = discussionID(n.ID)
	}
	s.notes = append(s.notes, &n)
	return n.ID
}

// AddCommitStatus seeds a commit status and returns its id. Defaults: Ref "main",
// PipelineID PipelineID, Author the token's user.
func (s *Server) AddCommitStatus(st CommitStatus) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.ID = s.nextID()
	if st.Ref == "" {
		st.Ref = "main"
	}
	if st.PipelineID == 0 {
		st.PipelineID = PipelineID
	}
	if st.Author == "" {
		st.Author = Bot
	}
	if st.CreatedAt.IsZero() {
		st.CreatedAt = s.now()
	}
	s.statuses = append(s.statuses, &st)
	return st.ID
}

// Deployments returns the deployments, oldest first.
func (s *Server) Deployments() []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Deployment, 0, len(s.deployments))
	for _, d := range s.deployments {
		out = append(out, *d)
	}
	return out
}

// MergeRequestNotes returns the notes of merge request iid, oldest first.
func (s *Server) MergeRequestNotes(iid int64) []Note {
	return s.notesWhere(func(n *Note) bool { return n.MergeRequest == iid })
}

// CommitNotes returns the notes of the commit discussions on sha, oldest first.
func (s *Server) CommitNotes(sha string) []Note {
	return s.notesWhere(func(n *Note) bool { return n.MergeRequest == 0 && n.SHA == sha })
}

func (s *Server) notesWhere(keep func(*Note) bool) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Note
	for _, n := range s.notes {
		if keep(n) {
			out = append(out, *n)
		}
	}
	return out
}

// CommitStatuses returns the statuses of commit sha, oldest first, retried ones included.
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

// environment returns the id of the environment named, making it if needed. s.mu must
// be held.
func (s *Server) environment(name string) int64 {
	id, ok := s.environments[name]
	if !ok {
		id = s.nextID()
		s.environments[name] = id
	}
	return id
}

func (s *Server) deployment(id int64) *Deployment {
	for _, d := range s.deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (s *Server) mergeRequest(iid int64) *MergeRequest {
	for _, m := range s.mergeRequests {
		if m.IID == iid {
			return m
		}
	}
	return nil
}

// discussionID makes a discussion id as GitLab spells them: 40 hex digits.
func discussionID(seed int64) string {
	sum := sha1.Sum([]byte("discussion " + strconv.FormatInt(seed, 10)))
	return hex.EncodeToString(sum[:])
}
