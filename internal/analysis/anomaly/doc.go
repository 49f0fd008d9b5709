// Package anomaly is deploywatch's streaming anomaly detector: it scores each new point of
// a metric series in [0, 1] from the series' own history, cheaply (a few hundred
// nanoseconds per point) and in fixed memory (under 100 KB per series). Like the rest of
// internal/analysis it is pure: no I/O and no clock; times come with the points.
//
// Use one Detector per series: New(DefaultConfig()), then Observe(t, v) for every point
// in time order, pre-warmed with the history before the deploy. A score of at least
// DefaultThreshold is an anomaly; Score says why (Reason), what was expected (Expected,
// Range) and how unusual it is (TailProbability, over Window points of History).
//
// How a point is scored:
//
//  1. The range of the last RangePoints values is kept. A value beyond it by more than
//     RangeTolerance of its width scores 1 at once (a new extreme: the rule of NAB's HTM
//     detector, because people label new extremes as anomalies).
//  2. The range is cut into Bins levels, and two predictors say how expected the point's
//     level was: the sequence of the previous two levels (an order-2 context model
//     backing off to order 1) and the time of day (DaySlots slots, the neighbours
//     included). The better explanation counts: a daily batch at 03:00 is expected by the
//     clock, a pattern by the sequence. The point's surprise is −ln p, scaled to [0, 1].
//     Counts are halved past CountCap, so the models keep learning and stay bounded.
//  3. Surprise is averaged over ShortWindow points (a burst of unusual values) and LongWindow points
//     (a sustained change of behaviour). Each average is compared with its own last
//     LikelihoodPoints values: the empirical tail up to TailQuantile, an exponential tail
//     fitted beyond it. This is the idea of HTM's "anomaly likelihood" (judge the recent
//     surprise against its long-term distribution), with a distribution-free tail so that
//     a noisy series and a quiet one are both judged against their own normal.
//  4. The score is −log10 of the smaller tail probability over ScaleDecades, capped at 1.
//  5. After an alarm the detector rests for RestPoints: the score stays just under the
//     threshold, so one incident raises one alarm. A level shift is alarmed once; the
//     models then learn the new level as normal.
//
// NaN and ±Inf values and points earlier than the previous one are ignored (Reason says
// so); equal timestamps are separate points; a gap longer than MaxGap restarts the
// sequence context.
//
// The design, the score on the Numenta Anomaly Benchmark's real AWS CloudWatch series
// (https://github.com/numenta/NAB) and how each constant was chosen are in
// docs/decision-rules.md, "Anomaly detector".
package anomaly
