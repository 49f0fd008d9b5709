package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deploywatch/deploywatch/internal/model"
)

// GitLab's limits on a dotenv report (Ci::ParseDotenvArtifactService and the defaults of a
// self-managed instance; GitLab.com allows more variables, never fewer).
const (
	dotenvMaxVariables = 20
	dotenvMaxBytes     = 5 * 1024 // the file must be smaller than this
	dotenvMaxKey       = 255      // Ci::HasVariable's key length limit
)

// dotenvPriority ranks the outputs worth a dotenv variable, most wanted first: the verdict
// and signals a later job branches on, then the measured values and handles. Names not
// listed rank after these; dotenvLast ranks below everything and goes first when the file
// is over a limit.
var dotenvPriority = slices.Concat(
	[]string{"status"},
	signalNames(),
	[]string{"rolled_back", "error_rate", "p99_latency_ms", "baseline_p99_latency_ms", "detected_after_s",
		"deployment_id", "started_at", "comment_url"},
)

// dotenvLast lists the outputs least worth a variable, least first: the report's path (the
// job's artifacts have the report), the summary (which has spaces anyway), and the rollback
// revisions (the JSON report has the rollback).
var dotenvLast = []string{"report_path", "summary", "rollback_from_revision", "rollback_to_revision"}

func signalNames() []string {
	var names []string
	for _, s := range model.Signals() {
		names = append(names, string(s))
	}
	return names
}

// Dotenv renders outputs as a GitLab dotenv report (artifacts:reports:dotenv), whose
// variables later jobs of the pipeline receive. GitLab parses each line as KEY=value with
// no quoting or escaping: keys are letters, digits and '_'; a value must be one line
// without spaces, quotes or '$' (GitLab expands variable references in it); the file holds
// no empty line or comment, stays under 5 KB and holds at most 20 variables (the
// self-managed default). Outputs are written in their order; those that cannot be
// represented are left out and listed in dropped as "name: reason". When more remain than
// the limits allow, empty values go first (GitLab treats an empty variable like an unset
// one), then the lowest ranked: report_path, summary, the rollback revisions, any output
// not ranked, and from comment_url back up to status (see dotenvPriority).
func Dotenv(outs []model.Output) (data []byte, dropped []string) {
	var kept []model.Output
	seen := map[string]bool{}
	for _, o := range outs {
		reason := dotenvProblem(o)
		if reason == "" && seen[o.Name] {
			reason = "duplicate name"
		}
		if reason != "" {
			dropped = append(dropped, dotenvName(o.Name)+": "+reason)
			continue
		}
		seen[o.Name] = true
		kept = append(kept, o)
	}
	for {
		reason := ""
		switch {
		case len(kept) > dotenvMaxVariables:
			reason = fmt.Sprintf("over GitLab's limit of %d variables", dotenvMaxVariables)
		case dotenvSize(kept) >= dotenvMaxBytes:
			reason = fmt.Sprintf("the file would reach GitLab's limit of %d bytes", dotenvMaxBytes)
		}
		if reason == "" {
			break
		}
		i := dotenvVictim(kept)
		dropped = append(dropped, kept[i].Name+": "+reason)
		kept = slices.Delete(kept, i, i+1)
	}
	var b strings.Builder
	for _, o := range kept {
		b.WriteString(o.Name + "=" + o.Value + "\n")
	}
	if b.Len() == 0 {
		return nil, dropped
	}
	return []byte(b.String()), dropped
}

// dotenvProblem says why an output cannot be a dotenv variable; "" when it can.
func dotenvProblem(o model.Output) string {
	switch {
	case o.Name == "":
		return "empty name"
	case len(o.Name) > dotenvMaxKey:
		return fmt.Sprintf("name longer than %d characters", dotenvMaxKey)
	case strings.IndexFunc(o.Name, func(r rune) bool { return !isDotenvKeyRune(r) }) >= 0:
		return "name has characters other than letters, digits and '_'"
	case !utf8.ValidString(o.Value):
		return "value is not UTF-8"
	case strings.ContainsAny(o.Value, "\r\n"):
		return "value has line breaks"
	case strings.IndexFunc(o.Value, unicode.IsSpace) >= 0:
		return "value has spaces"
	case strings.ContainsAny(o.Value, `"'`):
		return "value has quotes, which GitLab would keep as part of it"
	case strings.Contains(o.Value, "$"):
		return "value has '$', which GitLab would expand as a variable"
	case strings.IndexFunc(o.Value, unicode.IsControl) >= 0:
		return "value has control characters"
	}
	return ""
}

func isDotenvKeyRune(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}

// dotenvName shows a dropped output's name, quoted when it is not a plain key so a
// hostile name cannot break the line it is reported on.
func dotenvName(name string) string {
	if dotenvProblem(model.Output{Name: name}) == "" {
		return name
	}
	return strconv.Quote(truncate(name, 64))
}

func dotenvSize(outs []model.Output) int {
	n := 0
	for _, o := range outs {
		n += len(o.Name) + len("=") + len(o.Value) + len("\n")
	}
	return n
}

// dotenvVictim is the index of the output to drop next: an empty value before any set
// one, then the lowest ranked, the later of equals.
func dotenvVictim(outs []model.Output) int {
	key := func(o model.Output) [2]int {
		empty := 0
		if o.Value == "" {
			empty = 1
		}
		return [2]int{empty, dotenvRank(o.Name)}
	}
	victim := 0
	for i, o := range outs {
		k, v := key(o), key(outs[victim])
		if k[0] > v[0] || (k[0] == v[0] && k[1] >= v[1]) {
			victim = i
		}
	}
	return victim
}

// dotenvRank places a name in the order of dotenvPriority (0 is most wanted), names not
// listed after those, and dotenvLast at the bottom with report_path lowest.
func dotenvRank(name string) int {
	n := len(dotenvPriority)
	if i := slices.Index(dotenvPriority, name); i >= 0 {
		return i
	}
	if i := slices.Index(dotenvLast, name); i >= 0 {
		return n + len(dotenvLast) - i
	}
	return n
}
