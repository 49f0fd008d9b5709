package githubapi

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// Deployment is a GitHub deployment with its latest status.
type Deployment struct {
	ID          int64
	SHA         string
	Ref         string
	Task        string
	Description string
	Creator     string
	CreatedAt   time.Time
	// State is the latest status, lower case as REST spells it (success, failure, error,
	// inactive, in_progress, queued, pending); empty when it has none or it is unknown.
	State             string
	StatusDescription string
	LogURL            string
	StatusAt          time.Time
}

// DeploymentsPermission is what reading and writing deployments needs.
const DeploymentsPermission = "deployments: write"

// deploymentsQuery asks, in one call, who the token is and the environment's latest
// deployments with their latest status: enough to decide whether to reuse one and to show
// the environment's history. The %s add the deployed commit's pull requests when the sticky
// comment wants them (deploymentsQueryFor).
const deploymentsQuery = `query($owner: String!, $name: String!, $environments: [String!], $first: Int!%s) {
  viewer { login }
  repository(owner: $owner, name: $name) {%s
    deployments(environments: $environments, first: $first, orderBy: {field: CREATED_AT, direction: DESC}) {
      nodes {
        databaseId
        commitOid
        task
        createdAt
        description
        creator { login }
        ref { name }
        latestStatus { state description logUrl createdAt }
      }
    }
  }
}`

// deploymentsQueryFor is the deployments query, with the commit's pull requests when the
// sticky comment wants them (WantPullRequests) and the commit is known.
func deploymentsQueryFor(pulls bool) string {
	if !pulls {
		return fmt.Sprintf(deploymentsQuery, "", "")
	}
	return fmt.Sprintf(deploymentsQuery, ", $sha: GitObjectID!", "\n    "+pullsField)
}

type deploymentNode struct {
	DatabaseID  int64     `json:"databaseId"`
	CommitOid   string    `json:"commitOid"`
	Task        string    `json:"task"`
	CreatedAt   time.Time `json:"createdAt"`
	Description string    `json:"description"`
	Creator     *struct {
		Login string `json:"login"`
	} `json:"creator"`
	Ref *struct {
		Name string `json:"name"`
	} `json:"ref"`
	LatestStatus *struct {
		State       string    `json:"state"`
		Description string    `json:"description"`
		LogURL      string    `json:"logUrl"`
		CreatedAt   time.Time `json:"createdAt"`
	} `json:"latestStatus"`
}

// Deployments returns the token's login and the environment's latest n deployments, newest
// first, each with its latest status, in one GraphQL query. The login is remembered for
// Viewer. Errors are classified (*sink.Error); DeploymentsFor adds a REST fallback.
func (c *Client) Deployments(ctx context.Context, environment string, n int) (string, []Deployment, error) {
	viewer, deps, err := c.deployments(ctx, environment, "", n)
	return viewer, deps, c.ClassifyNeeding("list deployments", err, DeploymentsPermission)
}

func (c *Client) deployments(ctx context.Context, environment, sha string, n int) (string, []Deployment, error) {
	var data struct {
		Viewer struct {
			Login string `json:"login"`
		} `json:"viewer"`
		Repository *struct {
			Deployments *struct {
				Nodes []*deploymentNode `json:"nodes"`
			} `json:"deployments"`
			Object *pullsData `json:"object"`
		} `json:"repository"`
	}
	vars := map[string]any{"owner": c.owner, "name": c.repo, "environments": []string{environment}, "first": max(n, 1)}
	pulls := sha != "" && c.wantsPulls()
	if pulls {
		vars["sha"] = sha
	}
	err := c.GraphQL(ctx, deploymentsQueryFor(pulls), vars, &data)
	// Partial data still tells who the token is.
	c.SetViewer(data.Viewer.Login)
	if pulls {
		// The pull requests are the comment's business: their refusal leaves the
		// deployments alone, and PullRequestsOf asks again (and reports it) when they did
		// not come.
		var perr error
		err, perr = splitPullsErrors(err)
		if perr == nil && data.Repository != nil {
			c.rememberPulls(sha, data.Repository.Object.list())
		}
	}
	if err != nil {
		return data.Viewer.Login, nil, err
	}
	var deps []Deployment
	if data.Repository != nil && data.Repository.Deployments != nil {
		for _, nd := range data.Repository.Deployments.Nodes {
			if nd != nil {
				deps = append(deps, nd.deployment())
			}
		}
	}
	return data.Viewer.Login, deps, nil
}

func (nd *deploymentNode) deployment() Deployment {
	d := Deployment{ID: nd.DatabaseID, SHA: nd.CommitOid, Task: nd.Task, Description: nd.Description, CreatedAt: nd.CreatedAt}
	if nd.Creator != nil {
		d.Creator = nd.Creator.Login
	}
	if nd.Ref != nil {
		d.Ref = nd.Ref.Name
	}
	if s := nd.LatestStatus; s != nil {
		d.State = strings.ToLower(s.State)
		d.StatusDescription, d.LogURL, d.StatusAt = s.Description, s.LogURL, s.CreatedAt
	}
	return d
}

// Lookup is what a deployment sink learns about the environment before reporting.
type Lookup struct {
	// Viewer is the token's login, when the GraphQL query answered.
	Viewer string
	// Deployments are the newest first. With History false they are only the deployed
	// commit's, from the REST fallback, without their statuses.
	Deployments []Deployment
	// History reports that Deployments are the environment's latest, statuses included.
	History bool
}

// DeploymentsFor looks the environment up with Deployments and, when GitHub refuses the
// query itself (an older GitHub Enterprise Server without these fields, GraphQL turned
// off), falls back to REST: the deployments of sha in the environment, enough to decide
// whether to reuse one, with no history. Transient failures, rate limits and missing
// permissions are returned as they are, classified: trying another API would not help.
func (c *Client) DeploymentsFor(ctx context.Context, environment, sha string, n int) (Lookup, error) {
	viewer, deps, err := c.deployments(ctx, environment, sha, n)
	if err == nil {
		return Lookup{Viewer: viewer, Deployments: deps, History: true}, nil
	}
	if !IsQueryError(err) {
		return Lookup{}, c.ClassifyNeeding("list deployments", err, DeploymentsPermission)
	}
	list, _, rerr := c.rest.Repositories.ListDeployments(ctx, c.owner, c.repo, &github.DeploymentsListOptions{
		SHA: sha, Environment: environment, ListOptions: github.ListOptions{PerPage: max(n, 1)},
	})
	if rerr != nil {
		return Lookup{}, c.Classify("list deployments", rerr)
	}
	out := Lookup{Viewer: viewer}
	for _, d := range list {
		out.Deployments = append(out.Deployments, Deployment{
			ID: d.GetID(), SHA: d.GetSHA(), Ref: d.GetRef(), Task: d.GetTask(), Description: d.GetDescription(),
			Creator: d.GetCreator().GetLogin(), CreatedAt: d.GetCreatedAt().Time,
		})
	}
	// Newest first, whatever order the list came in.
	slices.SortFunc(out.Deployments, func(a, b Deployment) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}
