package simulate

import "math"

// dayShape is the relative rate of user traffic at each hour of the day
// (linearly interpolated between hours).
func dayShape() [24]float64 {
	return [24]float64{
		0.30, 0.22, 0.18, 0.16, 0.16, 0.20, 0.32, 0.55, 0.80, 0.95, 1.00, 1.02,
		1.00, 0.98, 1.00, 1.02, 0.98, 0.92, 0.85, 0.80, 0.75, 0.65, 0.52, 0.40,
	}
}

// Batch windows, seconds after midnight.
const (
	backupFrom, backupTo = 2 * 3600, 2*3600 + 45*60
	reportFrom, reportTo = 3 * 3600, 3*3600 + 30*60
)

// curve is a rate curve over the simulated span, piecewise constant over
// buckets of about a minute.
type curve struct {
	// cum[b] is the share of the curve's mass before bucket b; cum[0] is 0
	// and cum[len-1] is 1. Nil when the curve is zero over the span.
	cum []float64
	// mass is the integral of the curve over the span, in seconds: the
	// expected number of events at rate 1 (for the day curve, whose daily
	// mean is 1) or the seconds inside the batch windows.
	mass float64
	// width is the bucket width in seconds.
	width float64
}

// newCurve builds curve k over a span of span seconds starting tod seconds
// after midnight.
func newCurve(k curveKind, tod, span float64) *curve {
	buckets := int(math.Ceil(span / 60))
	c := &curve{width: span / float64(buckets)}
	shape := dayShape()
	mean := 0.0
	for _, v := range shape {
		mean += v / 24
	}
	w := make([]float64, buckets)
	for b := range w {
		t := math.Mod(tod+(float64(b)+0.5)*c.width, 86400)
		switch k {
		case curveFlat:
			w[b] = 1
		case curveDay:
			hr := t / 3600
			i := int(hr) % 24
			f := hr - math.Floor(hr)
			w[b] = (shape[i]*(1-f) + shape[(i+1)%24]*f) / mean
		case curveBackup:
			if t >= backupFrom && t < backupTo {
				w[b] = 1
			}
		case curveReport:
			if t >= reportFrom && t < reportTo {
				w[b] = 1
			}
		}
		c.mass += w[b] * c.width
	}
	if c.mass == 0 {
		return c
	}
	c.cum = make([]float64, buckets+1)
	acc := 0.0
	for b, v := range w {
		acc += v * c.width
		c.cum[b+1] = acc / c.mass
	}
	c.cum[buckets] = 1
	return c
}

// orderStats draws the sorted times of n events spread over a curve, one
// at a time and in order, without storing them: the next of k remaining
// uniform order statistics above u is 1 - (1-u)·V^(1/k), and the uniform
// is mapped through the inverse of the curve's cumulative mass.
type orderStats struct {
	rest   float64 // 1 - u
	left   int     // events still to draw
	bucket int     // the bucket of the last draw; draws only move forward
}

// next returns the next event's time in seconds from the span's start.
func (o *orderStats) next(c *curve, v float64) float64 {
	o.rest *= math.Exp(math.Log(v) / float64(o.left))
	o.left--
	u := 1 - o.rest
	last := len(c.cum) - 2
	for o.bucket < last && u >= c.cum[o.bucket+1] {
		o.bucket++
	}
	lo, hi := c.cum[o.bucket], c.cum[o.bucket+1]
	f := 0.0
	if hi > lo {
		f = min(max((u-lo)/(hi-lo), 0), 1)
	}
	return (float64(o.bucket) + f) * c.width
}
