package anomaly

import (
	"math"
	"testing"
	"time"
)

// A clone scores as the original would, and what it learns leaves the original alone.
func TestCloneIsIndependent(t *testing.T) {
	t.Parallel()
	d := New(DefaultConfig())
	t0 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	val := func(i int) float64 { return 50 + 10*math.Sin(2*math.Pi*float64(i)/288) + float64(i%7) }
	for i := range 2000 {
		d.Observe(at(i), val(i))
	}
	c := d.Clone()
	for i := 2000; i < 2100; i++ { // the clone sees a burst the original never sees
		c.Observe(at(i), 500)
	}
	twin := New(DefaultConfig())
	for i := range 2000 {
		twin.Observe(at(i), val(i))
	}
	for i := 2000; i < 2300; i++ {
		if got, want := d.Observe(at(i), val(i)), twin.Observe(at(i), val(i)); got != want {
			t.Fatalf("point %d: the original scores %+v after its clone learnt, a twin %+v", i, got, want)
		}
	}
}
