package kube

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fxStamp writes a log timestamp: the start plus d.
func fxStamp(d time.Duration) string { return fxStart.Add(d).Format(time.RFC3339Nano) }

func TestLogCursorAdvance(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	type step struct {
		chunk     string
		truncated bool
		want      []string
	}
	tests := []struct {
		name  string
		since time.Time
		steps []step
	}{
		{"drops_lines_before_since", fxStart.Add(1500 * ms), []step{
			// The API takes sinceTime to the second: the read starts at 10:00:01.
			{fxStamp(1000*ms) + " early\n" + fxStamp(1500*ms) + " at since\n" + fxStamp(2*time.Second) + " later\n", false, []string{"at since", "later"}},
		}},
		{"re_read_boundary_is_deduplicated", fxStart, []step{
			{fxStamp(1*time.Second) + " a\n" + fxStamp(2100*ms) + " b\n" + fxStamp(2100*ms) + " c\n", false, []string{"a", "b", "c"}},
			{fxStamp(2100*ms) + " b\n" + fxStamp(2100*ms) + " c\n" + fxStamp(2100*ms) + " d\n" + fxStamp(3*time.Second) + " e\n", false, []string{"d", "e"}},
			{fxStamp(3*time.Second) + " e\n", false, nil},
		}},
		{"identical_lines_at_one_timestamp", fxStart, []step{
			{fxStamp(ms) + " x\n" + fxStamp(ms) + " x\n", false, []string{"x", "x"}},
			{fxStamp(ms) + " x\n" + fxStamp(ms) + " x\n" + fxStamp(ms) + " x\n", false, []string{"x"}},
		}},
		{"truncated_chunk_keeps_its_partial_line", fxStart, []step{
			{fxStamp(ms) + " a\n" + fxStamp(2*ms) + " b\n" + fxStamp(3*ms) + " par", true, []string{"a", "b"}},
			{fxStamp(2*ms) + " b\n" + fxStamp(3*ms) + " partial line\n", false, []string{"partial line"}},
		}},
		{"last_line_without_newline", fxStart, []step{
			{fxStamp(ms) + " a\r\n" + fxStamp(2*ms) + " b", false, []string{"a", "b"}},
		}},
		{"lines_without_timestamp_are_skipped", fxStart, []step{
			{"fake logs\n" + fxStamp(ms) + " kept\n\n", false, []string{"kept"}},
		}},
		{"empty_chunk", fxStart, []step{{"", false, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newLogCursor(tt.since)
			for i, s := range tt.steps {
				if diff := cmp.Diff(s.want, c.advance(s.chunk, s.truncated)); diff != "" {
					t.Errorf("step %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// fxLogServer answers the fake clientset's log requests like the kubelet: lines of the
// asked container (containers are named uniquely across the test's pods, as the fake's
// request does not carry the pod name) from the second of sinceTime on.
type fxLogServer struct {
	mu    sync.Mutex
	logs  map[string][]string // container, or container+"/previous" → lines
	fail  map[string]bool
	asked []corev1.PodLogOptions
}

func (s *fxLogServer) react(a k8stesting.Action) (bool, runtime.Object, error) {
	ga, ok := a.(k8stesting.GenericAction)
	if !ok || a.GetSubresource() != "log" {
		return false, nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	opts := ga.GetValue().(*corev1.PodLogOptions)
	s.asked = append(s.asked, *opts)
	key := opts.Container
	if opts.Previous {
		key += "/previous"
	}
	if s.fail[key] {
		return true, nil, errors.New(`container "` + opts.Container + `" is waiting to start`)
	}
	since := opts.SinceTime.Time.Truncate(time.Second)
	var out strings.Builder
	for _, l := range s.logs[key] {
		stamp, _, _ := strings.Cut(l, " ")
		if at, _ := time.Parse(time.RFC3339Nano, stamp); !at.Before(since) {
			out.WriteString(l + "\n")
		}
	}
	return true, &runtime.Unknown{Raw: []byte(out.String())}, nil
}

func (s *fxLogServer) write(key string, lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs[key] = append(s.logs[key], lines...)
}

// askedSince lists the (container, previous, since offset) of each request, then forgets them.
func (s *fxLogServer) askedSince() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, o := range s.asked {
		if !o.Timestamps || o.LimitBytes == nil {
			out = append(out, "missing timestamps or limit")
		}
		what := o.Container
		if o.Previous {
			what += " previous"
		}
		out = append(out, what+" since "+o.SinceTime.Time.Sub(fxStart).String())
	}
	s.asked = nil
	return out
}

func TestLogWatchPoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := &fxLogServer{logs: map[string][]string{}, fail: map[string]bool{}}
	c := fake.NewClientset()
	c.PrependReactor("get", "pods", srv.react)
	// No redactor of known secrets: the credential in a line is masked by its look alone,
	// as in production where nobody told deploywatch the database's password.
	w := NewLogWatch(c, fxNS, regexp.MustCompile(`(?i)error|panic`), fxStart, nil)

	api := PodState{Name: "api-a", UID: "uid-api-a", Containers: []ContainerState{{Name: "api", Running: true}}}
	starting := PodState{Name: "api-b", UID: "uid-api-b", Containers: []ContainerState{{Name: "api-b", Waiting: "ContainerCreating"}}}
	srv.write("api", fxStamp(-time.Second)+" ERROR before the start", fxStamp(time.Second)+" listening on :8080", fxStamp(1500*time.Millisecond)+" ERROR cache miss")

	poll := func(pods ...PodState) LogReport {
		t.Helper()
		before := time.Now()
		r, err := w.Poll(ctx, pods)
		if err != nil {
			t.Fatal(err)
		}
		// The counts cover the start to the poll.
		if !r.Since.Equal(fxStart) || r.At.Before(before) {
			t.Errorf("report covers %s to %s, want %s to this poll", r.Since, r.At, fxStart)
		}
		r.Since, r.At = time.Time{}, time.Time{}
		return r
	}
	want := LogReport{Matches: map[string]int{"api-a": 1}, Total: 1, Lines: 2, Samples: []string{"api-a/api: ERROR cache miss"}}
	if diff := cmp.Diff(want, poll(api, starting)); diff != "" {
		t.Errorf("poll 1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"api since 0s"}, srv.askedSince()); diff != "" {
		t.Errorf("poll 1 requests (-want +got):\n%s", diff)
	}

	// New lines, one in the same second as the last read: read from there, de-duplicated.
	srv.write("api", fxStamp(1700*time.Millisecond)+" error: db password=hunter22 rejected", fxStamp(3*time.Second)+" ok")
	want = LogReport{Matches: map[string]int{"api-a": 2}, Total: 2, Lines: 4,
		Samples: []string{"api-a/api: ERROR cache miss", "api-a/api: error: db password=*** rejected"}}
	if diff := cmp.Diff(want, poll(api, starting)); diff != "" {
		t.Errorf("poll 2 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"api since 1.5s"}, srv.askedSince()); diff != "" {
		t.Errorf("poll 2 requests (-want +got):\n%s", diff)
	}

	// The container crashed and restarted: the dead instance's last lines are in the
	// previous log, read first; the new instance's log follows. Repeated lines make one sample.
	srv.logs["api/previous"] = append(srv.logs["api"], fxStamp(4*time.Second)+" ERROR cache miss", fxStamp(5*time.Second)+" panic: nil map")
	srv.logs["api"] = []string{fxStamp(8*time.Second) + " listening on :8080", fxStamp(9*time.Second) + " ERROR cache miss"}
	api.Containers[0].Restarts = 1
	srv.fail["worker"] = true
	broken := PodState{Name: "worker-c", UID: "uid-worker-c", Containers: []ContainerState{{Name: "worker", Running: true}}}
	want = LogReport{Matches: map[string]int{"api-a": 5}, Total: 5, Lines: 8,
		Samples:    []string{"api-a/api: error: db password=*** rejected", "api-a/api: panic: nil map", "api-a/api: ERROR cache miss"},
		Unreadable: []string{`worker-c/worker: container "worker" is waiting to start`}}
	if diff := cmp.Diff(want, poll(api, broken)); diff != "" {
		t.Errorf("poll 3 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"api previous since 3s", "api since 5s", "worker since 0s"}, srv.askedSince()); diff != "" {
		t.Errorf("poll 3 requests (-want +got):\n%s", diff)
	}

	// Only unreadable logs: the poll fails, the counts so far are kept.
	r, err := w.Poll(ctx, []PodState{broken})
	if err == nil || !strings.Contains(err.Error(), "is waiting to start") || r.Total != 5 {
		t.Errorf("Poll(unreadable only) = %+v, %v", r, err)
	}
}

func TestLogWatchKeepsFiveSamples(t *testing.T) {
	t.Parallel()
	w := NewLogWatch(nil, fxNS, regexp.MustCompile("E"), fxStart, nil)
	w.count("p", "c", []string{"E1", "E2", "x", "E3", "E1", "E4", "E5", "E6 " + strings.Repeat("y", 300)})
	r := w.snapshot()
	want := []string{"p/c: E3", "p/c: E1", "p/c: E4", "p/c: E5", "p/c: E6 " + strings.Repeat("y", maxSampleText-4) + "…"}
	if diff := cmp.Diff(want, r.Samples); diff != "" || r.Total != 7 || r.Lines != 8 {
		t.Errorf("samples (-want +got):\n%s\ntotal %d, lines %d", diff, r.Total, r.Lines)
	}
}

// TestLogWatchSampleRedaction: the run's own secrets (known, no telltale name) and anything
// that looks like a credential are masked in samples; ordinary lines stay as they are.
func TestLogWatchSampleRedaction(t *testing.T) {
	t.Parallel()
	known := func(s string) string { return strings.ReplaceAll(s, "opaque-7788", "***") }
	w := NewLogWatch(nil, fxNS, regexp.MustCompile("ERROR"), fxStart, known)
	w.count("api-a", "api", []string{
		"ERROR sent opaque-7788 upstream",
		"ERROR login failed: password=hunter2 user=ci",
		"ERROR Authorization: Bearer abc.def.ghi rejected",
		"ERROR AWS key AKIAIOSFODNN7EXAMPLE denied",
		"ERROR cache miss for user:42",
	})
	want := []string{
		"api-a/api: ERROR sent *** upstream",
		"api-a/api: ERROR login failed: password=*** user=ci",
		"api-a/api: ERROR Authorization: Bearer *** rejected",
		"api-a/api: ERROR AWS key *** denied",
		"api-a/api: ERROR cache miss for user:42",
	}
	if diff := cmp.Diff(want, w.snapshot().Samples); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
}

func TestLogReportPerMinute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		covered  time.Duration
		n        int
		want     float64
		wantRate bool
	}{
		{"two_minutes", 2 * time.Minute, 6, 3, true},
		{"thirty_seconds", 30 * time.Second, 1, 2, true},
		{"none_matched", 5 * time.Minute, 0, 0, true},
		{"too_soon", 500 * time.Millisecond, 3, 0, false},
		{"clock_behind", -time.Minute, 3, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := LogReport{Since: fxStart, At: fxStart.Add(tt.covered)}
			got, ok := r.PerMinute(tt.n)
			if got != tt.want || ok != tt.wantRate {
				t.Errorf("PerMinute(%d) over %s = %v, %v; want %v, %v", tt.n, tt.covered, got, ok, tt.want, tt.wantRate)
			}
		})
	}
}
