package nab

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Profile weighs NAB's outcomes; the three below are config/profiles.json.
type Profile struct {
	Name string
	// TP is the reward of a window detected at its very start (A_tp), FP the cost of a
	// detection far from any window (A_fp), FN the cost of a window never detected (A_fn).
	TP, FP, FN float64
}

// NAB's application profiles (config/profiles.json; tnWeight is never used by the scorer).
var (
	Standard = Profile{Name: "standard", TP: 1, FP: 0.11, FN: 1}
	LowFP    = Profile{Name: "reward_low_FP_rate", TP: 1, FP: 0.22, FN: 1}
	LowFN    = Profile{Name: "reward_low_FN_rate", TP: 1, FP: 0.11, FN: 2}
)

// Profiles returns the three profiles in NAB's order of presentation.
func Profiles() []Profile { return []Profile{Standard, LowFP, LowFN} }

// ProbationLength is the number of leading rows NAB does not score: 15% of the rows,
// rounded down, and at most 750 (nab/sweeper.py _getProbationaryLength:
// min(floor(0.15·n), 0.15·5000)). The detector sees them; the scorer ignores them.
func ProbationLength(rows int) int {
	return min(int(math.Floor(0.15*float64(rows))), 750)
}

// Output is a detector's anomaly scores for one series, row by row, with the series'
// scoring windows.
type Output struct {
	Name    string
	Times   []time.Time
	Scores  []float64 // in [0, 1]
	Windows []Window
}

// scaledSigmoid is NAB's reward curve (sweeper.py scaledSigmoid): 2·σ(−5x) − 1, with x the
// relative position in or past a window: −1 at a window's first row (0.987), 0 at its
// right edge, positive past it (negative reward); −1 beyond 3 window lengths.
func scaledSigmoid(x float64) float64 {
	if x > 3 {
		return -1
	}
	return 2/(1+math.Exp(5*x)) - 1
}

// noWindow marks a row outside every window.
const noWindow = -1

// row is NAB's AnomalyPoint for a scorable row: its anomaly score, the weight a detection
// there adds (its sweepScore) and the window it belongs to.
type row struct {
	score, weight float64
	window        int // index among the corpus' windows, or noWindow
	file          int
}

// sweepRows returns the scorable rows of one series (those after the probationary period)
// with their weights, numbering its windows from firstWindow, and how many windows have at
// least one scorable row. It follows sweeper.py calcSweepScore:
//   - inside a window, a row at relative position pos = −(right − i + 1)/width weighs
//     A_tp·scaledSigmoid(pos)/scaledSigmoid(−1): exactly A_tp at the window's first row,
//     falling to ~0 at its last;
//   - outside, a row with no window before it weighs −A_fp; after a window, A_fp times
//     scaledSigmoid(|right − i|/(width − 1)), right and width being the preceding window's:
//     a detection just after a window costs almost nothing, one far after it the full A_fp;
//   - rows of the probationary period are dropped, also inside a window that straddles it
//     (its positions still count from its true start); a window wholly inside the period
//     is neither rewarded nor counted as missed.
func sweepRows(o Output, p Profile, file, firstWindow int) ([]row, int, error) {
	if len(o.Times) != len(o.Scores) {
		return nil, 0, fmt.Errorf("%s: %d timestamps but %d scores", o.Name, len(o.Times), len(o.Scores))
	}
	index := func(t time.Time) (int, bool) {
		return slices.BinarySearchFunc(o.Times, t, func(a, b time.Time) int { return a.Compare(b) })
	}
	maxTP := scaledSigmoid(-1)
	prob := ProbationLength(len(o.Times))
	rows := make([]row, 0, len(o.Times)-prob)
	seen := map[int]bool{}
	next, cur := 0, -1 // next window to enter; the one we are in
	var left, right, prevRight int
	var width, prevWidth float64
	hasPrev := false
	for i, t := range o.Times {
		if s := o.Scores[i]; !(s >= 0 && s <= 1) {
			return nil, 0, fmt.Errorf("%s: row %d: anomaly score %v is not in [0, 1]", o.Name, i+1, s)
		}
		if cur < 0 && next < len(o.Windows) && t.Equal(o.Windows[next].Start) {
			var okL, okR bool
			left, okL = index(o.Windows[next].Start)
			right, okR = index(o.Windows[next].End)
			if !okL || !okR {
				return nil, 0, fmt.Errorf("%s: window %d is not on the series' timestamps", o.Name, next+1)
			}
			cur, next, width = next, next+1, float64(right-left+1)
		}
		r := row{score: o.Scores[i], window: noWindow, file: file}
		switch {
		case cur >= 0:
			r.window = firstWindow + cur
			r.weight = scaledSigmoid(-float64(right-i+1)/width) * p.TP / maxTP
		case !hasPrev:
			r.weight = -p.FP
		default:
			r.weight = scaledSigmoid(math.Abs(float64(prevRight-i))/(prevWidth-1)) * p.FP
		}
		if i >= prob {
			rows = append(rows, r)
			if r.window != noWindow {
				seen[r.window] = true
			}
		}
		if cur >= 0 && t.Equal(o.Windows[cur].End) {
			prevRight, prevWidth, hasPrev, cur = i, width, true, -1
		}
	}
	if next < len(o.Windows) {
		return nil, 0, fmt.Errorf("%s: window %d is not on the series' timestamps", o.Name, next+1)
	}
	return rows, len(seen), nil
}

// Result is the score of a detector on a corpus at one threshold.
type Result struct {
	Profile   Profile
	Threshold float64 // a row is a detection when its score is at least this
	// Score is NAB's raw score S; Null is a detector that never fires (−A_fn per window)
	// and Perfect one that detects every window at its first row (A_tp per window).
	Score, Null, Perfect float64
	// Normalized is 100·(S − S_null)/(S_perfect − S_null) (runner.py normalize).
	Normalized float64
	Files      []FileResult
}

// FileResult is one series' part of a Result.
type FileResult struct {
	Name  string
	Score float64
	// Windows is the number of scored windows, Detected those with a detection.
	Windows, Detected int
	// FalsePositives counts the detections outside every window.
	FalsePositives int
}

// ScoreAt scores each series at threshold, as scorer.py scoreDataSet does: the rows whose
// score is at least the threshold are detections; a window earns the weight of its
// earliest detection (the largest), or −A_fn without one; each detection outside windows
// adds its (negative) weight.
func ScoreAt(outputs []Output, p Profile, threshold float64) (Result, error) {
	res := Result{Profile: p, Threshold: threshold}
	for fi, o := range outputs {
		rows, scored, err := sweepRows(o, p, fi, 0)
		if err != nil {
			return Result{}, err
		}
		best := map[int]float64{}
		fr := FileResult{Name: o.Name, Windows: scored}
		for _, r := range rows {
			if r.score < threshold {
				continue
			}
			if r.window == noWindow {
				fr.Score += r.weight
				fr.FalsePositives++
				continue
			}
			if w, ok := best[r.window]; !ok || r.weight > w {
				best[r.window] = r.weight
			}
		}
		fr.Detected = len(best)
		for _, w := range best {
			fr.Score += w
		}
		fr.Score -= float64(scored-fr.Detected) * p.FN
		res.Score += fr.Score
		res.Null -= float64(scored) * p.FN
		res.Perfect += float64(len(o.Windows)) * p.TP
		res.Files = append(res.Files, fr)
	}
	return res.normalize(), nil
}

func (r Result) normalize() Result {
	if r.Perfect > r.Null {
		r.Normalized = 100 * (r.Score - r.Null) / (r.Perfect - r.Null)
	}
	return r
}

// Sweep finds the one threshold that maximises the corpus' total score and scores every
// series at it (optimizer.py optimizeThreshold, then scorer.py). As in
// sweeper.py calcScoreByThreshold, the candidates are 1.1 (no detection) and every
// distinct score, from the highest down; a tie keeps the highest threshold.
func Sweep(outputs []Output, p Profile) (Result, error) {
	if len(outputs) == 0 {
		return Result{}, errors.New("no series to score")
	}
	var all []row
	windows := 0
	for fi, o := range outputs {
		rows, _, err := sweepRows(o, p, fi, windows)
		if err != nil {
			return Result{}, err
		}
		all = append(all, rows...)
		windows += len(o.Windows)
	}
	// Only windows with a scorable row count (_prepareScoreByThresholdParts).
	part := make([]float64, windows)
	inPlay := make([]bool, windows)
	total := 0.0
	for _, r := range all {
		if r.window != noWindow && !inPlay[r.window] {
			inPlay[r.window], part[r.window] = true, -p.FN
			total -= p.FN
		}
	}
	slices.SortStableFunc(all, func(a, b row) int { return cmp.Compare(b.score, a.score) })
	bestT, bestS := 1.1, total
	for i := 0; i < len(all); {
		t := all[i].score
		for ; i < len(all) && all[i].score == t; i++ {
			r := all[i]
			if r.window == noWindow {
				total += r.weight
			} else if r.weight > part[r.window] {
				total += r.weight - part[r.window]
				part[r.window] = r.weight
			}
		}
		if total > bestS {
			bestT, bestS = t, total
		}
	}
	return ScoreAt(outputs, p, bestT)
}
