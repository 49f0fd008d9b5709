package anomaly

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkObserve measures the cost of one point on a noisy daily series, after the
// detector's memory is full (the steady state of a monitored series).
func BenchmarkObserve(b *testing.B) {
	d := New(DefaultConfig())
	r := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 1 << 14
	ts := make([]time.Time, n)
	vs := make([]float64, n)
	for i := range n {
		ts[i] = t0.Add(time.Duration(i) * 5 * time.Minute)
		vs[i] = 100 + 20*math.Sin(2*math.Pi*float64(i)/288) + r.NormFloat64()*5
	}
	for i := range 6000 { // fill every window
		d.Observe(ts[i%n], vs[i%n])
	}
	base := 6000
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		j := base + i
		d.Observe(t0.Add(time.Duration(j)*5*time.Minute), vs[j%n])
	}
}

// BenchmarkNew reports the memory of one series' detector (B/op of New).
func BenchmarkNew(b *testing.B) {
	cfg := DefaultConfig()
	b.ReportAllocs()
	for b.Loop() {
		runtime.KeepAlive(New(cfg))
	}
}
