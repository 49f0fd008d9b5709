package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/deploywatch/deploywatch/internal/redact"
)

const (
	// logReadLimit caps one read of one container's log; a busier log is caught up over
	// the next polls, the cursor continuing where the read stopped.
	logReadLimit = 1 << 20
	// maxLogSamples is how many matching lines a report keeps.
	maxLogSamples = 5
	// maxSampleText caps a sample line.
	maxSampleText = 200
)

// LogWatch counts the log lines of the new pods that match a pattern, since the start.
// Each Poll reads only what is new in every container's log (by timestamp, the boundary
// line de-duplicated), and the previous instance's log when a container restarted since
// the last poll. Lines of instances that came and went between two polls are not seen:
// the kubelet keeps only the previous one. It is safe for concurrent use.
type LogWatch struct {
	c       kubernetes.Interface
	ns      string
	pattern *regexp.Regexp
	since   time.Time
	redact  func(string) string

	mu      sync.Mutex
	cursors map[logKey]*logCursor
	report  LogReport
}

// logKey names one container of one pod instance: a StatefulSet pod replaced under the
// same name starts a new log.
type logKey struct {
	pod       string
	uid       types.UID
	container string
}

// LogReport is what the logs showed since the start.
type LogReport struct {
	// Matches counts the matching lines per pod; Total sums them.
	Matches map[string]int
	Total   int
	// Lines counts every line read.
	Lines int
	// Samples are the latest distinct matching lines, oldest first, at most five, as
	// "pod/container: line": one line each, capped, redacted.
	Samples []string
	// Unreadable lists the containers whose log could not be read in the last poll, as
	// "pod/container: reason".
	Unreadable []string
	// Since is the deployment start counting began at; At is when these counts were taken.
	// Rates are over At - Since.
	Since, At time.Time
}

// PerMinute is n matches as a rate over the time the counts cover; false before a second
// has passed, when a rate would mean nothing.
func (r LogReport) PerMinute(n int) (float64, bool) {
	d := r.At.Sub(r.Since)
	if d < time.Second {
		return 0, false
	}
	return float64(n) / d.Minutes(), true
}

// NewLogWatch counts the lines matching pattern in the logs of pods in namespace written
// at or after since. redact masks the run's own secrets in sample lines (nil: none);
// anything else that looks like a credential is masked anyway (redact.Untrusted).
func NewLogWatch(c kubernetes.Interface, namespace string, pattern *regexp.Regexp, since time.Time, redact func(string) string) *LogWatch {
	if redact == nil {
		redact = func(s string) string { return s }
	}
	return &LogWatch{c: c, ns: namespace, pattern: pattern, since: since, redact: redact,
		cursors: map[logKey]*logCursor{}, report: LogReport{Matches: map[string]int{}, Since: since}}
}

// Pattern is the expression lines are matched with.
func (w *LogWatch) Pattern() *regexp.Regexp { return w.pattern }

// Poll reads what is new in the logs of every started container of pods and returns the
// counts since the start. A container whose log cannot be read is listed in Unreadable;
// Poll fails only when no log could be read at all.
func (w *LogWatch) Poll(ctx context.Context, pods []PodState) (LogReport, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.report.Unreadable = nil
	var errs []error
	read := 0
	for _, pod := range pods {
		for _, c := range pod.Containers {
			if !c.Running && c.LastTerminated == "" && c.Restarts == 0 {
				continue // never started: no log yet
			}
			key := logKey{pod.Name, pod.UID, c.Name}
			cur := w.cursors[key]
			if cur == nil {
				cur = newLogCursor(w.since)
				w.cursors[key] = cur
			}
			if c.Restarts > cur.restarts {
				// The instance that just died wrote lines since the last read; a missing
				// previous log is no error (it was rotated, or the node was replaced).
				if chunk, cut, err := w.read(ctx, pod.Name, c.Name, cur.last, true); err == nil {
					w.count(pod.Name, c.Name, cur.advance(chunk, cut))
				}
			}
			cur.restarts = c.Restarts
			chunk, cut, err := w.read(ctx, pod.Name, c.Name, cur.last, false)
			if err != nil {
				errs = append(errs, fmt.Errorf("logs of %s/%s: %w", pod.Name, c.Name, err))
				w.report.Unreadable = append(w.report.Unreadable, fmt.Sprintf("%s/%s: %s", pod.Name, c.Name, clipText(singleLine(redact.Untrusted(w.redact(err.Error()))), 100)))
				continue
			}
			read++
			w.count(pod.Name, c.Name, cur.advance(chunk, cut))
		}
	}
	// The counts cover the logs up to now.
	w.report.At = time.Now()
	if read == 0 && len(errs) > 0 {
		return w.snapshot(), fmt.Errorf("read logs: %w", errors.Join(errs...))
	}
	return w.snapshot(), nil
}

// read fetches one container's log from since on, at most logReadLimit bytes; cut reports
// that the limit was reached.
func (w *LogWatch) read(ctx context.Context, pod, container string, since time.Time, previous bool) (chunk string, cut bool, err error) {
	limit := int64(logReadLimit)
	opts := &corev1.PodLogOptions{Container: container, Timestamps: true, Previous: previous,
		SinceTime: &metav1.Time{Time: since}, LimitBytes: &limit}
	rc, err := w.c.CoreV1().Pods(w.ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return "", false, transportCause(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit))
	if err != nil {
		return "", false, transportCause(err)
	}
	return string(data), int64(len(data)) >= limit, nil
}

// transportCause drops the request URL from a transport error: it names the pod and
// container again, which the caller already does.
func transportCause(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// count adds new lines of one container to the report; w.mu is held.
func (w *LogWatch) count(pod, container string, lines []string) {
	w.report.Lines += len(lines)
	for _, line := range lines {
		if !w.pattern.MatchString(line) {
			continue
		}
		w.report.Matches[pod]++
		w.report.Total++
		sample := pod + "/" + container + ": " + clipText(singleLine(redact.Untrusted(w.redact(line))), maxSampleText)
		// A crash loop prints the same line every time: keep distinct ones, latest last.
		w.report.Samples = slices.DeleteFunc(w.report.Samples, func(s string) bool { return s == sample })
		w.report.Samples = append(w.report.Samples, sample)
		if n := len(w.report.Samples); n > maxLogSamples {
			w.report.Samples = slices.Delete(w.report.Samples, 0, n-maxLogSamples)
		}
	}
}

// snapshot copies the report; w.mu is held.
func (w *LogWatch) snapshot() LogReport {
	r := w.report
	r.Matches = maps.Clone(r.Matches)
	r.Samples = slices.Clone(r.Samples)
	r.Unreadable = slices.Clone(r.Unreadable)
	return r
}
