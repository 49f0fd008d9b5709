package anomaly

import (
	"math"
	"time"
)

// Reason says what decided a score.
type Reason uint8

// The reasons, from the most common.
const (
	ReasonNone       Reason = iota // an ordinary point
	ReasonWarmup                   // the models are still learning the series
	ReasonBurst                    // the short average of surprise is unusual
	ReasonShift                    // the long average of surprise is unusual
	ReasonExtreme                  // the value is beyond the range of the history
	ReasonInvalid                  // NaN or ±Inf: ignored
	ReasonOutOfOrder               // earlier than the previous point: ignored
)

var reasonNames = [...]string{"none", "warmup", "burst", "shift", "extreme", "invalid", "out_of_order"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Band is an interval of values.
type Band struct{ Low, High float64 }

// Score is the judgement of one point.
type Score struct {
	// Value is the anomaly score in [0, 1]: −log10 of the tail probability of the
	// deciding evidence, over ScaleDecades; 1 for a new extreme. An anomaly from
	// DefaultThreshold on.
	Value  float64
	Reason Reason
	// Expected is where the models expected the value at this moment (the levels holding
	// 90% of what this time of day, or else the previous level, led to); Range is the
	// series' range over the history, this point included; Prior is the range before it
	// (empty for the first), which a new extreme lies beyond.
	Expected, Range, Prior Band
	// Surprise is how unpredictable this one point was, in [0, 1].
	Surprise float64
	// TailProbability is the probability of evidence at least this strong under the
	// series' own history (the smaller, the more unusual); Window is the number of points
	// it averages (ShortWindow or LongWindow; 1 for an extreme).
	TailProbability float64
	Window          int
	// History is the number of points the judgement rests on.
	History int
	// Resting is set while the detector rests after an alarm: Value is then held under
	// the threshold, and Evidence keeps what the point scored on its own.
	Resting  bool
	Evidence float64
}

// Detector scores a series one point at a time. It is pure (no clock, no I/O: times
// come with the points), deterministic, and its memory is fixed at New. It is not safe
// for concurrent use.
type Detector struct {
	cfg              Config
	rng              extremes
	pred             predictor
	short, long      movingMean
	shortLik         *tailHist
	longLik          *tailHist
	n                int // points observed
	last             time.Time
	rest             int
	dayLen, slotSpan time.Duration
}

// New returns a detector for cfg. An invalid configuration (see Config.Validate) panics:
// configurations are constants of the program, not input.
func New(cfg Config) *Detector {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	likLen := (cfg.LikelihoodPoints + cfg.LikelihoodStride - 1) / cfg.LikelihoodStride
	d := &Detector{
		cfg: cfg, rng: newExtremes(cfg.RangePoints), pred: newPredictor(cfg),
		short: newMovingMean(cfg.ShortWindow), long: newMovingMean(cfg.LongWindow),
		shortLik: newTailHist(likLen), longLik: newTailHist(likLen),
		dayLen: 24 * time.Hour,
	}
	if cfg.DaySlots > 0 {
		d.slotSpan = d.dayLen / time.Duration(cfg.DaySlots)
	}
	return d
}

// Observe scores the point (t, v) and learns it. Points must come in time order; equal
// times are fine (each is a point), an earlier one is ignored, as are NaN and ±Inf.
func (d *Detector) Observe(t time.Time, v float64) Score {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Score{Reason: ReasonInvalid, TailProbability: 1}
	}
	if d.n > 0 && t.Before(d.last) {
		return Score{Reason: ReasonOutOfOrder, TailProbability: 1}
	}
	if d.n > 0 && d.cfg.MaxGap > 0 && t.Sub(d.last) > d.cfg.MaxGap {
		d.pred.breakSequence()
	}
	d.last = t
	d.n++
	s := Score{TailProbability: 1, History: min(d.n-1, d.cfg.LikelihoodPoints)}

	lo, hi, ok := d.rng.bounds()
	extreme := false
	if ok && hi > lo {
		tol := (hi - lo) * d.cfg.RangeTolerance
		extreme = v > hi+tol || v < lo-tol
	}
	if ok {
		s.Prior = Band{lo, hi}
	}
	d.rng.add(v)
	lo, hi, _ = d.rng.bounds()
	s.Range = Band{lo, hi}
	slot := -1
	if d.cfg.DaySlots > 0 {
		// The last slot takes the nanoseconds slotSpan rounds off when DaySlots does not
		// divide the day.
		slot = min(int(t.Sub(t.Truncate(d.dayLen))/d.slotSpan), d.cfg.DaySlots-1)
	}
	el, eh := d.pred.expected(slot)
	s.Expected = Band{d.levelValue(el, lo, hi), d.levelValue(eh+1, lo, hi)}
	s.Surprise = d.pred.observe(d.level(v, lo, hi), slot)

	d.short.add(s.Surprise)
	d.long.add(s.Surprise)
	if d.n > d.cfg.WarmupPoints {
		d.judge(&s, extreme)
	} else {
		s.Reason = ReasonWarmup
	}
	if d.n%d.cfg.LikelihoodStride == 0 {
		if d.short.full() {
			d.shortLik.add(d.short.mean())
		}
		if d.long.full() {
			d.longLik.add(d.long.mean())
		}
	}
	d.rester(&s)
	return s
}

// judge scores the averages of surprise against their own history, and a new extreme.
func (d *Detector) judge(s *Score, extreme bool) {
	q := d.cfg.TailQuantile
	if d.short.full() && d.shortLik.cnt > 0 {
		if p := d.shortLik.tailProb(d.short.mean(), q); p < s.TailProbability {
			s.TailProbability, s.Window, s.Reason = p, d.cfg.ShortWindow, ReasonBurst
		}
	}
	if d.long.full() && d.longLik.cnt > 0 {
		if p := d.longLik.tailProb(d.long.mean(), q); p < s.TailProbability {
			s.TailProbability, s.Window, s.Reason = p, d.cfg.LongWindow, ReasonShift
		}
	}
	s.Value = min(1, max(0, -math.Log10(s.TailProbability)/d.cfg.ScaleDecades))
	if s.Value < d.cfg.Threshold {
		s.Reason = ReasonNone
	}
	if extreme {
		// HTM's "spatial anomaly" rule in NAB: a value well outside everything seen is an
		// anomaly whatever its context; people label new extremes.
		s.Value, s.Reason, s.Window = 1, ReasonExtreme, 1
	}
}

// rester holds the score under the threshold for RestPoints after an alarm: NAB counts
// only the first detection of an anomaly, and a monitor should report an incident once.
func (d *Detector) rester(s *Score) {
	if d.rest > 0 {
		d.rest--
		if s.Value >= d.cfg.Threshold {
			s.Evidence, s.Value, s.Resting = s.Value, d.cfg.Threshold*restFactor, true
		}
		return
	}
	if s.Value >= d.cfg.Threshold {
		d.rest = d.cfg.RestPoints
	}
}

// restFactor places a resting score just under the threshold: still high, so a reader
// sees that the incident goes on, but not a new alarm.
const restFactor = 0.99

// level maps v to one of Bins levels across [lo, hi].
func (d *Detector) level(v, lo, hi float64) int {
	if hi <= lo {
		return 0
	}
	b := float64(d.cfg.Bins)
	f := b * (v - lo) / (hi - lo)
	if math.IsInf(b*(hi-lo), 0) { // a range near the largest float64: halve so nothing overflows
		f = b * ((v/2 - lo/2) / (hi/2 - lo/2))
	}
	return min(max(int(f), 0), d.cfg.Bins-1)
}

// levelValue is the lower edge of level i across [lo, hi].
func (d *Detector) levelValue(i int, lo, hi float64) float64 {
	b := float64(d.cfg.Bins)
	if math.IsInf(b*(hi-lo), 0) { // a range near the largest float64: weigh the ends instead
		f := float64(i) / b
		return lo*(1-f) + hi*f
	}
	return lo + (hi-lo)*float64(i)/b
}

// movingMean is the mean of the last n values, in a fixed ring.
type movingMean struct {
	ring      []float64
	head, cnt int
	sum       float64
}

func newMovingMean(n int) movingMean { return movingMean{ring: make([]float64, n)} }

func (m *movingMean) add(v float64) {
	m.sum += v - m.ring[m.head]
	m.ring[m.head] = v
	m.head = (m.head + 1) % len(m.ring)
	m.cnt = min(m.cnt+1, len(m.ring))
	if m.head == 0 { // re-add from scratch once per lap: no drift from rounding
		m.sum = 0
		for _, x := range m.ring {
			m.sum += x
		}
	}
}

func (m *movingMean) full() bool    { return m.cnt == len(m.ring) }
func (m *movingMean) mean() float64 { return m.sum / float64(len(m.ring)) }
