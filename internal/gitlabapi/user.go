package gitlabapi

import (
	"context"
	"errors"

	gitlab "gitlab.com/gitlab-org/api/client-go"
)

// User is the account the token acts as.
type User struct {
	ID       int64
	Username string
}

// CurrentUser returns the token's user, asking GitLab the first time only. For an access
// token that is GET /user. A CI_JOB_TOKEN may not call GET /user; it acts as the user who
// started the job, which GET /job (open to job tokens) tells. The sticky note is found by
// its author, so the note sink compares with this user.
func (c *Client) CurrentUser(ctx context.Context) (User, error) {
	c.mu.Lock()
	known := c.user
	c.mu.Unlock()
	if known != nil {
		return *known, nil
	}
	u, err := c.fetchUser(ctx)
	if err != nil {
		return User{}, err
	}
	c.mu.Lock()
	c.user = &u
	c.mu.Unlock()
	return u, nil
}

func (c *Client) fetchUser(ctx context.Context) (User, error) {
	const op = "get the token's user"
	if c.jobToken {
		job, _, err := c.rest.Jobs.GetJobTokensJob(nil, gitlab.WithContext(ctx))
		if err != nil {
			return User{}, c.Classify(op, err)
		}
		if job.User == nil || job.User.ID == 0 {
			return User{}, c.Classify(op, errors.New("the job has no user"))
		}
		return User{ID: job.User.ID, Username: job.User.Username}, nil
	}
	u, _, err := c.rest.Users.CurrentUser(gitlab.WithContext(ctx))
	if err != nil {
		return User{}, c.Classify(op, err)
	}
	if u.ID == 0 {
		return User{}, c.Classify(op, errors.New("the answer has no user id"))
	}
	return User{ID: u.ID, Username: u.Username}, nil
}
