package redact

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

func TestString(t *testing.T) {
	t.Parallel()
	r := New("s3cr3t-token", "ab", "line-one-secret-value\nline-two-secret-value\nuser:", `quo"te\secret`)
	tests := []struct{ in, want string }{
		{"Authorization: Bearer s3cr3t-token", "Authorization: Bearer ***"},
		{"short ab stays", "short ab stays"},
		{"https://x/?t=s3cr3t-token", "https://x/?t=***"},
		{"kubeconfig line-two-secret-value leaked", "kubeconfig *** leaked"},
		// Short lines of a multi-line secret are its structure, not credentials.
		{"healthuser:pass", "healthuser:pass"},
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	b, _ := json.Marshal(map[string]string{"v": `quo"te\secret`})
	if got := r.String(string(b)); strings.Contains(got, `quo\"te`) || !json.Valid([]byte(got)) {
		t.Errorf("JSON form not redacted or JSON broken: %s", got)
	}
}

func TestLongestFirst(t *testing.T) {
	t.Parallel()
	r := New("abcd", "abcdefgh")
	if got := r.String("x abcdefgh y"); got != "x *** y" {
		t.Errorf("got %q", got)
	}
}

func TestNilAndConcurrent(t *testing.T) {
	t.Parallel()
	var nilR *Redactor
	if nilR.String("a") != "a" {
		t.Error("nil redactor changed text")
	}
	r := New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			r.Add("secret-" + strings.Repeat("x", i))
			_ = r.String("secret-xxxx")
		})
	}
	wg.Wait()
	if got := r.String("secret-xxxxxxx"); got != "***" {
		t.Errorf("got %q", got)
	}
}
