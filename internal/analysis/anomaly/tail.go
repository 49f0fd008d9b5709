package anomaly

import "math"

// histBins is the resolution of a tail histogram over [0, 1]: averages of surprise are
// kept to 1/4096, far finer than any spread that matters (minTailScale).
const histBins = 4096

// tailHist is the distribution of the last n values in [0, 1]: a ring of their bins, for
// eviction, and a Fenwick tree of bin counts, so adding, ranking and quantiles cost
// O(log histBins) and the memory is fixed.
type tailHist struct {
	ring      []uint16
	head, cnt int
	tree      [histBins + 1]int32
}

func newTailHist(n int) *tailHist { return &tailHist{ring: make([]uint16, n)} }

func bin(v float64) int { return min(max(int(v*histBins), 0), histBins-1) }

func (h *tailHist) update(b int, delta int32) {
	for i := b + 1; i <= histBins; i += i & -i {
		h.tree[i] += delta
	}
}

// below is the number of values in bins before b.
func (h *tailHist) below(b int) int {
	s := int32(0)
	for i := b; i > 0; i -= i & -i {
		s += h.tree[i]
	}
	return int(s)
}

func (h *tailHist) add(v float64) {
	if h.cnt == len(h.ring) {
		h.update(int(h.ring[h.head]), -1)
	} else {
		h.cnt++
	}
	b := bin(v)
	h.ring[h.head] = uint16(b)
	h.head = (h.head + 1) % len(h.ring)
	h.update(b, 1)
}

// quantile is the centre of the bin holding the q-quantile.
func (h *tailHist) quantile(q float64) float64 {
	k := int32(q * float64(h.cnt-1)) // 0-based rank sought
	pos := 0
	for step := histBins; step > 0; step >>= 1 { // Fenwick descent: last bin with prefix ≤ k
		if next := pos + step; next <= histBins && h.tree[next] <= k {
			pos = next
			k -= h.tree[next]
		}
	}
	return (float64(pos) + 0.5) / histBins
}

// tailProb is the upper tail probability of v among the values: the empirical one
// (mid-rank) up to the q-quantile, and beyond it an exponential tail through the
// quantiles 1−10(1−q) and q (a peaks-over-threshold fit). Past anomalies sit above the
// q-quantile and so do not mask a new one, and a value beyond everything seen still gets
// a probability that keeps falling the further out it is.
func (h *tailHist) tailProb(v, q float64) float64 {
	if h.cnt == 0 {
		return 1
	}
	qh := h.quantile(q)
	if v <= qh {
		b := bin(v)
		below := h.below(b)
		equal := h.below(b+1) - below
		above := h.cnt - below - equal
		return (float64(above) + 0.5*float64(equal) + 0.5) / float64(h.cnt+1)
	}
	ql := h.quantile(1 - 10*(1-q))
	scale := max(qh-ql, minTailScale) / math.Ln10 // one decade of probability per (qh − ql)
	// Far out the exponential underflows; the smallest positive float keeps it a probability.
	return max((1-q)*math.Exp(-(v-qh)/scale), math.SmallestNonzeroFloat64)
}

// minTailScale keeps the fitted tail finite when the averages barely vary (a flat
// series): averages of surprise live in [0, 1], so 0.001 is far below any real spread.
const minTailScale = 1e-3
