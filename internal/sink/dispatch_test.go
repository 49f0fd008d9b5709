package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// recorder is a sink that records what it was sent and answers from a script: the i-th
// call returns script[i] when there is one, success otherwise.
type recorder struct {
	name   string
	mu     sync.Mutex
	got    []sent
	script []result
	// block makes Send wait for ctx.
	block bool
}

type sent struct {
	kind Kind
	at   time.Time
	dep  string
}

type result struct {
	retry bool
	err   error
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Send(ctx context.Context, ev Event) (bool, error) {
	r.mu.Lock()
	i := len(r.got)
	r.got = append(r.got, sent{ev.Kind, time.Now(), ev.Report.DeploymentID})
	block := r.block
	var res result
	if i < len(r.script) {
		res = r.script[i]
	}
	r.mu.Unlock()
	if block {
		<-ctx.Done()
		return true, ctx.Err()
	}
	return res.retry, res.err
}

func (r *recorder) kinds() []Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Kind
	for _, s := range r.got {
		out = append(out, s.kind)
	}
	return out
}

func (r *recorder) calls() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// announcer hands out a deployment id once its start went through.
type announcer struct {
	recorder
	id string
}

func (a *announcer) Handles() Handles {
	if len(a.calls()) == 0 {
		return Handles{}
	}
	return Handles{DeploymentID: a.id, Links: []model.Link{{Label: "deployment", URL: "https://example.test/d/" + a.id}}}
}

type snapshotter struct {
	recorder
	gap time.Duration
}

func (s *snapshotter) MinGap() time.Duration { return s.gap }

type panicker struct{}

func (panicker) Name() string                              { return "panicky" }
func (panicker) Send(context.Context, Event) (bool, error) { panic("boom") }

func noJitter() float64 { return 1 }

func ev(k Kind) Event { return Event{Kind: k} }

func TestDispatcherDeliversInOrderWithHandles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dep := &announcer{recorder: recorder{name: "deployment"}, id: "42"}
		chat := &recorder{name: "chat"}
		d := New([]Sink{chat, dep}, Options{Jitter: noJitter})
		h := d.Announce(t.Context(), ev(KindStarted))
		if h.DeploymentID != "42" || len(h.Links) != 1 {
			t.Fatalf("handles after the start = %+v", h)
		}
		d.Publish(ev(KindProgress))
		d.Publish(Event{Kind: KindFinding, Finding: &model.Finding{Check: "readiness"}})
		warnings := d.Finish(t.Context(), ev(KindFinished))
		if len(warnings) != 0 {
			t.Errorf("warnings = %q", warnings)
		}
		want := []Kind{KindStarted, KindProgress, KindFinding, KindFinished}
		for _, r := range []*recorder{chat, &dep.recorder} {
			if got := r.kinds(); !slices.Equal(got, want) {
				t.Errorf("%s got %v, want %v", r.name, got, want)
			}
		}
		for _, c := range chat.calls() {
			if c.dep != "42" {
				t.Errorf("chat's %s event has deployment %q, want the announcer's 42", c.kind, c.dep)
			}
		}
	})
}

func TestDispatcherRetries(t *testing.T) {
	rateLimited := &Error{Op: "post", Status: 429, Retry: true, After: 7 * time.Second}
	unavailable := &Error{Op: "post", Status: 503, Retry: true}
	tests := []struct {
		name   string
		script []result
		// wantCalls is how many times the event was sent; wantWaits the waits between.
		wantCalls   int
		wantWaits   []time.Duration
		wantWarning string
	}{
		{name: "5xx_then_success", script: []result{{true, unavailable}, {true, unavailable}},
			wantCalls: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		{name: "retry_after_is_honoured", script: []result{{true, rateLimited}},
			wantCalls: 2, wantWaits: []time.Duration{7 * time.Second}},
		{name: "final_error_is_not_retried", script: []result{{false, &Error{Op: "post", Status: 400, Detail: "invalid_payload"}}},
			wantCalls: 1, wantWarning: "chat: finished event not delivered after 1 attempt(s): post: 400 Bad Request: invalid_payload"},
		{name: "gives_up_after_max_attempts", script: slices.Repeat([]result{{true, unavailable}}, 10),
			wantCalls: 5, wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
			wantWarning: "chat: finished event not delivered after 5 attempt(s): post: 503 Service Unavailable"},
		{name: "too_long_a_wait_gives_up", script: []result{{true, &Error{Op: "post", Status: 429, Retry: true, After: time.Hour}}},
			wantCalls: 1, wantWarning: "chat: finished event not delivered: asked to wait 1h0m0s, longer than 2m0s"},
		{name: "plain_errors_follow_the_retry_flag", script: []result{{true, errors.New("connection reset")}},
			wantCalls: 2, wantWaits: []time.Duration{time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := &recorder{name: "chat", script: tt.script}
				d := New([]Sink{r}, Options{Jitter: noJitter})
				warnings := d.Finish(t.Context(), ev(KindFinished))
				calls := r.calls()
				if len(calls) != tt.wantCalls {
					t.Fatalf("sent %d times, want %d", len(calls), tt.wantCalls)
				}
				var waits []time.Duration
				for i := 1; i < len(calls); i++ {
					waits = append(waits, calls[i].at.Sub(calls[i-1].at))
				}
				if !slices.Equal(waits, tt.wantWaits) {
					t.Errorf("waits %v, want %v", waits, tt.wantWaits)
				}
				if tt.wantWarning == "" && len(warnings) > 0 || tt.wantWarning != "" && (len(warnings) != 1 || !strings.HasPrefix(warnings[0], tt.wantWarning)) {
					t.Errorf("warnings %q, want %q", warnings, tt.wantWarning)
				}
			})
		})
	}
}

func TestDispatcherJitterSpreadsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{name: "chat", script: []result{{true, errors.New("reset")}}}
		d := New([]Sink{r}, Options{Jitter: func() float64 { return 0 }})
		d.Finish(t.Context(), ev(KindFinished))
		calls := r.calls()
		if len(calls) != 2 || calls[1].at.Sub(calls[0].at) != 500*time.Millisecond {
			t.Errorf("with the lowest jitter the first wait is half the base delay; calls %v", calls)
		}
	})
}

func TestDispatcherDisablesASinkThatCannotWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		forbidden := &Error{Op: "create deployment", Status: 403, Disable: true, Detail: "Resource not accessible by integration"}
		r := &recorder{name: "github deployment", script: []result{{false, forbidden}}}
		d := New([]Sink{r}, Options{Jitter: noJitter})
		d.Announce(t.Context(), ev(KindStarted))
		d.Publish(ev(KindProgress))
		warnings := d.Finish(t.Context(), ev(KindFinished))
		if got := r.kinds(); !slices.Equal(got, []Kind{KindStarted}) {
			t.Errorf("a disabled sink was sent %v, want only the start", got)
		}
		want := "github deployment: turned off for the rest of this run: create deployment: 403 Forbidden: Resource not accessible by integration"
		if !slices.Equal(warnings, []string{want}) {
			t.Errorf("warnings %q, want one: %q", warnings, want)
		}
	})
}

func TestDispatcherCoalescesSnapshots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &snapshotter{recorder: recorder{name: "comment"}, gap: 5 * time.Second}
		d := New([]Sink{s}, Options{Jitter: noJitter})
		d.Announce(t.Context(), ev(KindStarted))
		// A flapping check: ten state changes in two seconds.
		for range 10 {
			d.Publish(ev(KindFinding))
			time.Sleep(200 * time.Millisecond)
		}
		// At +6s the findings went out at +5s; progress within the next gap waits, and
		// the final snapshot supersedes it. (Later than the gap, progress would be sent at
		// once, or not, as the worker and Finish race: nothing to assert there.)
		time.Sleep(4 * time.Second)
		d.Publish(ev(KindProgress))
		d.Publish(ev(KindProgress))
		warnings := d.Finish(t.Context(), ev(KindFinished))
		if len(warnings) > 0 {
			t.Errorf("warnings %q", warnings)
		}
		calls := s.calls()
		kinds := s.kinds()
		want := []Kind{KindStarted, KindFinding, KindFinished}
		if !slices.Equal(kinds, want) {
			t.Fatalf("sent %v, want %v: the ten findings collapse into one after the gap, the progress events into the final one", kinds, want)
		}
		if gap := calls[1].at.Sub(calls[0].at); gap != 5*time.Second {
			t.Errorf("second snapshot %s after the first, want the 5s minimum gap", gap)
		}
	})
}

func TestDispatcherDropsARetryANewerSnapshotReplaces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &snapshotter{recorder: recorder{name: "comment", script: []result{{}, {true, &Error{Op: "edit", Status: 502, Retry: true}}}}}
		d := New([]Sink{s}, Options{Jitter: noJitter, BaseDelay: 20 * time.Second})
		d.Announce(t.Context(), ev(KindStarted))
		d.Publish(Event{Kind: KindProgress, Checkpoint: 10 * time.Second})
		time.Sleep(time.Second) // the edit failed; its retry waits 20s
		d.Publish(Event{Kind: KindProgress, Checkpoint: 30 * time.Second})
		synctest.Wait()
		warnings := d.Finish(t.Context(), ev(KindFinished))
		calls := s.calls()
		if got := s.kinds(); !slices.Equal(got, []Kind{KindStarted, KindProgress, KindProgress, KindFinished}) {
			t.Fatalf("sent %v, want the start, the failed checkpoint once, the newer one, the end", got)
		}
		if wait := calls[2].at.Sub(calls[1].at); wait != time.Second {
			t.Errorf("the newer checkpoint went out %s after the failed one, want 1s: at once, not after the 20s retry wait", wait)
		}
		if len(warnings) > 0 {
			t.Errorf("warnings %q: nothing was lost", warnings)
		}
	})
}

func TestDispatcherFinishIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := &recorder{name: "webhook", block: true}
		fine := &recorder{name: "chat"}
		d := New([]Sink{stuck, fine}, Options{Jitter: noJitter})
		d.Publish(ev(KindProgress))
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		warnings := d.Finish(ctx, ev(KindFinished))
		if took := time.Since(start); took != 3*time.Second {
			t.Errorf("Finish took %s, want the 3s it was given", took)
		}
		if got := fine.kinds(); !slices.Equal(got, []Kind{KindProgress, KindFinished}) {
			t.Errorf("a stuck sink held up another: chat got %v", got)
		}
		want := []string{
			"webhook: checkpoint +0s not delivered: the run's time to report ran out",
			"webhook: 1 event(s) not delivered: the run's time to report ran out",
		}
		if !slices.Equal(warnings, want) {
			t.Errorf("warnings %q, want %q", warnings, want)
		}
	})
}

func TestDispatcherSurvivesAPanickingSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := New([]Sink{panicker{}}, Options{Jitter: noJitter})
		warnings := d.Finish(t.Context(), ev(KindFinished))
		if len(warnings) != 1 || !strings.Contains(warnings[0], "sink panicked: boom") {
			t.Errorf("warnings %q", warnings)
		}
	})
}

func TestAnnounceTooSlowContinuesInTheBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		limited := &Error{Op: "create deployment", Status: 403, Retry: true, After: 40 * time.Second}
		dep := &announcer{recorder: recorder{name: "deployment", script: []result{{true, limited}}}, id: "7"}
		d := New([]Sink{dep}, Options{Jitter: noJitter})
		start := time.Now()
		h := d.Announce(t.Context(), ev(KindStarted))
		if took := time.Since(start); took != 15*time.Second || h.DeploymentID != "" {
			t.Fatalf("Announce took %s with handles %+v; want it to give up waiting at 15s", took, h)
		}
		warnings := d.Finish(t.Context(), ev(KindFinished))
		if got := dep.kinds(); !slices.Equal(got, []Kind{KindStarted, KindStarted, KindFinished}) {
			t.Errorf("sent %v: the start should be retried in the background", got)
		}
		if len(warnings) > 0 || d.Handles().DeploymentID != "7" {
			t.Errorf("warnings %q handles %+v", warnings, d.Handles())
		}
	})
}

func TestNotable(t *testing.T) {
	t.Parallel()
	warn := &model.Finding{Severity: model.SeverityWarning, Type: model.FindingBreach}
	crit := &model.Finding{Severity: model.SeverityCritical, Type: model.FindingBreach}
	probe := &model.Finding{Type: model.FindingProbeError}
	tests := []struct {
		ev   Event
		min  model.Severity
		want bool
	}{
		{Event{Kind: KindStarted}, model.SeverityEmergency, true},
		{Event{Kind: KindFinished}, model.SeverityEmergency, true},
		{Event{Kind: KindRolledBack}, model.SeverityEmergency, true},
		{Event{Kind: KindFinding, Finding: warn}, model.SeverityWarning, true},
		{Event{Kind: KindFinding, Finding: warn}, model.SeverityCritical, false},
		{Event{Kind: KindFinding, Finding: crit}, model.SeverityCritical, true},
		{Event{Kind: KindCleared, Finding: crit}, model.SeverityWarning, true},
		{Event{Kind: KindFinding, Finding: probe}, model.SeverityWarning, true},
		{Event{Kind: KindFinding, Finding: probe}, model.SeverityCritical, false},
		{Event{Kind: KindProgress}, model.SeverityWarning, false},
		{Event{Kind: KindProgress}, model.SeverityInfo, true},
		{Event{Kind: KindResumed}, model.SeverityInfo, false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s_%s", tt.ev.Kind, tt.min)
		if tt.ev.Finding != nil {
			name += "_" + FindingSeverity(*tt.ev.Finding).String()
		}
		if got := Notable(tt.ev, tt.min); got != tt.want {
			t.Errorf("%s: Notable = %v, want %v", name, got, tt.want)
		}
	}
}

// A snapshotter shows a finding at once only when it escalates; clearing and repeats wait
// for the next checkpoint or the end.
func TestSnapshotterPublishesEscalationsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &snapshotter{recorder: recorder{name: "comment"}}
		d := New([]Sink{s}, Options{Jitter: noJitter})
		warn := model.Finding{Check: "latency", Severity: model.SeverityWarning, Type: model.FindingBreach}
		crit := model.Finding{Check: "errors", Severity: model.SeverityCritical, Type: model.FindingBreach}
		finding := func(k Kind, f model.Finding) Event {
			return Event{Kind: k, Finding: &f, Report: model.Report{Result: model.Result{Findings: []model.Finding{f}}}}
		}
		step := func(ev Event) { d.Publish(ev); time.Sleep(time.Minute) }
		d.Announce(t.Context(), ev(KindStarted))
		step(finding(KindFinding, warn)) // escalation: shown
		step(finding(KindCleared, warn)) // waits
		step(finding(KindFinding, warn)) // a repeat: waits
		step(ev(KindProgress))           // the checkpoint shows all of it
		step(finding(KindFinding, crit)) // escalation: shown
		step(finding(KindCleared, crit)) // waits, then the end shows it
		d.Finish(t.Context(), ev(KindFinished))
		want := []Kind{KindStarted, KindFinding, KindProgress, KindFinding, KindFinished}
		if got := s.kinds(); !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
	})
}
