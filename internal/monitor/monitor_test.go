package monitor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/model"
)

// scripted is a check whose answer depends on the virtual time elapsed since start.
type scripted struct {
	spec  model.CheckSpec
	start time.Time
	fn    func(elapsed time.Duration) model.Measurement
}

func (c *scripted) Spec() model.CheckSpec { return c.spec }

func (c *scripted) Run(context.Context) model.Measurement {
	m := c.fn(time.Since(c.start))
	m.Check = c.spec.Name
	return m
}

func readiness(start time.Time, fn func(time.Duration) model.Measurement) *scripted {
	return &scripted{spec: model.CheckSpec{Name: "readiness", Kind: model.KindReadiness, Signal: model.SignalHealth,
		Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}, start: start, fn: fn}
}

// failingFrom answers like a healthy readiness endpoint until onset, then with sev.
func failingFrom(onset time.Duration, sev model.Severity) func(time.Duration) model.Measurement {
	return func(e time.Duration) model.Measurement {
		if e < onset {
			return model.Measurement{Value: "200"}
		}
		return model.Measurement{Breach: true, Severity: sev, Value: "503", Expected: "2xx", Message: "returned 503"}
	}
}

// recorder keeps every published event.
type recorder struct {
	mu     sync.Mutex
	events []model.Event
}

func (r *recorder) Publish(_ context.Context, ev model.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) kinds(kind model.EventKind) []model.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []model.Event
	for _, ev := range r.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

var defaultPlan = Plan{Schedule: []time.Duration{10 * s, 30 * s, time.Minute, 5 * time.Minute}, Interval: 10 * s, Cooldown: 5 * time.Minute}

func TestRunHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		rec := &recorder{}
		res := Run(t.Context(), Options{
			Checks: checkT{readiness(start, failingFrom(time.Hour, model.SeverityCritical))}.all(),
			Plan:   defaultPlan, FailOn: model.SeverityCritical, Publisher: rec,
		})
		if res.Verdict != model.VerdictHealthy {
			t.Fatalf("verdict = %s (%s)", res.Verdict, res.Reason)
		}
		if got := time.Since(start); got != 10*time.Minute {
			t.Errorf("run took %v of virtual time, want 10m (5m schedule + 5m cool-down)", got)
		}
		if res.DetectedAfter != nil {
			t.Errorf("DetectedAfter = %v, want none", *res.DetectedAfter)
		}
		var cps []time.Duration
		for _, ev := range rec.kinds(model.EventCheckpoint) {
			cps = append(cps, ev.Checkpoint)
			if ev.Status.Elapsed != ev.Checkpoint {
				t.Errorf("checkpoint %v published at +%v", ev.Checkpoint, ev.Status.Elapsed)
			}
		}
		if diff := cmp.Diff(defaultPlan.Schedule, cps); diff != "" {
			t.Errorf("checkpoints (-want +got):\n%s", diff)
		}
		var phases []model.Phase
		for _, ev := range rec.kinds(model.EventPhase) {
			phases = append(phases, ev.Phase)
		}
		if diff := cmp.Diff([]model.Phase{model.PhaseVerify, model.PhaseMonitor, model.PhaseCooldown}, phases); diff != "" {
			t.Errorf("phases (-want +got):\n%s", diff)
		}
		if n := len(rec.kinds(model.EventMeasured)); n != 61 {
			t.Errorf("%d measurements, want 61 (every 10s from 0 to 10m)", n)
		}
		fin := rec.kinds(model.EventFinished)
		if len(fin) != 1 || fin[0].Status.Verdict != model.VerdictHealthy || fin[0].Phase != model.PhaseVerdict {
			t.Errorf("finished events = %+v", fin)
		}
	})
}

type checkT []*scripted

func (c checkT) all() []check.Check {
	out := make([]check.Check, len(c))
	for i, x := range c {
		out[i] = x
	}
	return out
}

// TestDetectionWithinTwoIntervals is the detection-latency guarantee: a failure that starts
// anywhere between checkpoints is confirmed (with the default persistence of 2) within two
// intervals of its onset, and the run ends there (fail fast).
func TestDetectionWithinTwoIntervals(t *testing.T) {
	for _, interval := range []time.Duration{time.Second, 10 * s} {
		worst := time.Duration(0)
		for onset := interval / 3; onset < 5*time.Minute; onset += 7*s + interval/3 {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				rec := &recorder{}
				plan := defaultPlan
				plan.Interval = interval
				res := Run(t.Context(), Options{
					Checks: checkT{readiness(start, failingFrom(onset, model.SeverityCritical))}.all(),
					Plan:   plan, FailOn: model.SeverityCritical, Publisher: rec,
				})
				if res.Verdict != model.VerdictFailed || res.DetectedAfter == nil {
					t.Fatalf("onset %v: verdict %s, detected %v", onset, res.Verdict, res.DetectedAfter)
				}
				delay := *res.DetectedAfter - onset
				worst = max(worst, delay)
				if delay > 2*interval {
					t.Errorf("interval %v, onset +%v: detected after %v, more than two intervals", interval, onset, delay)
				}
				if got := time.Since(start); got != *res.DetectedAfter {
					t.Errorf("onset %v: run went on until +%v after detection at +%v (no fail fast)", onset, got, *res.DetectedAfter)
				}
				// The finding is published the moment it is confirmed, not at the next checkpoint.
				fs := rec.kinds(model.EventFinding)
				if len(fs) != 1 || fs[0].Status.Elapsed != *res.DetectedAfter || !fs[0].Finding.Fatal {
					t.Errorf("onset %v: finding events %+v", onset, fs)
				}
			})
		}
		t.Logf("interval %v: worst detection delay %v after onset (bound %v)", interval, worst, 2*interval)
	}
}

func TestEmergencyDetectedWithinOneInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		res := Run(t.Context(), Options{
			Checks: checkT{readiness(start, failingFrom(43*s, model.SeverityEmergency))}.all(),
			Plan:   defaultPlan, FailOn: model.SeverityCritical,
		})
		if res.Verdict != model.VerdictFailed || res.DetectedAfter == nil || *res.DetectedAfter != 50*s {
			t.Fatalf("verdict %s detected after %v, want failed at +50s", res.Verdict, res.DetectedAfter)
		}
	})
}

func TestCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(25*s, cancel)
		rec := &recorder{}
		res := Run(ctx, Options{
			Checks: checkT{readiness(start, failingFrom(time.Hour, model.SeverityCritical))}.all(),
			Plan:   defaultPlan, FailOn: model.SeverityCritical, Publisher: rec,
		})
		if res.Verdict != model.VerdictCancelled {
			t.Fatalf("verdict = %s", res.Verdict)
		}
		if got := time.Since(start); got != 25*s {
			t.Errorf("returned at +%v, want at the cancel (+25s)", got)
		}
		if fin := rec.kinds(model.EventFinished); len(fin) != 1 || fin[0].Status.Verdict != model.VerdictCancelled {
			t.Errorf("finished events = %+v", fin)
		}
	})
}

func TestCancelDuringSlowCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(3*s, cancel)
		slow := &blocking{}
		res := Run(ctx, Options{Checks: []check.Check{slow}, Plan: defaultPlan, FailOn: model.SeverityCritical})
		if res.Verdict != model.VerdictCancelled {
			t.Fatalf("verdict = %s", res.Verdict)
		}
		if res.Checks[0].Runs != 0 {
			t.Errorf("a probe cut short by cancellation was counted: %+v", res.Checks[0])
		}
	})
}

// blocking is a check that answers only when its context ends, as a hung HTTP request would.
type blocking struct{}

func (blocking) Spec() model.CheckSpec {
	return model.CheckSpec{Name: "slow", Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
}

func (blocking) Run(ctx context.Context) model.Measurement {
	<-ctx.Done()
	return model.Measurement{Check: "slow", ProbeError: "cancelled"}
}

func TestWarmupGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		plan := defaultPlan
		plan.Warmup = 20 * s
		// Not ready for the first 15 s (a slow start), healthy afterwards.
		fn := func(e time.Duration) model.Measurement {
			if e < 15*s {
				return model.Measurement{Breach: true, Message: "returned 503"}
			}
			return model.Measurement{Value: "200"}
		}
		rec := &recorder{}
		res := Run(t.Context(), Options{Checks: checkT{readiness(start, fn)}.all(), Plan: plan, FailOn: model.SeverityCritical, Publisher: rec})
		if res.Verdict != model.VerdictHealthy {
			t.Fatalf("verdict = %s (%s), want healthy: warm-up breaches are not fatal", res.Verdict, res.Reason)
		}
		if len(rec.kinds(model.EventFinding)) != 1 || len(rec.kinds(model.EventCleared)) != 1 {
			t.Errorf("warm-up finding should be reported and cleared: %d raised, %d cleared",
				len(rec.kinds(model.EventFinding)), len(rec.kinds(model.EventCleared)))
		}
	})
}

func TestWarmupBreachThatPersistsFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		plan := defaultPlan
		plan.Warmup = 20 * s
		res := Run(t.Context(), Options{Checks: checkT{readiness(start, failingFrom(0, model.SeverityCritical))}.all(),
			Plan: plan, FailOn: model.SeverityCritical})
		if res.Verdict != model.VerdictFailed || *res.DetectedAfter != 20*s {
			t.Fatalf("verdict %s at %v, want failed at the end of warm-up (+20s)", res.Verdict, res.DetectedAfter)
		}
		if res.Findings[0].Phase != model.PhaseVerify {
			t.Errorf("finding phase = %s, want verify", res.Findings[0].Phase)
		}
	})
}

func TestPanickingCheckIsAProbeError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		boom := readiness(start, func(time.Duration) model.Measurement { panic("boom") })
		res := Run(t.Context(), Options{Checks: checkT{boom}.all(), Plan: Plan{Schedule: []time.Duration{30 * s}, Interval: 10 * s}, FailOn: model.SeverityCritical})
		if res.Verdict != model.VerdictInconclusive {
			t.Fatalf("verdict = %s (%s), want inconclusive", res.Verdict, res.Reason)
		}
		if last := res.Checks[0].Last; last == nil || last.ProbeError != "check panicked: boom" {
			t.Errorf("last = %+v", last)
		}
	})
}

func TestResumeFromEarlierStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		startedAt := time.Now().Add(-45 * s)
		rec := &recorder{}
		res := Run(t.Context(), Options{
			Checks: checkT{readiness(startedAt, failingFrom(time.Hour, model.SeverityCritical))}.all(),
			Plan:   Plan{Schedule: []time.Duration{10 * s, 30 * s, time.Minute}, Interval: 10 * s}, FailOn: model.SeverityCritical,
			Publisher: rec, StartedAt: startedAt,
		})
		if res.Verdict != model.VerdictHealthy {
			t.Fatalf("verdict = %s", res.Verdict)
		}
		var cps []string
		for _, ev := range rec.kinds(model.EventCheckpoint) {
			cps = append(cps, fmt.Sprintf("%v@%v", ev.Checkpoint, ev.Status.Elapsed))
		}
		want := []string{"10s@45s", "30s@45s", "1m0s@1m0s"}
		if diff := cmp.Diff(want, cps); diff != "" {
			t.Errorf("checkpoints (-want +got):\n%s", diff)
		}
	})
}

// slowFailing hangs for d before answering 503, as a service stuck behind a timeout would.
type slowFailing struct {
	d     time.Duration
	onset time.Duration
	start time.Time
}

func (c slowFailing) Spec() model.CheckSpec {
	return model.CheckSpec{Name: "slow", Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
}

func (c slowFailing) Run(context.Context) model.Measurement {
	if time.Since(c.start) < c.onset {
		return model.Measurement{Check: "slow"}
	}
	time.Sleep(c.d)
	return model.Measurement{Check: "slow", Breach: true, Severity: model.SeverityEmergency, Message: "no response within 5s"}
}

func TestDetectionCountsTheProbeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		res := Run(t.Context(), Options{Checks: []check.Check{slowFailing{d: 5 * s, onset: 15 * s, start: start}}, Plan: defaultPlan, FailOn: model.SeverityCritical})
		// The round at +20s hangs until +25s: that is when the monitor knew.
		if res.DetectedAfter == nil || *res.DetectedAfter != 25*s {
			t.Fatalf("detected after %v, want 25s", res.DetectedAfter)
		}
	})
}

// sibling is a check that takes d to answer, as a smoke test hanging until its HTTP
// timeout would; ignoreCtx makes it finish its wait even after the round was cancelled.
type sibling struct {
	d         time.Duration
	ignoreCtx bool

	mu        sync.Mutex
	returned  []time.Time
	cancelled int
}

func (c *sibling) Spec() model.CheckSpec {
	return model.CheckSpec{Name: "smoke", Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 3}
}

func (c *sibling) Run(ctx context.Context) model.Measurement {
	m := model.Measurement{Check: "smoke", Value: "ok"}
	if c.ignoreCtx {
		time.Sleep(c.d)
	} else {
		select {
		case <-time.After(c.d):
		case <-ctx.Done():
			m = model.Measurement{Check: "smoke", ProbeError: "request cancelled"}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.returned = append(c.returned, time.Now())
	if ctx.Err() != nil {
		c.cancelled++
	}
	return m
}

// publishTimes records when (virtual time) each finding was published.
type publishTimes struct {
	recorder
	findings []time.Time
}

func (p *publishTimes) Publish(ctx context.Context, ev model.Event) {
	if ev.Kind == model.EventFinding {
		p.mu.Lock()
		p.findings = append(p.findings, time.Now())
		p.mu.Unlock()
	}
	p.recorder.Publish(ctx, ev)
}

// TestFailFastDoesNotWaitForSlowSibling: readiness is refused (an emergency, confirmed by
// one measurement) in the same round as a smoke test that hangs for 5 s. The failure is
// published the moment readiness answers, the hanging sibling is cancelled, the run ends
// there, and detected_after is that moment, the one the log shows.
func TestFailFastDoesNotWaitForSlowSibling(t *testing.T) {
	for _, ignoreCtx := range []bool{false, true} {
		t.Run(fmt.Sprintf("sibling ignores cancel=%v", ignoreCtx), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				slow := &sibling{d: 5 * s, ignoreCtx: ignoreCtx}
				ready := readiness(start, func(e time.Duration) model.Measurement {
					if e < 20*s {
						return model.Measurement{Value: "200"}
					}
					time.Sleep(3 * time.Millisecond)
					return model.Measurement{Breach: true, Severity: model.SeverityEmergency, Message: "connection refused"}
				})
				pub := &publishTimes{}
				res := Run(t.Context(), Options{Checks: []check.Check{ready, slow}, Plan: defaultPlan,
					FailOn: model.SeverityCritical, Publisher: pub})
				ended := time.Since(start)
				want := 20*s + 3*time.Millisecond
				if res.Verdict != model.VerdictFailed || res.DetectedAfter == nil || *res.DetectedAfter != want {
					t.Fatalf("verdict %s, detected after %v, want failed at +%v", res.Verdict, res.DetectedAfter, want)
				}
				if len(pub.findings) != 1 || pub.findings[0].Sub(start) != want {
					t.Fatalf("finding published at %v, want once at +%v", pub.findings, want)
				}
				fs := pub.kinds(model.EventFinding)
				if fs[0].Status.Elapsed != *res.DetectedAfter || fs[0].At.Sub(start) != want {
					t.Errorf("finding event at +%v with status at +%v, want both at +%v", fs[0].At.Sub(start), fs[0].Status.Elapsed, want)
				}
				if ended != want {
					t.Errorf("run returned at +%v, want at the detection (+%v)", ended, want)
				}
				fin := pub.kinds(model.EventFinished)
				if len(fin) != 1 || fin[0].At.Sub(start) != want {
					t.Errorf("verdict published at %+v, want once at +%v", fin, want)
				}
				// Let the hanging probe finish, however long it ignores the cancel.
				time.Sleep(10 * s)
				synctest.Wait()
				slow.mu.Lock()
				defer slow.mu.Unlock()
				last := slow.returned[len(slow.returned)-1].Sub(start)
				switch {
				case ignoreCtx && last != 25*s:
					t.Errorf("the hanging sibling returned at +%v, want +25s", last)
				case ignoreCtx && pub.findings[0].Sub(start) >= last:
					t.Errorf("the failure was published at +%v, not before the slow check returned (+%v)", pub.findings[0].Sub(start), last)
				case !ignoreCtx && (slow.cancelled != 1 || last != want):
					t.Errorf("sibling cancelled %d times, last returned at +%v; want cancelled once at +%v", slow.cancelled, last, want)
				}
				// The measurements of earlier rounds were all published; the cut probe was not.
				if n := len(pub.kinds(model.EventMeasured)); n != 2*2+1 {
					t.Errorf("%d measurements published, want 5 (both checks at +0 and +10s, readiness at +20s)", n)
				}
			})
		})
	}
}

// erring is a check whose probe fails after a delay, as a TLS handshake refused late would.
type erring struct {
	name  string
	delay time.Duration
}

func (c erring) Spec() model.CheckSpec {
	return model.CheckSpec{Name: c.name, Severity: model.SeverityCritical, Persistence: 2, MaxProbeErrors: 1}
}

func (c erring) Run(context.Context) model.Measurement {
	time.Sleep(c.delay)
	return model.Measurement{Check: c.name, ProbeError: "certificate signed by unknown authority"}
}

// TestRoundJudgesInCheckOrder: what is not a failure is judged with its round in check
// order, so the faster probe does not decide which finding comes first (and which one the
// verdict names).
func TestRoundJudgesInCheckOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res := Run(t.Context(), Options{Checks: []check.Check{erring{"readiness", time.Second}, erring{"smoke", 0}},
			Plan: Plan{Schedule: []time.Duration{30 * s}, Interval: 10 * s}, FailOn: model.SeverityCritical})
		if res.Verdict != model.VerdictInconclusive || len(res.Findings) != 2 {
			t.Fatalf("verdict %s, findings %+v", res.Verdict, res.Findings)
		}
		if res.Findings[0].Check != "readiness" || res.Findings[1].Check != "smoke" {
			t.Errorf("findings raised in order %s, %s; want the checks' order", res.Findings[0].Check, res.Findings[1].Check)
		}
	})
}
