package kube

import (
	"strings"
	"time"
)

// logCursor remembers how far one container's log has been counted. Logs are read with
// Timestamps: true and SinceTime, which the API takes to the second: every read starts
// again at the second of the last line, so the lines at exactly the last timestamp already
// counted are remembered and skipped, and anything older is dropped.
type logCursor struct {
	last   time.Time
	atLast map[string]int
	// restarts is the container's restart count at the last read: when it grows, the
	// previous instance's log holds lines not read yet.
	restarts int32
}

// newLogCursor starts counting at since.
func newLogCursor(since time.Time) *logCursor {
	return &logCursor{last: since, atLast: map[string]int{}}
}

// advance reads a chunk of log text ("2026-11-21T10:00:01.123456789Z message" lines) and
// returns the messages not counted before, in order, moving the cursor past them. When the
// chunk was cut by a size limit (truncated), its last line may be partial: it is left for
// the next read. Lines without a timestamp cannot be placed and are skipped.
func (c *logCursor) advance(chunk string, truncated bool) []string {
	lines := strings.Split(chunk, "\n")
	if last := len(lines) - 1; lines[last] == "" || truncated {
		lines = lines[:last]
	}
	from := c.last
	remaining := make(map[string]int, len(c.atLast))
	for k, v := range c.atLast {
		remaining[k] = v
	}
	var out []string
	for _, line := range lines {
		stamp, msg, _ := strings.Cut(strings.TrimSuffix(line, "\r"), " ")
		t, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil || t.Before(from) {
			continue
		}
		if t.Equal(from) && remaining[msg] > 0 {
			remaining[msg]--
			continue
		}
		out = append(out, msg)
		if t.After(c.last) {
			c.last, c.atLast = t, map[string]int{}
		}
		if t.Equal(c.last) {
			c.atLast[msg]++
		}
	}
	return out
}
