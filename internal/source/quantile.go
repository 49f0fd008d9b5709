package source

import (
	"math"
	"sort"
)

// Quantile estimates the q-quantile (0 ≤ q ≤ 1) of a classic histogram the way PromQL's
// histogram_quantile does: buckets are cumulative, the last one must be +Inf, the value is
// interpolated linearly inside the bucket that holds the rank, and a rank in the +Inf
// bucket returns the highest finite bound. The result is NaN when the histogram is empty
// or has no +Inf bucket.
func Quantile(q float64, buckets []Bucket) float64 {
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(1)
	}
	bs := coalesce(buckets)
	if len(bs) < 2 || !math.IsInf(bs[len(bs)-1].UpperBound, 1) {
		return math.NaN()
	}
	monotonic(bs)
	observations := bs[len(bs)-1].Count
	if observations == 0 {
		return math.NaN()
	}
	rank := q * observations
	b := sort.Search(len(bs)-1, func(i int) bool { return bs[i].Count >= rank })
	if b == len(bs)-1 {
		return bs[len(bs)-2].UpperBound
	}
	if b == 0 && bs[0].UpperBound <= 0 {
		return bs[0].UpperBound
	}
	start, end, count := 0.0, bs[b].UpperBound, bs[b].Count
	if b > 0 {
		start = bs[b-1].UpperBound
		count -= bs[b-1].Count
		rank -= bs[b-1].Count
	}
	if count == 0 {
		return start
	}
	return start + (end-start)*(rank/count)
}

// coalesce sorts buckets by bound and sums buckets of equal bound (series of several
// targets or pods arrive separately).
func coalesce(buckets []Bucket) []Bucket {
	bs := append([]Bucket(nil), buckets...)
	sort.Slice(bs, func(i, j int) bool { return bs[i].UpperBound < bs[j].UpperBound })
	out := bs[:0]
	for _, b := range bs {
		if n := len(out); n > 0 && out[n-1].UpperBound == b.UpperBound {
			out[n-1].Count += b.Count
			continue
		}
		out = append(out, b)
	}
	return out
}

// monotonic repairs counts that decrease with the bound (a scrape racing with updates),
// as PromQL does, by carrying the running maximum forward.
func monotonic(bs []Bucket) {
	top := math.Inf(-1)
	for i := range bs {
		if bs[i].Count < top {
			bs[i].Count = top
		} else {
			top = bs[i].Count
		}
	}
}
