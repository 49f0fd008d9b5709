package report

import (
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
)

// maxCommentChars is GitHub's limit on a comment's body.
const maxCommentChars = 65536

// CommentMarker is the hidden line that identifies the sticky comment of an environment,
// so a later run edits it instead of adding another.
func CommentMarker(environment string) string {
	env := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r == '/' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, environment)
	return "<!-- deploywatch:sticky environment=" + env + " -->"
}

// Comment renders the sticky pull-request or commit comment: the summary (within its
// 60,000-byte budget), then the marker. It stays under GitHub's 65,536-character limit.
func Comment(r model.Report) string {
	// Read in a pull request, the run is one click away only through this link.
	if r.Run.RunURL != "" {
		r.Links = append([]model.Link{{Label: runLabel(r.Run), URL: r.Run.RunURL}}, r.Links...)
	}
	body := Markdown(r) + "\n" + CommentMarker(r.Environment) + "\n"
	if len([]rune(body)) > maxCommentChars { // unreachable with Markdown's budget; a guard
		body = string([]rune(body)[:maxCommentChars-200]) + "\n\n_Cut to fit._\n" + CommentMarker(r.Environment) + "\n"
	}
	return body
}
