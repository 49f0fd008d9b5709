package nab

import (
	"math"
	"time"

	"github.com/google/go-cmp/cmp"
)

// base is the first timestamp of every synthetic series; rows are 5 minutes apart, as in
// NAB's realAWSCloudwatch files.
var base = time.Date(2014, 2, 14, 0, 0, 0, 0, time.UTC)

// at is the timestamp of row i of a synthetic series.
func at(i int) time.Time { return base.Add(time.Duration(i) * 5 * time.Minute) }

// win is the window from row first to row last, both included.
func win(first, last int) Window { return Window{Start: at(first), End: at(last)} }

// synthetic is a series of n rows scoring 0 except at the rows of scores.
func synthetic(name string, n int, scores map[int]float64, ws ...Window) Output {
	o := Output{Name: name, Windows: ws, Times: make([]time.Time, n), Scores: make([]float64, n)}
	for i := range n {
		o.Times[i] = at(i)
	}
	for i, s := range scores {
		o.Scores[i] = s
	}
	return o
}

// hits marks rows as detections (score 1).
func hits(rows ...int) map[int]float64 {
	m := make(map[int]float64, len(rows))
	for _, r := range rows {
		m[r] = 1
	}
	return m
}

// approx compares floats to 1e-6: the expected values are hand-computed to that precision.
var approx = cmp.Comparer(func(a, b float64) bool { return a == b || math.Abs(a-b) <= 1e-6 })
