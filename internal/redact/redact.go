// Package redact hides secrets in text before it leaves the process: log lines, errors,
// reports, summaries, comments. Every string printed or written by deploywatch goes through
// a Redactor that knows the run's secrets.
package redact

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Mask replaces a secret.
const Mask = "***"

// minSecret is the shortest value redacted: replacing every "a" in a log would destroy it
// and protect nothing.
const minSecret = 4

// Redactor replaces known secrets in text. It is safe for concurrent use.
type Redactor struct {
	mu       sync.RWMutex
	secrets  []string
	replacer *strings.Replacer
}

// New returns a redactor for the given secrets.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets. Each is also registered in its JSON-escaped and URL-escaped
// forms, so it is caught inside a JSON report or a query string.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	for _, s := range r.secrets {
		seen[s] = true
	}
	for _, s := range secrets {
		for _, form := range forms(strings.TrimSpace(s)) {
			if len(form) >= minSecret && !seen[form] {
				seen[form] = true
				r.secrets = append(r.secrets, form)
			}
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, Mask)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

func forms(s string) []string {
	out := []string{s}
	if b, err := json.Marshal(s); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	out = append(out, url.QueryEscape(s), url.PathEscape(s))
	// A multi-line secret (a kubeconfig, a header list) leaks line by line too; short
	// lines are its structure ("user:", "kind: Config"), not credentials, which the
	// config hands over on their own.
	if strings.Contains(s, "\n") {
		for _, line := range strings.Split(s, "\n") {
			if l := strings.TrimSpace(line); len(l) >= MinLineSecret {
				out = append(out, l)
			}
		}
	}
	return out
}

// MinLineSecret is the shortest line of a multi-line secret that is masked on its own.
const MinLineSecret = 16

// String returns s with every secret replaced by Mask.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// Bytes is String for byte slices.
func (r *Redactor) Bytes(b []byte) []byte { return []byte(r.String(string(b))) }
