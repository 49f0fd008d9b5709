package anomaly

import "math"

// counts is a family of categorical distributions over the value levels, one per context,
// learned by counting. A context's counts are halved once their total passes the cap, so
// each context weighs recent behaviour more and its memory stays fixed.
type counts struct {
	n          []float64 // [context][level]
	total      []float64 // [context]
	levels     int
	cap, alpha float64
}

func newCounts(contexts, levels int, cap, alpha float64) counts {
	return counts{n: make([]float64, contexts*levels), total: make([]float64, contexts), levels: levels, cap: cap, alpha: alpha}
}

// p is the smoothed probability of level in context.
func (c *counts) p(ctx, level int) float64 {
	return (c.n[ctx*c.levels+level] + c.alpha) / (c.total[ctx] + c.alpha*float64(c.levels))
}

func (c *counts) add(ctx, level int) {
	c.n[ctx*c.levels+level]++
	c.total[ctx]++
	if c.total[ctx] > c.cap {
		row := c.n[ctx*c.levels : (ctx+1)*c.levels]
		for i := range row {
			row[i] /= 2
		}
		c.total[ctx] /= 2
	}
}

// band returns the levels holding the central 90% of a context's counts (all levels while
// it has none).
func (c *counts) band(ctx int) (lo, hi int) {
	row := c.n[ctx*c.levels : (ctx+1)*c.levels]
	tot := c.total[ctx]
	if tot <= 0 {
		return 0, c.levels - 1
	}
	lo, hi = -1, 0
	cum := 0.0
	for i, v := range row {
		cum += v
		if lo < 0 && cum > 0.05*tot {
			lo = i
		}
		if cum >= 0.95*tot {
			return lo, i
		}
		hi = i
	}
	return max(lo, 0), hi
}

// minContext is the count an order-2 context needs before it is trusted over its order-1
// back-off: a handful of observations, as in PPM-style models.
const minContext = 4

// predictor scores how expected each value level is from two sources and keeps the better
// explanation: the sequence of the last two levels (order 2, backing off to order 1), and
// the time of day (the slot of the point and its two neighbours, so a daily event that
// drifts by an hour is still expected).
type predictor struct {
	levels      int
	slots       int
	order1      counts // context: previous level
	order2      counts // context: the two previous levels
	daily       counts // context: slot of the day
	prev1       int
	prev2       int
	seqLen      int // how many previous levels the sequence context holds (0–2)
	maxSurprise float64
}

func newPredictor(cfg Config) predictor {
	b := cfg.Bins
	return predictor{
		levels: b, slots: cfg.DaySlots,
		order1:      newCounts(b, b, cfg.CountCap, cfg.Smoothing),
		order2:      newCounts(b*b, b, cfg.CountCap, cfg.Smoothing),
		daily:       newCounts(max(cfg.DaySlots, 1), b, cfg.CountCap, cfg.Smoothing),
		maxSurprise: math.Log(cfg.CountCap / cfg.Smoothing),
	}
}

// observe returns the surprise of level in [0, 1] (−ln p scaled so that a level never seen
// in a full context is 1) and learns it; slot is the point's slot of the day, or −1.
func (m *predictor) observe(level, slot int) float64 {
	best := 0.0
	switch {
	case m.seqLen >= 2 && m.order2.total[m.prev2*m.levels+m.prev1] >= minContext:
		best = m.order2.p(m.prev2*m.levels+m.prev1, level)
	case m.seqLen >= 1:
		best = m.order1.p(m.prev1, level)
	}
	if slot >= 0 {
		for _, s := range [3]int{slot, (slot + 1) % m.slots, (slot + m.slots - 1) % m.slots} {
			best = max(best, m.daily.p(s, level))
		}
		m.daily.add(slot, level)
	}
	if m.seqLen >= 1 {
		m.order1.add(m.prev1, level)
	}
	if m.seqLen >= 2 {
		m.order2.add(m.prev2*m.levels+m.prev1, level)
	}
	m.prev2, m.prev1 = m.prev1, level
	m.seqLen = min(m.seqLen+1, 2)
	if best <= 0 {
		return 0 // nothing to predict from yet
	}
	return min(1, -math.Log(best)/m.maxSurprise)
}

// expected returns the band of levels the time of day (or, without it, the previous level)
// makes likely for the next point.
func (m *predictor) expected(slot int) (lo, hi int) {
	if slot >= 0 && m.daily.total[slot] >= minContext {
		return m.daily.band(slot)
	}
	if m.seqLen >= 1 {
		return m.order1.band(m.prev1)
	}
	return 0, m.levels - 1
}

// breakSequence forgets the sequence context, after a gap in the data.
func (m *predictor) breakSequence() { m.seqLen = 0 }
