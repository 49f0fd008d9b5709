package report

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
)

// writeDetails writes the collapsed run details: where the run came from and the handles
// it produced.
func writeDetails(b *strings.Builder, r model.Report) {
	var items []string
	add := func(label, value string) {
		if value != "" {
			items = append(items, "- "+label+": "+value)
		}
	}
	add("Repository", escapeCapped(r.Run.Repository, 100))
	commit := commitMarkdown(r.Run.DeployedSHA())
	if r.Run.HeadSHA != "" && r.Run.SHA != "" && r.Run.HeadSHA != r.Run.SHA {
		commit += " (head of the " + strings.ToLower(changeLabel(r.Run)) + "; merge commit " + commitMarkdown(r.Run.SHA) + ")"
	}
	add("Commit", commit)
	add("Ref", escapeCapped(r.Run.Ref, 100))
	add("Event", escapeCapped(r.Run.EventName, 40))
	if r.Run.PullRequest > 0 {
		// Our own number from the host, so left for GitHub to link.
		add(changeLabel(r.Run), fmt.Sprintf("%s%d", changeSigil(r.Run), r.Run.PullRequest))
	}
	add("Run", link(runLabel(r.Run), r.Run.RunURL))
	add("Platform", escapeCapped(r.Run.Platform, 20))
	add("Tool", strings.TrimSpace(escapeCapped(r.Tool, 40)+" "+escapeCapped(r.Version, 40)))
	add("Mode", escapeCapped(r.Mode, 20))
	if !r.StartedAt.IsZero() {
		add("Started", r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if !r.FinishedAt.IsZero() {
		add("Finished", r.FinishedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	add("Deployment", escapeCapped(r.DeploymentID, 100))
	add("Comment", link("comment", r.CommentURL))
	add("Report", escapeCapped(r.ReportPath, 200))
	for _, c := range r.Checks[:min(len(r.Checks), 20)] {
		add("Target of "+escapeCapped(c.Spec.Name, 60), escapeCapped(c.Spec.Target, 200))
	}
	if len(items) == 0 {
		return
	}
	b.WriteString("<details><summary>Run details</summary>\n\n" + strings.Join(items, "\n") + "\n\n</details>\n")
}

// commitMarkdown shows a commit SHA as code (hex is safe in a code span), anything else
// escaped.
func commitMarkdown(sha string) string {
	if isHex(sha) {
		return "`" + sha[:min(len(sha), 40)] + "`"
	}
	return escapeCapped(sha, 60)
}

// linkDestination percent-encodes what would end or break a link destination or a table.
var linkDestination = strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "|", "%7C",
	" ", "%20", "\\", "%5C", "`", "%60", "\"", "%22", "'", "%27")

// link renders an http(s) URL as a Markdown link with a fixed label; anything else (a
// javascript: URL, an unparsable string) is shown as escaped text, never as a link.
func link(label, raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2000 || clean(raw) != raw {
		return escapeCapped(raw, 200)
	}
	return "[" + label + "](" + linkDestination.Replace(u.String()) + ")"
}

// Each host names things its own way: a GitHub workflow run and pull request #41, a GitLab
// job and merge request !41.
func runLabel(c model.RunContext) string {
	if c.Platform == "gitlab" {
		return "job"
	}
	return "workflow run"
}

func changeLabel(c model.RunContext) string {
	if c.Platform == "gitlab" {
		return "Merge request"
	}
	return "Pull request"
}

func changeSigil(c model.RunContext) string {
	if c.Platform == "gitlab" {
		return "!"
	}
	return "#"
}
