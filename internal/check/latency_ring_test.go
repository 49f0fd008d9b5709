package check

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/deploywatch/deploywatch/internal/analysis"
	"github.com/deploywatch/deploywatch/internal/source"
)

// TestLatencyShiftHistoryBounded: six hours of blocks keep only the per-block p99s the
// rank test reads (it used to keep one per block for the whole run), and the shift
// detector still works on the latest of them.
func TestLatencyShiftHistoryBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := source.Traffic{Requests: 10_000, Buckets: histogram(10_000, 0.04)}
		st := &scriptedTraffic{baseline: &base}
		cfg := trafficConfig("p99 latency", st)
		cfg.Baselines = history{st, []float64{0.05, 0.048, 0.05, 0.049, 0.05, 0.05, 0.047, 0.05, 0.05, 0.049}}
		c := NewLatency(cfg, analysis.LatencyRule{Factor: 2})
		if err := c.Prepare(t.Context()); err != nil {
			t.Fatal(err)
		}
		// 6 h of healthy 10 s blocks, then a shift straddling the limit (see
		// TestLatencyShiftDetector).
		const healthy = 6 * 360
		for i := range healthy + 12 {
			lat := 0.05
			if i >= healthy {
				lat = map[bool]float64{true: 0.5, false: 0.09}[i%2 == 0]
			}
			st.add(300, 0, lat)
			m := c.Run(t.Context())
			if i == healthy+11 && (!m.Breach || !strings.Contains(m.Message, "Mann-Whitney")) {
				t.Errorf("the shift after %d healthy blocks is not caught: %q", healthy, m.Message)
			}
			time.Sleep(10 * time.Second)
		}
		if len(c.after) != analysis.MinShiftPoints || cap(c.after) > 2*analysis.MinShiftPoints {
			t.Errorf("after %d blocks the check keeps %d p99s (capacity %d), want the last %d", healthy+12, len(c.after), cap(c.after), analysis.MinShiftPoints)
		}
	})
}
