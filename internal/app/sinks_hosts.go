package app

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/githubapi"
	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/githubcomment"
	"github.com/deploywatch/deploywatch/internal/sink/githubdeploy"
	"github.com/deploywatch/deploywatch/internal/sink/githubstatus"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabdeploy"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabnote"
	"github.com/deploywatch/deploywatch/internal/sink/gitlabstatus"
)

// githubSinks builds the GitHub deployment, the sticky comment and the commit status
// when the run knows its repository and has a token. They share one client: one token,
// one view of the rate limits, one lookup of the token's login.
func githubSinks(env Env, cfg *config.Config, rc model.RunContext, tr http.RoundTripper) ([]sink.Sink, []string) {
	s := cfg.Sinks
	wanted := s.DeploymentStatus || s.Comment != "off" || s.CommitStatus
	if !wanted || rc.Repository == "" {
		return nil, nil
	}
	if rc.Platform == "gitlab" {
		// The run's repository and API URL are GitLab's: the GitHub token would be sent there.
		if s.GitHubToken != "" {
			return nil, []string{"github_token is ignored on GitLab: the job's project and API are GitLab's; the GitLab deployment, note and status report this run"}
		}
		return nil, nil
	}
	if s.GitHubToken == "" {
		if rc.Platform != "github" {
			return nil, nil // a terminal without a token: nothing to report on GitHub
		}
		return nil, []string{"github_token is empty: no GitHub deployment, comment or commit status for this run"}
	}
	if rc.Fork && rc.EventName == "pull_request" {
		// Every write would be refused: say so once and make no call.
		return nil, []string{forkWarning(cfg, rc)}
	}
	c, err := githubapi.New(githubapi.Config{Token: s.GitHubToken, APIURL: rc.APIURL, ServerURL: rc.ServerURL,
		Repository: rc.Repository, UserAgent: userAgent(env.Version), Transport: tr})
	if err != nil {
		return nil, []string{fmt.Sprintf("GitHub reporting is off: %v", err)}
	}
	return githubSinksOn(c, cfg)
}

// githubSinksOn builds the GitHub sinks the configuration asks for on client c.
func githubSinksOn(c *githubapi.Client, cfg *config.Config) ([]sink.Sink, []string) {
	s := cfg.Sinks
	var sinks []sink.Sink
	var warnings []string
	add := func(sk sink.Sink, err error) {
		if err != nil {
			warnings = append(warnings, err.Error())
			return
		}
		sinks = append(sinks, sk)
	}
	if s.DeploymentStatus {
		add(githubdeploy.New(githubdeploy.Config{Client: c, Environment: cfg.Environment, EnvironmentURL: s.EnvironmentURL,
			Production: s.ProductionEnvironment, Transient: s.TransientEnvironment, DeploymentID: cfg.DeploymentID}))
	}
	if s.Comment != "off" {
		add(githubcomment.New(githubcomment.Config{Client: c, Mode: s.Comment, Environment: cfg.Environment}))
	}
	if s.CommitStatus {
		add(githubstatus.New(githubstatus.Config{Client: c, Environment: cfg.Environment}))
	}
	if len(sinks) > 0 {
		// A token without write permissions turns the GitHub sinks off quietly; this one
		// warns once for all of them at the end.
		sinks = append(sinks, c.PermissionReport())
	}
	return sinks, warnings
}

// forkWarning explains why a pull_request run from a fork reports nothing on GitHub:
// GitHub gives it a read-only GITHUB_TOKEN (and no secrets), so every write would be
// refused.
func forkWarning(cfg *config.Config, rc model.RunContext) string {
	s := cfg.Sinks
	var off, needs []string
	if s.DeploymentStatus {
		off, needs = append(off, "deployment"), append(needs, githubapi.DeploymentsPermission)
	}
	if s.Comment != "off" {
		off, needs = append(off, "comment"), append(needs, "pull-requests: write")
	}
	if s.CommitStatus {
		off, needs = append(off, "commit status"), append(needs, "statuses: write")
	}
	from := "a fork"
	if rc.HeadRepository != "" {
		from = "the fork " + rc.HeadRepository
	}
	what, are := off[0], "is"
	if len(off) > 1 {
		what, are = strings.Join(off[:len(off)-1], ", ")+" and "+off[len(off)-1], "are"
	}
	return fmt.Sprintf("pull request #%d comes from %s: GitHub gives this workflow a read-only token, so the GitHub %s %s "+
		"off for this run and no call was made (reporting there needs %s, which a fork's pull_request run cannot get); "+
		"the verdict and the job summary are unaffected", rc.PullRequest, from, what, are, strings.Join(needs, ", "))
}

// gitlabSinks builds the GitLab deployment, the sticky merge request note and the commit
// status on a GitLab job. The deployment works with CI_JOB_TOKEN; the note and the status
// need a token with the api scope, and without one are left out with one warning.
func gitlabSinks(env Env, cfg *config.Config, rc model.RunContext, tr http.RoundTripper) ([]sink.Sink, []string) {
	s := cfg.Sinks
	if rc.Platform != "gitlab" || rc.APIURL == "" || !(s.DeploymentStatus || s.Comment != "off" || s.CommitStatus) {
		return nil, nil
	}
	jobToken := env.Getenv("CI_JOB_TOKEN")
	token := s.GitLabToken
	if token == "" {
		token = jobToken
	}
	if token == "" {
		return nil, []string{"neither gitlab_token nor CI_JOB_TOKEN is set: no GitLab deployment, merge request note or commit status for this run"}
	}
	isJob := token == jobToken || strings.HasPrefix(token, "glcbt-")
	c, err := gitlabapi.New(gitlabapi.Config{Token: token, JobToken: isJob, APIURL: rc.APIURL, ProjectID: rc.ProjectID,
		ProjectPath: rc.Repository, ServerURL: rc.ServerURL, UserAgent: userAgent(env.Version), Transport: tr})
	if err != nil {
		return nil, []string{fmt.Sprintf("GitLab reporting is off: %v", err)}
	}
	var sinks []sink.Sink
	var warnings []string
	add := func(sk sink.Sink, err error) {
		if err != nil {
			warnings = append(warnings, err.Error())
			return
		}
		sinks = append(sinks, sk)
	}
	if s.DeploymentStatus {
		add(gitlabdeploy.New(gitlabdeploy.Config{Client: c, Environment: cfg.Environment, DeploymentID: cfg.DeploymentID, Tag: rc.Tag}))
	}
	if isJob && (s.Comment != "off" || s.CommitStatus) {
		// Known before the first call: CI_JOB_TOKEN may not create notes or statuses.
		return sinks, append(warnings, "the merge request note and the commit status need gitlab_token set to a project access token "+
			"with the api scope; CI_JOB_TOKEN cannot create them, so they are off for this run")
	}
	if s.Comment != "off" {
		add(gitlabnote.New(gitlabnote.Config{Client: c, Mode: s.Comment, Environment: cfg.Environment}))
	}
	if s.CommitStatus {
		add(gitlabstatus.New(gitlabstatus.Config{Client: c, Environment: cfg.Environment}))
	}
	return sinks, warnings
}
