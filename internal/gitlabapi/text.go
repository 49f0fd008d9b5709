package gitlabapi

import (
	"strings"
	"unicode"
)

// MaxDescription is the longest commit status description GitLab keeps.
const MaxDescription = 255

// Description makes s fit a commit status description: one line of plain text (whitespace
// folded, control characters dropped) of at most MaxDescription characters, ending with
// "…" when cut.
func Description(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	r := []rune(s)
	if len(r) <= MaxDescription {
		return s
	}
	return strings.TrimRight(string(r[:MaxDescription-1]), " ") + "…"
}

// RefName is a ref as GitLab names it, "main" or "v1.2.0", whether the run context gives
// it so (CI_COMMIT_REF_NAME) or in full ("refs/heads/main"); tag reports a "refs/tags/"
// ref.
func RefName(ref string) (name string, tag bool) {
	if name, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return name, true
	}
	return strings.TrimPrefix(ref, "refs/heads/"), false
}
