package gitlabdeploy

import (
	"context"
	"strconv"

	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// ensure settles, once, which deployment the run reports on: the one given (a previous
// start), else the deployed commit's in the environment (see pick), else a new one made
// through the API with the status the event calls for. The same list gives the
// environment's history. After a failed update it reads the deployment's status again.
func (s *Sink) ensure(ctx context.Context, ev sink.Event, want string) error {
	s.mu.Lock()
	dep, stale := s.dep, s.stale
	s.mu.Unlock()
	if dep != nil {
		if stale {
			return s.refresh(ctx, dep.id)
		}
		return nil
	}
	given := s.given
	if given == 0 && ev.Report.Run.DeploymentID != "" {
		given, _ = strconv.ParseInt(ev.Report.Run.DeploymentID, 10, 64)
	}
	run := ev.Report.Run
	list, _, err := s.c.REST().Deployments.ListProjectDeployments(s.c.Project(), &gitlab.ListProjectDeploymentsOptions{
		ListOptions: gitlab.ListOptions{PerPage: int64(max(2*s.cfg.HistorySize, 20))},
		OrderBy:     gitlab.Ptr("id"), Sort: gitlab.Ptr("desc"), Environment: gitlab.Ptr(s.cfg.Environment),
	}, gitlab.WithContext(ctx))
	if err != nil {
		return s.c.Classify("list deployments", err)
	}
	var d *gitlab.Deployment
	switch {
	case given != 0:
		if d = byID(list, given); d == nil {
			if d, _, err = s.c.REST().Deployments.GetProjectDeployment(s.c.Project(), given, gitlab.WithContext(ctx)); err != nil {
				return s.c.Classify("get deployment", err)
			}
		}
	default:
		d = pick(list, run.DeployedSHA(), run.PipelineID)
	}
	if d == nil {
		if d, err = s.create(ctx, run, want); err != nil {
			return err
		}
	}
	s.settle(d, list)
	return nil
}

// settle records the deployment and the environment's other deployments as its history.
func (s *Sink) settle(d *gitlab.Deployment, list []*gitlab.Deployment) {
	dep := &deployment{id: d.ID, iid: d.IID, job: d.Deployable.ID != 0, status: d.Status}
	if d.Environment != nil {
		dep.envID = d.Environment.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dep = dep
	for _, o := range list {
		if o.ID != d.ID && started(o.Status) && len(s.history) < s.cfg.HistorySize {
			s.history = append(s.history, s.past(o))
		}
	}
}

// pick is the deployment of sha among the environment's, newest first: the one a job of
// this pipeline made (the deploy job before the monitor), else the newest that started.
// A deployment still created or blocked is a deploy job that has not run (a manual job,
// a later pipeline): it deployed nothing yet.
func pick(list []*gitlab.Deployment, sha, pipeline string) *gitlab.Deployment {
	if sha == "" {
		return nil
	}
	for _, d := range list {
		if d.SHA == sha && d.Deployable.ID != 0 && pipeline != "" && strconv.FormatInt(d.Deployable.Pipeline.ID, 10) == pipeline {
			return d
		}
	}
	for _, d := range list {
		if d.SHA == sha && started(d.Status) {
			return d
		}
	}
	return nil
}

func started(status string) bool { return status != "created" && status != "blocked" && status != "" }

func byID(list []*gitlab.Deployment, id int64) *gitlab.Deployment {
	for _, d := range list {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// create records the deploy through the API, for the run's commit and ref, with the
// status the event calls for (mode finish records the outcome at once).
func (s *Sink) create(ctx context.Context, run model.RunContext, status string) (*gitlab.Deployment, error) {
	sha := run.DeployedSHA()
	ref, tag := gitlabapi.RefName(run.Ref)
	switch {
	case sha == "":
		return nil, &sink.Error{Op: "create deployment", Disable: true, Detail: "the run's commit is unknown"}
	case ref == "":
		return nil, &sink.Error{Op: "create deployment", Disable: true, Detail: "the run's ref is unknown (CI_COMMIT_REF_NAME)"}
	}
	st := gitlab.DeploymentStatusValue(status)
	d, _, err := s.c.REST().Deployments.CreateProjectDeployment(s.c.Project(), &gitlab.CreateProjectDeploymentOptions{
		Environment: gitlab.Ptr(s.cfg.Environment), SHA: gitlab.Ptr(sha), Ref: gitlab.Ptr(ref),
		Tag: gitlab.Ptr(tag || s.cfg.Tag), Status: &st,
	}, gitlab.WithContext(ctx))
	if err != nil {
		return nil, s.c.Classify("create deployment", err)
	}
	if d.ID == 0 {
		return nil, &sink.Error{Op: "create deployment", Detail: "GitLab's answer has no deployment id"}
	}
	return d, nil
}

// update sets the status when the deployment is the sink's and GitLab allows the change:
// a deployment made by a job is left to its job, and one already finished (by an earlier
// run) is not set running again.
func (s *Sink) update(ctx context.Context, want string) error {
	s.mu.Lock()
	dep := *s.dep
	s.mu.Unlock()
	if dep.job || !transition(dep.status, want) {
		return nil
	}
	st := gitlab.DeploymentStatusValue(want)
	d, _, err := s.c.REST().Deployments.UpdateProjectDeployment(s.c.Project(), dep.id,
		&gitlab.UpdateProjectDeploymentOptions{Status: &st}, gitlab.WithContext(ctx))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.stale = true
		return s.c.Classify("update deployment", err)
	}
	s.dep.status = d.Status
	return nil
}

// refresh reads the deployment's status after a failed update.
func (s *Sink) refresh(ctx context.Context, id int64) error {
	d, _, err := s.c.REST().Deployments.GetProjectDeployment(s.c.Project(), id, gitlab.WithContext(ctx))
	if err != nil {
		return s.c.Classify("get deployment", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dep.status, s.stale = d.Status, false
	return nil
}

// past is a deployment as the report's history shows it: one a job made links its job.
func (s *Sink) past(d *gitlab.Deployment) model.PastDeployment {
	p := model.PastDeployment{ID: strconv.FormatInt(d.ID, 10), SHA: d.SHA, Ref: d.Ref, State: d.Status}
	if d.CreatedAt != nil {
		p.CreatedAt = *d.CreatedAt
	}
	if d.User != nil {
		p.Creator = d.User.Username
	}
	if d.Deployable.ID != 0 {
		p.Description = "job " + d.Deployable.Name
		p.URL = s.c.ProjectURL("-", "jobs", strconv.FormatInt(d.Deployable.ID, 10))
	}
	return p
}
