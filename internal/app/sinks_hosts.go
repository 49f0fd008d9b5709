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
	return sinks, warnings
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
