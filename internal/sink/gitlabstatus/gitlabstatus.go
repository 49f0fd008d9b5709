// Package gitlabstatus sets an external commit status, deploywatch/<environment>, on the
// deployed commit in the run's pipeline: running while the run monitors, then success,
// failed or canceled. GitLab's commit status is a state machine that answers 400 ("Cannot
// transition status via :run from :running") to the state a status already has and to a
// step back, so the sink reads the status of its name in the pipeline before its first
// post (a re-run of the job finds the previous run's) and again after a post whose answer
// it did not get, and only ever posts an allowed change: a run costs three calls. The
// status links to the sticky note when there is one, else to the job.
//
// A CI_JOB_TOKEN cannot read or set commit statuses, so the app does not build this sink
// with one (internal/app warns once instead); a token GitLab refuses (401/403) turns the
// sink off at its first call, with the scope or role it lacks in the warning.
//
// API: https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit (POST
// /projects/:id/statuses/:sha) and
// https://docs.gitlab.com/api/commits/#list-the-statuses-of-a-commit (GET
// /projects/:id/repository/commits/:sha/statuses), through
// gitlab.com/gitlab-org/api/client-go.
package gitlabstatus

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/deploywatch/deploywatch/internal/gitlabapi"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/report"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Config configures the sink.
type Config struct {
	// Client is the shared GitLab client.
	Client *gitlabapi.Client
	// Environment names the status.
	Environment string
}

// Sink is the commit status.
type Sink struct {
	cfg Config
	c   *gitlabapi.Client

	mu sync.Mutex
	// known reports that active and done hold GitLab's view: false before the first read
	// and after a post whose outcome is unknown.
	known bool
	// active is the state of the status still pending or running, "" when there is none.
	active string
	// done is the state of the latest finished status, when none is active.
	done string
}

var _ sink.Sink = (*Sink)(nil)

// New checks the configuration and returns the sink.
func New(cfg Config) (*Sink, error) {
	if cfg.Client == nil {
		return nil, errors.New("gitlab commit status: no GitLab client")
	}
	if strings.TrimSpace(cfg.Environment) == "" {
		return nil, errors.New("gitlab commit status: environment is empty")
	}
	return &Sink{cfg: cfg, c: cfg.Client}, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "gitlab commit status" }

// StatusName is the status's name for an environment.
func StatusName(environment string) string { return "deploywatch/" + environment }

// Send posts running at the start and the outcome at the end, when GitLab's state
// machine allows the change and it is one.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	err := s.send(ctx, ev)
	return sink.Retryable(err), err
}

func (s *Sink) send(ctx context.Context, ev sink.Event) error {
	r := ev.Report
	var state, desc string
	switch ev.Kind {
	case sink.KindStarted, sink.KindResumed:
		state, desc = "running", "Monitoring "+s.cfg.Environment
		if n := len(r.Checks); n > 0 {
			desc += ": " + plural(n)
		}
	case sink.KindFinished:
		state, desc = State(r.Verdict), report.SummaryLine(withoutDryRun(r))
		if r.DryRun {
			desc = "dry run: " + desc
		}
	default:
		return nil
	}
	p, err := s.params(r.Run)
	if err != nil {
		return err
	}
	if err := s.read(ctx, p); err != nil {
		return err
	}
	s.mu.Lock()
	post := wanted(s.active, s.done, state)
	s.mu.Unlock()
	if !post {
		return nil
	}
	return s.post(ctx, p, state, gitlabapi.Description(desc), targetURL(r))
}

// wanted reports whether to post state given GitLab's view: over an active status only a
// change its state machine allows (pending to anything else, running to a finished
// state); with none active, anything but a repeat of the finished state already shown
// (posting it would make a new status saying the same).
func wanted(active, done, state string) bool {
	switch active {
	case "pending":
		return state != "pending"
	case "running":
		return state != "pending" && state != "running"
	}
	return state != done
}

// State maps a verdict onto a commit status state. GitLab has no "error": an inconclusive
// run is failed, its description says inconclusive.
func State(v model.Verdict) string {
	switch v {
	case model.VerdictHealthy, model.VerdictDegraded:
		return "success"
	case model.VerdictCancelled:
		return "canceled"
	}
	return "failed"
}

// params are where the status goes: the deployed commit, the run's ref and pipeline.
type params struct {
	sha, ref string
	pipeline int64
}

func (s *Sink) params(run model.RunContext) (params, error) {
	p := params{sha: run.DeployedSHA()}
	if p.sha == "" {
		return p, &sink.Error{Op: "set commit status", Disable: true, Detail: "the run's commit is unknown"}
	}
	p.ref, _ = gitlabapi.RefName(run.Ref)
	if run.PipelineID != "" {
		id, err := strconv.ParseInt(run.PipelineID, 10, 64)
		if err != nil || id <= 0 {
			return p, &sink.Error{Op: "set commit status", Disable: true, Detail: "the run's pipeline id " + strconv.Quote(run.PipelineID) + " is not a number"}
		}
		p.pipeline = id
	}
	return p, nil
}

// maxTargetURL is the longest target_url GitLab accepts; a longer one is refused (400).
const maxTargetURL = 255

// targetURL is the sticky note when there is one (it holds the whole report), else the
// job; none when both are too long for GitLab.
func targetURL(r model.Report) string {
	for _, u := range []string{r.CommentURL, r.Run.RunURL} {
		if u != "" && len(u) <= maxTargetURL {
			return u
		}
	}
	return ""
}

// withoutDryRun drops the dry-run mark from the summary line: it goes first instead,
// where the cut cannot drop it.
func withoutDryRun(r model.Report) model.Report {
	r.DryRun = false
	return r
}

func plural(n int) string {
	if n == 1 {
		return "1 check"
	}
	return strconv.Itoa(n) + " checks"
}
