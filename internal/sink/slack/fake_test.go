package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// hookPath is the webhook's path; its last part is the secret.
const (
	hookSecret = "xoxWebh00kS3cretPart42"
	hookPath   = "/services/T0AAAAAAA/B0BBBBBBB/" + hookSecret
)

// slackAPI answers like an incoming webhook: 404 no_service off the hook's path, 400
// invalid_payload for a body that is not a message and invalid_blocks for one over Slack's
// limits, else 200 "ok".
func slackAPI(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != hookPath {
			http.Error(w, "no_service", http.StatusNotFound)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var m message
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		if err := checkLimits(m); err != nil {
			t.Errorf("Slack would refuse the message: %v", err)
			http.Error(w, "invalid_blocks", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// checkLimits enforces Slack's documented limits and the fallback limit the sink chose.
func checkLimits(m message) error {
	within := func(what, s string, max int) error {
		if n := utf8.RuneCountInString(s); n == 0 || n > max {
			return fmt.Errorf("%s has %d characters, want 1 to %d", what, n, max)
		}
		return nil
	}
	if err := within("text", m.Text, maxFallbackRunes); err != nil {
		return err
	}
	if len(m.Attachments) != 1 {
		return fmt.Errorf("%d attachments", len(m.Attachments))
	}
	a := m.Attachments[0]
	if !colorPattern.MatchString(a.Color) {
		return fmt.Errorf("color %q", a.Color)
	}
	if len(a.Blocks) == 0 || len(a.Blocks) > 50 {
		return fmt.Errorf("%d blocks", len(a.Blocks))
	}
	for i, b := range a.Blocks {
		var err error
		switch b.Type {
		case "header":
			if b.Text == nil || b.Text.Type != "plain_text" {
				return fmt.Errorf("block %d: header without plain_text", i)
			}
			err = within("header", b.Text.Text, 150)
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				return fmt.Errorf("block %d: empty section", i)
			}
			if b.Text != nil {
				err = within("section text", b.Text.Text, 3000)
			}
			if len(b.Fields) > 10 {
				return fmt.Errorf("block %d: %d fields", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if err == nil {
					err = within("field", f.Text, 2000)
				}
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				return fmt.Errorf("block %d: %d context elements", i, len(b.Elements))
			}
			for _, e := range b.Elements {
				if err == nil {
					err = within("context element", e.Text, 3000)
				}
			}
		default:
			return fmt.Errorf("block %d: type %q", i, b.Type)
		}
		if err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	return nil
}

// texts lists every string of m that Slack renders, the header's plain text included.
func texts(m message) []string {
	var out []string
	for _, t := range textObjects(m) {
		out = append(out, t.Text)
	}
	return out
}

// mrkdwnTexts lists the strings of m that Slack reads as mrkdwn (the top-level text is).
func mrkdwnTexts(m message) []string {
	var out []string
	for _, t := range textObjects(m) {
		if t.Type == "mrkdwn" {
			out = append(out, t.Text)
		}
	}
	return out
}

func textObjects(m message) []*text {
	out := []*text{md(m.Text)}
	for _, a := range m.Attachments {
		for _, b := range a.Blocks {
			if b.Text != nil {
				out = append(out, b.Text)
			}
			out = append(out, b.Fields...)
			out = append(out, b.Elements...)
		}
	}
	return out
}

var construct = regexp.MustCompile(`<[^>]*>`)

// constructs lists the <…> sequences of m: the links, mentions and dates Slack acts on.
func constructs(m message) []string {
	var out []string
	for _, s := range texts(m) {
		out = append(out, construct.FindAllString(s, -1)...)
	}
	return out
}

// decode reads a recorded request body back into a message.
func decode(t *testing.T, body []byte) message {
	t.Helper()
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a message: %v", err)
	}
	return m
}
