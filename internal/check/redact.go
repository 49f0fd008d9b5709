package check

import (
	"net/http"
	"sort"
	"strings"

	"github.com/deploywatch/deploywatch/internal/redact"
)

// minSecretLen is the shortest value the scrubber hides; shorter values ("1", "on") would
// shred unrelated text and are not credentials anyway.
const minSecretLen = 4

// redacted replaces a secret in measurement text.
const redacted = "REDACTED"

// scrubber removes known secret values from text a service might echo back (an echo
// endpoint asserted by a smoke test, a dependency detail): a second line of defence behind
// never printing them in the first place.
type scrubber struct {
	secrets []string
}

// newScrubber collects the secrets of a check: header values (whole, and each word of
// length 8 or more, so "Bearer <token>" also hides a bare echoed token) and the secrets
// in its URLs.
func newScrubber(headers []http.Header, urls ...string) scrubber {
	seen := map[string]bool{}
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) >= minSecretLen && !seen[v] {
			seen[v] = true
		}
	}
	for _, h := range headers {
		for _, vs := range h {
			for _, v := range vs {
				add(v)
				for _, w := range strings.Fields(v) {
					if len(w) >= 8 {
						add(w)
					}
				}
			}
		}
	}
	for _, raw := range urls {
		for _, v := range redact.URLSecrets(raw) {
			add(v)
		}
	}
	s := scrubber{secrets: make([]string, 0, len(seen))}
	for v := range seen {
		s.secrets = append(s.secrets, v)
	}
	// Longest first, so a value containing another is replaced whole.
	sort.Slice(s.secrets, func(i, j int) bool {
		if len(s.secrets[i]) != len(s.secrets[j]) {
			return len(s.secrets[i]) > len(s.secrets[j])
		}
		return s.secrets[i] < s.secrets[j]
	})
	return s
}

// minLeakPrefix is how much of a secret's start is enough to hide the rest: text that
// truncates a secret (gojq's 30-byte previews, our own caps) still shows its start.
const minLeakPrefix = 8

// scrub replaces every known secret in text, and any run of at least minLeakPrefix
// characters that starts like one.
func (s scrubber) scrub(text string) string {
	for _, v := range s.secrets {
		text = redactRuns(text, v)
	}
	return text
}

// redactRuns replaces each occurrence of secret in text, or of a prefix of it at least
// minLeakPrefix long (all of it when shorter), with "REDACTED".
func redactRuns(text, secret string) string {
	head := secret[:min(len(secret), minLeakPrefix)]
	if !strings.Contains(text, head) {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, head)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		n := len(head)
		for n < len(secret) && i+n < len(text) && text[i+n] == secret[n] {
			n++
		}
		b.WriteString(text[:i])
		b.WriteString(redacted)
		text = text[i+n:]
	}
}
