package anomaly

import "math"

// extremeBlocks is the number of blocks the range history is cut into.
const extremeBlocks = 64

// extremes keeps the minimum and maximum over roughly the last n points in fixed memory:
// the history is cut into at most extremeBlocks blocks, each remembered by its own
// minimum and maximum, and the oldest block is dropped whole. The range therefore covers
// at least the last n points and at most n + 2⌈n/64⌉ − 2.
type extremes struct {
	blockLen     int
	maxBlocks    int                    // the completed blocks that hold n points
	lo, hi       [extremeBlocks]float64 // completed blocks, a ring
	blocks, head int
	curLo, curHi float64
	curN         int
	// doneLo and doneHi are the range of the completed blocks, recomputed when one completes.
	doneLo, doneHi float64
}

func newExtremes(n int) extremes {
	blockLen := max(1, (n+extremeBlocks-1)/extremeBlocks)
	return extremes{blockLen: blockLen, maxBlocks: (n + blockLen - 1) / blockLen, curLo: math.Inf(1), curHi: math.Inf(-1),
		doneLo: math.Inf(1), doneHi: math.Inf(-1)}
}

func (e *extremes) add(v float64) {
	e.curLo, e.curHi = min(e.curLo, v), max(e.curHi, v)
	e.curN++
	if e.curN < e.blockLen {
		return
	}
	i := (e.head + e.blocks) % extremeBlocks
	if e.blocks == e.maxBlocks {
		e.head = (e.head + 1) % extremeBlocks
	} else {
		e.blocks++
	}
	e.lo[i], e.hi[i] = e.curLo, e.curHi
	e.curLo, e.curHi, e.curN = math.Inf(1), math.Inf(-1), 0
	e.doneLo, e.doneHi = math.Inf(1), math.Inf(-1)
	for k := range e.blocks {
		j := (e.head + k) % extremeBlocks
		e.doneLo, e.doneHi = min(e.doneLo, e.lo[j]), max(e.doneHi, e.hi[j])
	}
}

// bounds returns the range, or ok false before the first value.
func (e *extremes) bounds() (lo, hi float64, ok bool) {
	lo, hi = min(e.curLo, e.doneLo), max(e.curHi, e.doneHi)
	return lo, hi, lo <= hi
}
