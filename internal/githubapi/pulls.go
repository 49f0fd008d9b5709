package githubapi

import (
	"context"
	"errors"
	"strings"

	"github.com/google/go-github/v62/github"
)

// PullRequest is a pull request associated with a commit.
type PullRequest struct {
	Number int
	// Open is an open pull request whose head is the commit; Merged one that brought the
	// commit in.
	Open, Merged bool
}

// PullRequestsPermission is what reading a commit's pull requests needs.
const PullRequestsPermission = "pull-requests: read"

// pullsField asks, inside repository { }, for the pull requests associated with $sha: the
// open ones whose head it is and the merged one that brought it in, as the REST list of a
// commit's pull requests has them.
const pullsField = `object(oid: $sha) { ... on Commit { associatedPullRequests(first: 20) { nodes { number state merged } } } }`

// pullsQuery asks for the token's login and the commit's pull requests, when the
// deployments query did not already (the deployment sink is off).
const pullsQuery = `query($owner: String!, $name: String!, $sha: GitObjectID!) {
  viewer { login }
  repository(owner: $owner, name: $name) { ` + pullsField + ` }
}`

// pullsData is the answer to pullsField.
type pullsData struct {
	AssociatedPullRequests *struct {
		Nodes []*struct {
			Number int    `json:"number"`
			State  string `json:"state"`
			Merged bool   `json:"merged"`
		} `json:"nodes"`
	} `json:"associatedPullRequests"`
}

func (d *pullsData) list() []PullRequest {
	out := []PullRequest{}
	if d == nil || d.AssociatedPullRequests == nil {
		return out
	}
	for _, n := range d.AssociatedPullRequests.Nodes {
		if n != nil && n.Number > 0 {
			out = append(out, PullRequest{Number: n.Number, Open: strings.EqualFold(n.State, "OPEN"), Merged: n.Merged})
		}
	}
	return out
}

// WantPullRequests makes the deployments query (Deployments, DeploymentsFor) also ask for
// the deployed commit's pull requests, so the sticky comment finds its pull request
// without a call of its own: a push run then costs one query at the start, not two.
func (c *Client) WantPullRequests() {
	c.mu.Lock()
	c.wantPulls = true
	c.mu.Unlock()
}

func (c *Client) wantsPulls() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wantPulls
}

// rememberPulls keeps the pull requests of sha learnt from a query.
func (c *Client) rememberPulls(sha string, prs []PullRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pulls == nil {
		c.pulls = map[string][]PullRequest{}
	}
	c.pulls[sha] = prs
}

// PullRequestsOf returns the pull requests associated with sha: from the deployments query
// when it asked for them (WantPullRequests), else from one GraphQL query of its own that
// also tells the token's login; from REST when GitHub refuses the query itself (an older
// GitHub Enterprise Server). Errors are classified (*sink.Error).
func (c *Client) PullRequestsOf(ctx context.Context, sha string) ([]PullRequest, error) {
	c.mu.Lock()
	prs, ok := c.pulls[sha]
	c.mu.Unlock()
	if ok {
		return prs, nil
	}
	var data struct {
		Viewer struct {
			Login string `json:"login"`
		} `json:"viewer"`
		Repository *struct {
			Object *pullsData `json:"object"`
		} `json:"repository"`
	}
	err := c.GraphQL(ctx, pullsQuery, map[string]any{"owner": c.owner, "name": c.repo, "sha": sha}, &data)
	c.SetViewer(data.Viewer.Login)
	if err == nil {
		var obj *pullsData
		if data.Repository != nil {
			obj = data.Repository.Object
		}
		prs = obj.list()
		c.rememberPulls(sha, prs)
		return prs, nil
	}
	if !IsQueryError(err) {
		return nil, c.ClassifyNeeding("find the commit's pull request", err, PullRequestsPermission)
	}
	list, _, rerr := c.rest.PullRequests.ListPullRequestsWithCommit(ctx, c.owner, c.repo, sha, &github.ListOptions{PerPage: 100})
	if rerr != nil {
		return nil, c.Classify("find the commit's pull request", rerr)
	}
	prs = []PullRequest{}
	for _, p := range list {
		prs = append(prs, PullRequest{Number: p.GetNumber(), Open: p.GetState() == "open", Merged: p.MergedAt != nil})
	}
	c.rememberPulls(sha, prs)
	return prs, nil
}

// splitPullsErrors separates the errors of the pulls field from the others, so a refusal
// of one part of the deployments query does not fail the other.
func splitPullsErrors(err error) (rest, pulls error) {
	var g *GraphQLError
	if !errors.As(err, &g) {
		return err, nil
	}
	var mine, others []GraphQLErrorItem
	for _, it := range g.Errors {
		if len(it.Path) >= 2 && it.Path[0] == "repository" && it.Path[1] == "object" {
			mine = append(mine, it)
		} else {
			others = append(others, it)
		}
	}
	if len(mine) > 0 {
		pulls = &GraphQLError{Errors: mine, Header: g.Header}
	}
	if len(others) > 0 {
		rest = &GraphQLError{Errors: others, Header: g.Header}
	}
	return rest, pulls
}
