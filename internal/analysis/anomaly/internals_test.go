package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMovingMean(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 3, 10, 160} {
		m := newMovingMean(n)
		r := rand.New(rand.NewPCG(uint64(n), 1))
		var seen []float64
		for i := range 5 * n {
			v := r.Float64() * 1e6
			if i%7 == 0 {
				v = 1e-9 // mixed magnitudes: rounding must not drift
			}
			m.add(v)
			seen = append(seen, v)
			if got, want := m.full(), i+1 >= n; got != want {
				t.Fatalf("n %d, %d values: full() = %v, want %v", n, i+1, got, want)
			}
			if !m.full() {
				continue
			}
			want := 0.0
			for _, x := range seen[len(seen)-n:] {
				want += x
			}
			want /= float64(n)
			if math.Abs(m.mean()-want) > 1e-9*want {
				t.Fatalf("n %d, %d values: mean() = %v, want %v", n, i+1, m.mean(), want)
			}
		}
	}
}

// TestExtremes feeds 0, 1, 2, … so that the range's low end says how far back it reaches:
// at least the last n points, at most two blocks more, and the oldest block goes whole.
func TestExtremes(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 10, 63, 64, 100, 640, 1000, 4032} {
		e := newExtremes(n)
		if _, _, ok := e.bounds(); ok {
			t.Fatalf("n %d: bounds ok before any value", n)
		}
		blockLen := (n + extremeBlocks - 1) / extremeBlocks
		prevLo := 0.0
		for i := range 3*n + 5 {
			e.add(float64(i))
			lo, hi, ok := e.bounds()
			if !ok || hi != float64(i) {
				t.Fatalf("n %d, value %d: bounds (%v, %v, %v), want the newest as high", n, i, lo, hi, ok)
			}
			covered := i - int(lo) + 1
			if covered < min(n, i+1) || covered > n+2*blockLen-2 {
				t.Fatalf("n %d, value %d: range covers the last %d values, want %d to %d", n, i, covered, min(n, i+1), n+2*blockLen-2)
			}
			if lo != prevLo && lo != prevLo+float64(blockLen) {
				t.Fatalf("n %d, value %d: low moved from %v to %v, want whole blocks of %d dropped", n, i, prevLo, lo, blockLen)
			}
			prevLo = lo
		}
	}
}

// TestExtremesKeepsOutliers wants one wild value kept for as long as it is in range.
func TestExtremesKeepsOutliers(t *testing.T) {
	t.Parallel()
	const n = 640
	e := newExtremes(n)
	e.add(-50)
	for i := range n - 1 {
		e.add(float64(i % 5))
		if lo, _, _ := e.bounds(); lo != -50 {
			t.Fatalf("after %d more values the low is %v, want -50 kept", i+1, lo)
		}
	}
	for range 2 * n {
		e.add(3)
	}
	if lo, hi, _ := e.bounds(); lo != 3 || hi != 3 {
		t.Errorf("after %d constant values bounds are (%v, %v), want (3, 3)", 2*n, lo, hi)
	}
}

func TestTailHist(t *testing.T) {
	t.Parallel()
	const q = 0.99
	h := newTailHist(1000)
	if p := h.tailProb(0.5, q); p != 1 {
		t.Errorf("empty: tailProb = %v, want 1", p)
	}
	for i := range 1000 {
		h.add((float64(i) + 0.5) / 1000) // uniform on [0, 1]
	}
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %v, want %v ± %v", name, got, want, tol)
		}
	}
	const rankTol = 1.0/1000 + 1.0/histBins // one value, one bin
	near("quantile(0.5)", h.quantile(0.5), 0.5, rankTol)
	near("quantile(0.9)", h.quantile(0.9), 0.9, rankTol)
	near("quantile(0.99)", h.quantile(0.99), 0.99, rankTol)
	near("tailProb(median)", h.tailProb(0.5, q), 0.5, 0.002)
	near("tailProb(0.25)", h.tailProb(0.25, q), 0.75, 0.002)
	near("tailProb(0)", h.tailProb(0, q), 1, 0.002)

	// Beyond the q-quantile: one decade of probability per (q-quantile − (1−10(1−q))-quantile).
	qh, ql := h.quantile(q), h.quantile(1-10*(1-q))
	near("tailProb(q-quantile)", h.tailProb(qh, q), 1-q, 0.002)
	near("tailProb one decade out", h.tailProb(qh+(qh-ql), q), (1-q)/10, 1e-9)
	prev := 2.0
	for v := 0.0; v <= 1; v += 1.0 / 512 {
		p := h.tailProb(v, q)
		if !(p > 0 && p <= 1) || p > prev {
			t.Fatalf("tailProb(%v) = %v after %v: want in (0, 1] and non-increasing", v, p, prev)
		}
		prev = p
	}

	// The ring forgets: after 1000 values at 0.9 the old ones are gone.
	for range 1000 {
		h.add(0.9)
	}
	near("quantile(0.01) after eviction", h.quantile(0.01), 0.9, 1.0/histBins)
	near("tailProb(0.9) after eviction", h.tailProb(0.9, q), 0.5, 0.001)
}

// TestTailHistSteady: values that never vary still give a finite, falling tail, however
// far out (minTailScale), never a probability of 0.
func TestTailHistSteady(t *testing.T) {
	t.Parallel()
	h := newTailHist(100)
	for range 100 {
		h.add(0.001)
	}
	prev := 1.0
	for _, v := range []float64{0.002, 0.003, 0.01, 0.1, 0.5, 1} {
		p := h.tailProb(v, 0.99)
		if !(p > 0 && p <= prev) {
			t.Errorf("tailProb(%v) = %v, want in (0, %v]", v, p, prev)
		}
		prev = p
	}
	if p, q := h.tailProb(0.002, 0.99), h.tailProb(0.003, 0.99); !(q < p/10) {
		t.Errorf("tailProb(0.003) = %v, want well under tailProb(0.002) = %v", q, p)
	}
}

func TestCountsHalveAtCap(t *testing.T) {
	t.Parallel()
	c := newCounts(2, 4, 10, 0.5)
	for range 10 {
		c.add(1, 2)
	}
	if c.total[1] != 10 || c.n[1*4+2] != 10 {
		t.Fatalf("at the cap: total %v, count %v; want 10, 10", c.total[1], c.n[1*4+2])
	}
	if got, want := c.p(1, 2), (10+0.5)/(10+0.5*4); got != want {
		t.Errorf("p = %v, want %v", got, want)
	}
	c.add(1, 3) // 11 > 10: halve
	if c.total[1] != 5.5 || c.n[1*4+2] != 5 || c.n[1*4+3] != 0.5 {
		t.Errorf("past the cap: total %v, counts %v; want 5.5 and [0 0 5 0.5]", c.total[1], c.n[4:8])
	}
	if c.total[0] != 0 || c.p(0, 0) != 0.25 {
		t.Errorf("the other context changed: total %v, p %v; want 0, 0.25", c.total[0], c.p(0, 0))
	}
	for range 1000 {
		c.add(1, 0)
	}
	if c.total[1] > 10 || c.p(1, 0) < 0.75 {
		t.Errorf("after 1000 more: total %v, p(new level) %v; want at most the cap and the new level learned", c.total[1], c.p(1, 0))
	}
	if lo, hi := c.band(1); lo != 0 || hi != 0 {
		t.Errorf("band = [%d, %d], want [0, 0]", lo, hi)
	}
	if lo, hi := c.band(0); lo != 0 || hi != 3 {
		t.Errorf("empty band = [%d, %d], want all levels [0, 3]", lo, hi)
	}
}

// TestPredictor: a learned sequence is unsurprising, a break of it is surprising, and the
// clock explains a level the sequence does not.
func TestPredictor(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	m := newPredictor(cfg)
	for i := range 2000 {
		m.observe((i%4)*3, -1) // 0 3 6 9 0 3 …
	}
	if s := m.observe(0, -1); s > 0.02 {
		t.Errorf("learned next level: surprise %v, want under 0.02", s)
	}
	if s := m.observe(15, -1); s < 0.9 {
		t.Errorf("never-seen level: surprise %v, want at least 0.9", s)
	}
	// With the clock: level 12 at slot 5 every day from day 20, between ordinary levels.
	m = newPredictor(cfg)
	for day := range 40 {
		for slot := range cfg.DaySlots {
			lvl := 2
			if slot == 5 && day >= 20 {
				lvl = 12
			}
			s := m.observe(lvl, slot)
			if slot == 5 && day == 20 && s < 0.5 {
				t.Errorf("first daily event: surprise %v, want at least 0.5", s)
			}
			if slot == 5 && day == 39 && s > 0.15 {
				t.Errorf("daily event on its 20th day: surprise %v, want under 0.15", s)
			}
		}
	}
	if lo, hi := m.expected(5); lo != 2 || hi != 12 {
		t.Errorf("expected at slot 5: [%d, %d], want [2, 12]", lo, hi)
	}
}
