package analysis

import (
	"math"
	"strconv"
	"strings"
)

// Evidence is what a statistical rule concluded from the data so far.
type Evidence int

// Evidence levels. Pending is the zero value: a rule knows nothing until data proves
// something either way.
const (
	// EvidencePending: not enough data to tell healthy from breached yet.
	EvidencePending Evidence = iota
	// EvidenceHealthy: the data rules out a breach at the rule's error rates.
	EvidenceHealthy
	// EvidenceBreach: the data shows a breach at the rule's error rates.
	EvidenceBreach
)

// String returns "pending", "healthy" or "breach".
func (e Evidence) String() string {
	switch e {
	case EvidencePending:
		return "pending"
	case EvidenceHealthy:
		return "healthy"
	case EvidenceBreach:
		return "breach"
	}
	return "evidence(" + strconv.Itoa(int(e)) + ")"
}

// cusum is a one-sided CUSUM statistic, S = max(0, S + llr), alarming while S ≥ h. It is
// capped at 2h so that, once a regression ends, the alarm clears within a bounded time
// instead of paying back everything accumulated during a long breach.
type cusum struct {
	s, h float64
}

// add feeds one increment and reports whether S left zero (a new excursion) and
// whether it returned to zero.
func (c *cusum) add(llr float64) (started, reset bool) {
	started = c.s == 0 && llr > 0
	c.s = min(max(0, c.s+llr), 2*c.h)
	return started, c.s == 0
}

func (c *cusum) alarm() bool { return c.s >= c.h }

// nonNegative returns v, or 0 when v is negative, NaN or infinite: a counter reset or a
// missing sample is no traffic, not negative traffic.
func nonNegative(v float64) float64 {
	if v > 0 && !math.IsInf(v, 1) {
		return v
	}
	return 0
}

// fmtPct formats a ratio as a percentage with two decimals, or none for a whole
// percentage: 0.0052 → "0.52%", 0.01 → "1%".
func fmtPct(r float64) string {
	p := r * 100
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p == math.Trunc(p):
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	case p < 0.01:
		return strconv.FormatFloat(p, 'g', 2, 64) + "%"
	case p >= 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 2, 64) + "%"
}

// fmtCount formats a count with thousands separators, rounded to a whole number:
// 48210 → "48,210".
func fmtCount(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtApprox rounds a positive count to two significant digits for "~N needed" messages:
// 434 → "430", 12,345 → "12,000".
func fmtApprox(v float64) string {
	if v < 100 {
		return fmtCount(math.Ceil(v))
	}
	scale := math.Pow(10, math.Floor(math.Log10(v))-1)
	return fmtCount(math.Round(v/scale) * scale)
}
