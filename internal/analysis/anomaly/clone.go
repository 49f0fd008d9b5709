package anomaly

import "slices"

// Clone returns an independent copy of the detector: what a monitor uses to score a
// point without learning it (a live value read between two points of the series' own
// pace), at the cost of one copy of the detector's memory.
func (d *Detector) Clone() *Detector {
	c := *d
	c.pred = d.pred.clone()
	c.short = d.short.clone()
	c.long = d.long.clone()
	sl, ll := *d.shortLik, *d.longLik
	sl.ring, ll.ring = slices.Clone(d.shortLik.ring), slices.Clone(d.longLik.ring)
	c.shortLik, c.longLik = &sl, &ll
	return &c
}

func (m movingMean) clone() movingMean { m.ring = slices.Clone(m.ring); return m }

func (c counts) clone() counts {
	c.n, c.total = slices.Clone(c.n), slices.Clone(c.total)
	return c
}

func (m predictor) clone() predictor {
	m.order1, m.order2, m.daily = m.order1.clone(), m.order2.clone(), m.daily.clone()
	return m
}
