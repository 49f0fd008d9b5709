package githubapi

import (
	"strings"
	"unicode"
)

// MaxDescription is GitHub's limit on the description of a deployment status and of a
// commit status: a longer one is refused with a 422.
const MaxDescription = 140

// Description makes s fit a status description: one line of plain text (whitespace
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
