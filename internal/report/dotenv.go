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
// job's artifacts have the report), the rollback revisions (the JSON report has the
// rollback), then the summary (the Markdown report says it at length).
var dotenvLast = []string{"report_path", "rollback_from_revision", "rollback_to_revision", "summary"}

func signalNames() []string {
	var names []string
	for _, s := range model.Signals() {
		names = append(names, string(s))
	}
	return names
}

// Dotenv renders outputs as a GitLab dotenv report (artifacts:reports:dotenv), whose
// variables later jobs of the pipeline receive. GitLab (Ci::ParseDotenvArtifactService)
// reads each line as KEY=value split at the first '=', strips white space around key and
// value, keeps quotes as part of the value and expands '$' references in it when a later
// job starts; keys are letters, digits and '_'; the file stays under 5 KB and holds at most
// 20 variables (the self-managed default). So a value may hold spaces and quotes; line
// breaks and other white space become spaces and the ends are trimmed (what GitLab would
// store anyway); a value with '$' or other control characters cannot be represented.
//
// Outputs are written in their order. dropped lists, as "name: reason", the outputs a later
// job will not see: those that cannot be represented and set ones over the limits. omitted
// lists the empty ones left out for the limits, which loses nothing (GitLab treats an empty
// variable like an unset one); empty values go first, then the lowest ranked: report_path,
// the rollback revisions, summary, any output not ranked, and from comment_url back up to
// status (see dotenvPriority).
func Dotenv(outs []model.Output) (data []byte, dropped, omitted []string) {
	var kept []model.Output
	seen := map[string]bool{}
	for _, o := range outs {
		value, reason := "", dotenvNameProblem(o.Name)
		if reason == "" {
			value, reason = dotenvValue(o.Value)
		}
		if reason == "" && seen[o.Name] {
			reason = "duplicate name"
		}
		if reason != "" {
			dropped = append(dropped, dotenvName(o.Name)+": "+reason)
			continue
		}
		seen[o.Name] = true
		kept = append(kept, model.Output{Name: o.Name, Value: value})
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
		if kept[i].Value == "" {
			omitted = append(omitted, kept[i].Name+": "+reason)
		} else {
			dropped = append(dropped, kept[i].Name+": "+reason)
		}
		kept = slices.Delete(kept, i, i+1)
	}
	var b strings.Builder
	for _, o := range kept {
		b.WriteString(o.Name + "=" + o.Value + "\n")
	}
	if b.Len() == 0 {
		return nil, dropped, omitted
	}
	return []byte(b.String()), dropped, omitted
}

// dotenvValue returns the value as GitLab will store it: white space (line breaks, tabs)
// turned into spaces, the ends trimmed. reason says why it cannot be written; "" when it can.
func dotenvValue(v string) (value, reason string) {
	switch {
	case !utf8.ValidString(v):
		return "", "value is not UTF-8"
	case strings.Contains(v, "$"):
		return "", "value has '$', which GitLab would expand as a variable"
	}
	v = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, v))
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", "value has control characters"
	}
	return v, ""
}

// dotenvNameProblem says why a name cannot be a dotenv key; "" when it can.
func dotenvNameProblem(name string) string {
	switch {
	case name == "":
		return "empty name"
	case len(name) > dotenvMaxKey:
		return fmt.Sprintf("name longer than %d characters", dotenvMaxKey)
	case strings.IndexFunc(name, func(r rune) bool { return !isDotenvKeyRune(r) }) >= 0:
		return "name has characters other than letters, digits and '_'"
	}
	return ""
}

func isDotenvKeyRune(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}

// dotenvName shows a dropped output's name, quoted when it is not a plain key so a
// hostile name cannot break the line it is reported on.
func dotenvName(name string) string {
	if dotenvNameProblem(name) == "" {
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
