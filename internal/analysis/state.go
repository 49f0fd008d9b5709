package analysis

import (
	"slices"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// latencyRing bounds the latencies kept per check; percentiles are over the most recent.
const latencyRing = 512

// breachLevels are the severities a streak is counted at.
var breachLevels = []model.Severity{model.SeverityWarning, model.SeverityCritical, model.SeverityEmergency}

type streak struct {
	count int
	onset time.Time
}

type checkState struct {
	spec   model.CheckSpec
	status model.CheckStatus
	// streaks[i] counts consecutive breaches at or above breachLevels[i], so a streak of
	// warnings that turns critical is confirmed as critical only after its own persistence.
	streaks      [3]streak
	errStreak    int
	errOnset     time.Time
	activeBreach int
	activeError  int
	latencies    []time.Duration
	next         int
	series       series
	// judged is the outcome of the last measurement that judged (not carried).
	judged model.Outcome
}

func newCheckState(s model.CheckSpec) *checkState {
	if s.Persistence < 1 {
		s.Persistence = 1
	}
	if s.MaxProbeErrors < 0 {
		s.MaxProbeErrors = 0
	}
	return &checkState{spec: s, status: model.CheckStatus{Spec: s}, activeBreach: -1, activeError: -1}
}

func (st *checkState) record(m model.Measurement) {
	st.status.Runs++
	switch m.Outcome {
	case model.OutcomePass:
		st.status.Passes++
	case model.OutcomeError:
		st.status.Errors++
	case model.OutcomePending:
		st.status.Pending++
	default:
		st.status.Breaches++
	}
	last := m
	st.status.Last = &last
	if m.Metric != nil && m.Metric.HasValue {
		st.series.add(model.Point{At: m.At, Value: m.Metric.Value})
	}
	if m.Outcome == model.OutcomeError && m.Latency == 0 {
		return
	}
	if len(st.latencies) < latencyRing {
		st.latencies = append(st.latencies, m.Latency)
	} else {
		st.latencies[st.next] = m.Latency
		st.next = (st.next + 1) % latencyRing
	}
	st.status.Latency.Count++
	st.status.Latency.Max = max(st.status.Latency.Max, m.Latency)
}

// carry records a measurement that repeats the last judgement: it is the latest word of
// the check (and a point of its series) but no new run of it.
func (st *checkState) carry(m model.Measurement) {
	last := m
	st.status.Last = &last
	if m.Metric != nil && m.Metric.HasValue {
		st.series.add(model.Point{At: m.At, Value: m.Metric.Value})
	}
}

func (st *checkState) resetBreach() { st.streaks = [3]streak{} }

func (st *checkState) extendBreach(sev model.Severity, at time.Time) {
	for i, level := range breachLevels {
		if sev < level {
			st.streaks[i] = streak{}
			continue
		}
		if st.streaks[i].count == 0 {
			st.streaks[i].onset = at
		}
		st.streaks[i].count++
	}
}

// persistence is how many consecutive breaches confirm a level. An emergency also extends
// the lower streaks, which Persistence confirms, so its own count never exceeds that.
func (st *checkState) persistence(level model.Severity) int {
	if level >= model.SeverityEmergency {
		return min(max(st.spec.EmergencyPersistence, 1), st.spec.Persistence)
	}
	return st.spec.Persistence
}

// confirmed returns the highest level whose streak is long enough, with its onset and length.
func (st *checkState) confirmed() (model.Severity, time.Time, int) {
	for i := len(breachLevels) - 1; i >= 0; i-- {
		s := st.streaks[i]
		if s.count > 0 && s.count >= st.persistence(breachLevels[i]) {
			// The onset of a finding is when the service first misbehaved at all.
			return breachLevels[i], st.streaks[0].onset, st.streaks[0].count
		}
	}
	return model.SeverityNone, time.Time{}, 0
}

func (st *checkState) snapshot() model.CheckStatus {
	s := st.status
	if len(st.latencies) > 0 {
		sorted := slices.Clone(st.latencies)
		slices.Sort(sorted)
		s.Latency.P50 = percentile(sorted, 0.50)
		s.Latency.P95 = percentile(sorted, 0.95)
	}
	if s.Last != nil {
		last := *s.Last
		s.Last = &last
	}
	s.Series = st.series.points()
	return s
}

// maxSeries bounds the points kept per metric for charts; a long run keeps every 2nd,
// then every 4th value, and so on, so the chart still spans the whole run.
const maxSeries = 240

type series struct {
	pts    []model.Point
	stride int
	seen   int
}

func (s *series) add(p model.Point) {
	if s.stride == 0 {
		s.stride = 1
	}
	s.seen++
	if (s.seen-1)%s.stride != 0 {
		return
	}
	if len(s.pts) == maxSeries {
		kept := s.pts[:0]
		for i := 0; i < len(s.pts); i += 2 {
			kept = append(kept, s.pts[i])
		}
		s.pts = kept
		s.stride *= 2
		if (s.seen-1)%s.stride != 0 {
			return
		}
	}
	s.pts = append(s.pts, p)
}

func (s *series) points() []model.Point {
	if len(s.pts) == 0 {
		return nil
	}
	return slices.Clone(s.pts)
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
