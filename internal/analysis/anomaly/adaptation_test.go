package anomaly

import (
	"math"
	"slices"
	"testing"
)

// TestLevelShift shifts a quiet series up by 30% of its range from a daily peak on day 8
// and wants one alarm, then the new level learned as normal.
func TestLevelShift(t *testing.T) {
	t.Parallel()
	const n = 14 * dayPoints
	onset := 8*dayPoints + peakOffset
	cfg := DefaultConfig()
	vs := dailySeries(1, n, sigma)
	r := scoreAll(vs[:onset])[onset-1].Range // the range the shift is measured against
	shift := 0.3 * (r.High - r.Low)
	for i := onset; i < n; i++ {
		vs[i] += shift
	}
	scores := scoreAll(vs)

	if a := alarms(scores, cfg.WarmupPoints, onset); len(a) > 0 {
		t.Errorf("quiet part alarmed at %v, want none", a)
	}
	if s := scores[onset]; s.Value < DefaultThreshold || s.Reason != ReasonExtreme || s.Resting {
		t.Errorf("onset: Value %.3f, Reason %s, Resting %v; want an alarm for a new extreme", s.Value, s.Reason, s.Resting)
	}
	if a := alarms(scores, onset+1, onset+dayPoints); len(a) > 0 {
		t.Errorf("alarms after the first at %v, want one alarm for the shift", a)
	}
	for i := onset + 1; i <= onset+cfg.RestPoints; i++ {
		if s := scores[i]; s.Resting && (s.Value != cfg.Threshold*restFactor || s.Evidence < cfg.Threshold) {
			t.Errorf("point %d resting at %v with evidence %v, want %v and the evidence at or over the threshold", i, s.Value, s.Evidence, cfg.Threshold*restFactor)
		}
	}
	// Learned: the last day is quiet. Its scores stay a little above the pre-shift ones
	// (measured medians 0.10 and 0.03: the likelihood history still holds the old days),
	// far under the threshold.
	lastDay, dayBefore := median(scores, n-dayPoints, n), median(scores, onset-dayPoints, onset)
	t.Logf("median score: day before the shift %.3f, last day %.3f; max last day %.3f", dayBefore, lastDay, maxValue(scores, n-dayPoints, n))
	if a := alarms(scores, n-dayPoints, n); len(a) > 0 {
		t.Errorf("last day alarmed at %v, want the new level learned", a)
	}
	if lastDay > 0.15 {
		t.Errorf("last day's median score %.3f, want under 0.15 (the new level learned)", lastDay)
	}
	if s := scores[n-1]; s.Range.Low > r.Low+shift-1 || s.Range.High < r.High+shift-1 {
		t.Errorf("final Range %+v, want it to cover the shifted range [%.1f, %.1f]", s.Range, r.Low+shift, r.High+shift)
	}
}

// TestRestAfterAlarm runs away from the range (every point a new extreme) and wants one
// alarm per RestPoints: in between, the score is held under the threshold and flagged.
func TestRestAfterAlarm(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	const onset = 2000
	vs := dailySeries(1, onset+2*cfg.RestPoints+10, sigma)
	r := scoreAll(vs[:onset])[onset-1].Range
	w := r.High - r.Low
	for i := onset; i < len(vs); i++ {
		// Each step is 10% of the range so far, twice RangeTolerance: always a new extreme.
		vs[i] = r.Low + w*math.Pow(1.1, float64(i-onset+1))
	}
	scores := scoreAll(vs)
	want := []int{onset, onset + cfg.RestPoints + 1, onset + 2*cfg.RestPoints + 2}
	if got := alarms(scores, cfg.WarmupPoints, len(scores)); !slices.Equal(got, want) {
		t.Fatalf("alarms at %v, want %v (one per rest period)", got, want)
	}
	for i := onset; i < len(scores); i++ {
		s := scores[i]
		if s.Reason != ReasonExtreme {
			t.Errorf("point %d: Reason %s, want extreme", i, s.Reason)
		}
		alarm := (i-onset)%(cfg.RestPoints+1) == 0
		if alarm != !s.Resting {
			t.Errorf("point %d: Resting %v, want %v", i, s.Resting, !alarm)
		}
		if !alarm && s.Value != cfg.Threshold*restFactor {
			t.Errorf("point %d: resting Value %v, want %v (just under the threshold)", i, s.Value, cfg.Threshold*restFactor)
		}
	}
}

// TestDailyBatch runs a batch job at 03:00 every day for a week: the first run is new and
// may alarm, but the clock model learns it, and from the fifth day on it must not alarm.
func TestDailyBatch(t *testing.T) {
	t.Parallel()
	const (
		firstDay, days = 3, 10
		batchOffset    = 36 // 03:00
		batchLen       = 6  // 30 minutes
		window         = batchLen + 10
	)
	vs := dailySeries(1, days*dayPoints, sigma)
	for d := firstDay; d < days; d++ {
		for j := range batchLen {
			i := d*dayPoints + batchOffset + j
			vs[i] += 160 - base(i) // the batch lifts the series to about 160, beyond its range
		}
	}
	scores := scoreAll(vs)
	cfg := DefaultConfig()
	for d := firstDay; d < days; d++ {
		from := d*dayPoints + batchOffset
		t.Logf("batch day %d: max score %.3f", d-firstDay+1, maxValue(scores, from, from+window))
	}
	first := firstDay*dayPoints + batchOffset
	if s := scores[first]; s.Value < DefaultThreshold || s.Reason != ReasonExtreme {
		t.Errorf("first batch: Value %.3f, Reason %s; want an alarm for a new extreme", s.Value, s.Reason)
	}
	for d := firstDay + 4; d < days; d++ {
		from := d*dayPoints + batchOffset
		if a := alarms(scores, from, from+window); len(a) > 0 {
			t.Errorf("batch day %d alarmed at %v, want it learned", d-firstDay+1, a)
		}
		for i := from; i < from+batchLen; i++ {
			if e := scores[i].Expected; vs[i] < e.Low || vs[i] > e.High {
				t.Errorf("batch day %d, point %d: %.1f outside the Expected band %+v", d-firstDay+1, i, vs[i], e)
			}
		}
	}
	if a := alarms(scores, cfg.WarmupPoints, first); len(a) > 0 {
		t.Errorf("quiet days alarmed at %v, want none", a)
	}
}
