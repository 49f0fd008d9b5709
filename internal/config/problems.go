package config

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Problem is one invalid setting: which input, where its value came from, the value (never
// for secrets) and what is allowed.
type Problem struct {
	Input  string
	Origin Origin
	Value  string
	// Secret hides Value from the message.
	Secret bool
	// HasValue reports that Value is worth quoting (it may legitimately be empty).
	HasValue bool
	Msg      string
	// Missing reports a problem of something absent ("no check configured"), which a
	// problem reading the sources (a mistyped flag, a broken file) may be the cause of.
	Missing bool
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Input)
	if p.HasValue {
		if p.Secret {
			b.WriteString(" (value hidden: secret)")
		} else {
			fmt.Fprintf(&b, " %q", truncate(hideUserinfo(p.Value), 120))
		}
	}
	if p.Origin.Layer != LayerDefault || p.HasValue {
		fmt.Fprintf(&b, " (from %s)", p.Origin)
	}
	b.WriteString(": ")
	b.WriteString(hideUserinfo(p.Msg))
	return b.String()
}

// userinfo is the user:password@ of a URL, up to the authority's last "@" as url.Parse
// reads it.
var userinfo = regexp.MustCompile(`//[^/?#\s"]*@`)

// hideUserinfo hides the credentials of URLs in text. Secrets masks the password of a
// valid URL; one that failed validation (ftp://, no host) is quoted here, password and all.
func hideUserinfo(s string) string {
	return userinfo.ReplaceAllLiteralString(s, "//REDACTED@")
}

// Problems is every problem found in a configuration; it is an error when not empty.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return fmt.Sprintf("%d configuration problem(s):\n  %s", len(ps), strings.Join(lines, "\n  "))
}

// err returns ps as an error, or nil when there is none.
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// suggest returns the closest of candidates to s, when close enough to be a likely typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(2, len(s)/4) {
		return best
	}
	return ""
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// SuggestInput returns the input whose name is closest to name (snake_case or
// kebab-case), or "" when none is close enough to be a likely typo.
func SuggestInput(name string) string {
	return suggest(strings.ReplaceAll(strings.TrimLeft(name, "-"), "-", "_"), inputNames())
}

// inputNames lists every input name, sorted.
func inputNames() []string {
	names := make([]string, 0, len(inputs))
	for _, in := range inputs {
		names = append(names, in.Name)
	}
	sort.Strings(names)
	return names
}

// UnknownInputs returns a warning for each INPUT_* variable that is not an input, with a
// suggestion when it looks like a typo. envNames are the names of the process environment.
func UnknownInputs(envNames []string) []string {
	known := map[string]bool{}
	for _, in := range inputs {
		known[in.Env()] = true
	}
	var warnings []string
	for _, n := range envNames {
		if !strings.HasPrefix(n, "INPUT_") || known[n] {
			continue
		}
		w := fmt.Sprintf("%s is not an input of deploywatch and is ignored", n)
		guess := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(n, "INPUT_"), "-", "_"))
		if s := suggest(guess, inputNames()); s != "" {
			w += fmt.Sprintf("; did you mean %s?", s)
		}
		warnings = append(warnings, w)
	}
	sort.Strings(warnings)
	return warnings
}
