package datadog

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

const apiKey = "dd0a1b2c3d4e5f60718293a4b5c6d7e8"

// datadogAPI answers like the events API: 404 off its path, 403 for a wrong key, 400 for
// a body the API would refuse (its limits included), else 202 with the created event.
func datadogAPI(t *testing.T) http.Handler {
	var id atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/events" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"errors":["Not found"]}`)
			return
		}
		if r.Header.Get("DD-API-KEY") != apiKey {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"errors":["Forbidden"]}`)
			return
		}
		var e event
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		err := dec.Decode(&e)
		if err == nil && r.Header.Get("Content-Type") != "application/json" {
			err = fmt.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		if err == nil {
			err = checkEvent(e)
		}
		if err != nil {
			t.Errorf("Datadog would refuse the event: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			msg, _ := json.Marshal(err.Error())
			_, _ = io.WriteString(w, `{"errors":[`+string(msg)+`]}`)
			return
		}
		n := id.Add(1)
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "event": map[string]any{
			"id": n, "title": e.Title, "url": fmt.Sprintf("https://app.datadoghq.com/event/event?id=%d", n),
		}})
	})
}

var (
	alertTypes = []string{"error", "warning", "info", "success", "user_update", "recommendation", "snapshot"}
	tagPattern = regexp.MustCompile(`^[a-z][a-z0-9_\-:./]*[a-z0-9_\-./]$`)
)

// checkEvent enforces the API's rules and limits.
func checkEvent(e event) error {
	if n := utf8.RuneCountInString(e.Title); n == 0 || n > 100 {
		return fmt.Errorf("title has %d characters", n)
	}
	if n := utf8.RuneCountInString(e.Text); n > 4000 {
		return fmt.Errorf("text has %d characters", n)
	}
	if !strings.HasPrefix(e.Text, "%%%\n") || !strings.HasSuffix(e.Text, "\n%%%") || strings.Count(e.Text, "%%%") != 2 {
		return fmt.Errorf("text is not one Markdown block: %q", e.Text)
	}
	if !slices.Contains(alertTypes, e.AlertType) {
		return fmt.Errorf("alert_type %q", e.AlertType)
	}
	if e.Priority != "normal" && e.Priority != "low" {
		return fmt.Errorf("priority %q", e.Priority)
	}
	for _, tag := range e.Tags {
		if len(tag) > 200 || !tagPattern.MatchString(tag) {
			return fmt.Errorf("tag %q", tag)
		}
	}
	if n := len(e.AggregationKey); n == 0 || n > 100 {
		return fmt.Errorf("aggregation_key has %d characters", n)
	}
	if e.DateHappened <= 0 {
		return fmt.Errorf("date_happened %d", e.DateHappened)
	}
	return nil
}

// decode reads a recorded request body back into an event.
func decode(t *testing.T, body []byte) event {
	t.Helper()
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body is not an event: %v", err)
	}
	return e
}
