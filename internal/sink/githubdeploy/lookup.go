package githubdeploy

import (
	"context"
	"errors"
	"strconv"

	"github.com/google/go-github/v62/github"

	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// ensure settles which deployment the run reports on, once: the one given (a previous
// start, the deployment event), else the environment's newest when it is for the deployed
// commit (a job with `environment:` made it, or an earlier attempt of this run whose
// answer was lost), else a new one. A resumed run (mode monitor) looks for the commit's
// newest deployment in the environment rather than only the newest. The same query gives
// the environment's history.
func (s *Sink) ensure(ctx context.Context, ev sink.Event) error {
	s.mu.Lock()
	known := s.id != 0
	s.mu.Unlock()
	if known {
		return nil
	}
	given := s.given
	if given == 0 && ev.Report.Run.DeploymentID != "" {
		given, _ = strconv.ParseInt(ev.Report.Run.DeploymentID, 10, 64)
	}
	sha := ev.Report.Run.DeployedSHA()
	lk, err := s.c.DeploymentsFor(ctx, s.cfg.Environment, sha, s.cfg.HistorySize+1)
	if err != nil {
		var se *sink.Error
		// With the deployment given, the history is a nicety: a lookup GitHub refuses for
		// good does not stop the statuses.
		if given == 0 || !errors.As(err, &se) || se.Retry || se.Disable {
			return err
		}
	}
	id := given
	if id == 0 {
		id = pick(lk.Deployments, sha, ev.Kind == sink.KindResumed)
	}
	if id == 0 {
		if id, err = s.create(ctx, ev, sha); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.id = id
	for _, d := range lk.Deployments {
		if d.ID == id {
			s.last = status{state: d.State, desc: d.StatusDescription}
			continue
		}
		if lk.History && len(s.history) < s.cfg.HistorySize {
			s.history = append(s.history, past(d))
		}
	}
	return nil
}

// pick is the deployment to reuse among the environment's, newest first: the newest if it
// is for sha; for a resumed run, the newest for sha.
func pick(deps []githubapi.Deployment, sha string, resumed bool) int64 {
	for _, d := range deps {
		if d.SHA == sha && sha != "" {
			return d.ID
		}
		if !resumed {
			break
		}
	}
	return 0
}

// create makes the deployment. required_contexts is sent empty: left out, GitHub checks
// every commit status of the ref first and answers 409 while one is pending, our own
// commit status included. auto_merge is off: a monitor must not merge anything.
func (s *Sink) create(ctx context.Context, ev sink.Event, sha string) (int64, error) {
	if sha == "" {
		return 0, &sink.Error{Op: "create deployment", Disable: true, Detail: "the run's commit is unknown"}
	}
	desc := ev.Report.Description
	if desc == "" {
		desc = "Deploy " + report.ShortCommit(sha) + " to " + s.cfg.Environment
	}
	req := &github.DeploymentRequest{
		Ref:                   github.String(sha),
		Task:                  github.String(s.cfg.Task),
		AutoMerge:             github.Bool(false),
		RequiredContexts:      &[]string{},
		Environment:           github.String(s.cfg.Environment),
		Description:           github.String(githubapi.Description(desc)),
		ProductionEnvironment: github.Bool(s.cfg.Production),
		TransientEnvironment:  github.Bool(s.cfg.Transient),
	}
	d, _, err := s.c.REST().Repositories.CreateDeployment(ctx, s.c.Owner(), s.c.Repo(), req)
	if err != nil {
		return 0, s.c.Classify("create deployment", err)
	}
	if d.GetID() == 0 {
		return 0, &sink.Error{Op: "create deployment", Detail: "GitHub's answer has no deployment id"}
	}
	return d.GetID(), nil
}

// past is a deployment as the report's history shows it.
func past(d githubapi.Deployment) model.PastDeployment {
	desc := d.StatusDescription
	if desc == "" {
		desc = d.Description
	}
	return model.PastDeployment{
		ID: strconv.FormatInt(d.ID, 10), SHA: d.SHA, Ref: d.Ref, State: d.State, Description: desc,
		CreatedAt: d.CreatedAt, Creator: d.Creator, URL: d.LogURL,
	}
}
