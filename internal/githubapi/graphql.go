package githubapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// GraphQLError is a GraphQL answer that carried errors (GitHub answers them with a 200).
type GraphQLError struct {
	Errors []GraphQLErrorItem
	// Header is the answer's headers, for the rate-limit reset.
	Header http.Header
}

// GraphQLErrorItem is one entry of a GraphQL answer's errors.
type GraphQLErrorItem struct {
	// Type is GitHub's classification: FORBIDDEN, NOT_FOUND, RATE_LIMITED, ...
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

func (e *GraphQLError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, it := range e.Errors {
		m := it.Message
		if it.Type != "" {
			m = it.Type + ": " + m
		}
		msgs = append(msgs, m)
	}
	return "graphql: " + strings.Join(msgs, "; ")
}

// has reports whether one of the errors is of the given type, or says msg.
func (e *GraphQLError) has(typ, msg string) bool {
	for _, it := range e.Errors {
		if it.Type == typ || msg != "" && strings.Contains(it.Message, msg) {
			return true
		}
	}
	return false
}

// GraphQL runs a query and decodes its data into out. An answer with errors returns a
// *GraphQLError after decoding what data came (GitHub answers partial data), so a caller
// may use the parts that worked. Other failures are go-github's errors: pass them to
// Classify.
func (c *Client) GraphQL(ctx context.Context, query string, vars map[string]any, out any) error {
	body := map[string]any{"query": query}
	if len(vars) > 0 {
		body["variables"] = vars
	}
	req, err := c.rest.NewRequest(http.MethodPost, c.graphqlURL, body)
	if err != nil {
		return fmt.Errorf("graphql request: %w", err)
	}
	var answer struct {
		Data   json.RawMessage    `json:"data"`
		Errors []GraphQLErrorItem `json:"errors"`
	}
	resp, err := c.rest.Do(ctx, req, &answer)
	if err != nil {
		return err
	}
	if out != nil && len(answer.Data) > 0 && string(answer.Data) != "null" {
		if err := json.Unmarshal(answer.Data, out); err != nil {
			return fmt.Errorf("graphql answer: %w", err)
		}
	}
	if len(answer.Errors) > 0 {
		return &GraphQLError{Errors: answer.Errors, Header: resp.Header}
	}
	return nil
}

// viewerQuery asks who the token is. GET /user answers 403 to a GITHUB_TOKEN; this works
// for every kind of token.
const viewerQuery = `query { viewer { login } }`

// Viewer returns the login of the token's owner, asking GitHub the first time only (or
// never, when a larger query already told it, see SetViewer). A GITHUB_TOKEN is
// "github-actions[bot]"; compare logins with SameLogin.
func (c *Client) Viewer(ctx context.Context) (string, error) {
	c.mu.Lock()
	v := c.viewer
	c.mu.Unlock()
	if v != "" {
		return v, nil
	}
	var data struct {
		Viewer struct {
			Login string `json:"login"`
		} `json:"viewer"`
	}
	if err := c.GraphQL(ctx, viewerQuery, nil, &data); err != nil && data.Viewer.Login == "" {
		return "", c.Classify("get the token's login", err)
	}
	if data.Viewer.Login == "" {
		return "", c.Classify("get the token's login", fmt.Errorf("the answer has no viewer login"))
	}
	c.SetViewer(data.Viewer.Login)
	return data.Viewer.Login, nil
}

// SetViewer records the token's login learnt from another query.
func (c *Client) SetViewer(login string) {
	if login == "" {
		return
	}
	c.mu.Lock()
	c.viewer = login
	c.mu.Unlock()
}

// SameLogin reports whether two logins name the same account. GitHub spells a bot
// "github-actions[bot]" in REST and in the GraphQL viewer, but "github-actions" as a
// GraphQL author or creator, so the suffix is ignored; logins are case-insensitive.
func SameLogin(a, b string) bool {
	a, b = strings.TrimSuffix(a, "[bot]"), strings.TrimSuffix(b, "[bot]")
	return a != "" && strings.EqualFold(a, b)
}
