package flows

import (
	"math"
	"math/rand/v2"
)

// The Go k-means modules worth considering are not available from the
// module proxy here (muesli/kmeans, bugra/kmeans, mpraski/clusters are
// refused), and none of them does weighted points with seeded restarts, so
// this is a small k-means++ for 2-D weighted points.

type point struct{ x, y, w float64 }

// kmeans clusters weighted points into k clusters: k-means++ seeding,
// Lloyd iterations until assignments settle (at most maxIter), the best of
// restarts runs by weighted inertia. Deterministic for a seed.
func kmeans(pts []point, k, restarts int, seed uint64) (centers [][2]float64, inertia float64) {
	rng := rand.New(rand.NewPCG(seed, 0x6b6d65616e73))
	inertia = math.Inf(1)
	assign := make([]int, len(pts))
	for range max(restarts, 1) {
		c := seedPlusPlus(pts, k, rng)
		in := lloyd(pts, c, assign, 50)
		if in < inertia {
			inertia, centers = in, c
		}
	}
	return centers, inertia
}

func seedPlusPlus(pts []point, k int, rng *rand.Rand) [][2]float64 {
	var total float64
	for _, p := range pts {
		total += p.w
	}
	pick := func(weights func(int) float64, sum float64) int {
		u := rng.Float64() * sum
		for i := range pts {
			u -= weights(i)
			if u <= 0 {
				return i
			}
		}
		return len(pts) - 1
	}
	first := pick(func(i int) float64 { return pts[i].w }, total)
	centers := [][2]float64{{pts[first].x, pts[first].y}}
	d2 := make([]float64, len(pts))
	for i, p := range pts {
		d2[i] = dist2(p, centers[0])
	}
	for len(centers) < k {
		var sum float64
		for i, p := range pts {
			sum += p.w * d2[i]
		}
		if sum == 0 {
			break // fewer distinct points than k
		}
		i := pick(func(i int) float64 { return pts[i].w * d2[i] }, sum)
		c := [2]float64{pts[i].x, pts[i].y}
		centers = append(centers, c)
		for j, p := range pts {
			d2[j] = min(d2[j], dist2(p, c))
		}
	}
	return centers
}

func dist2(p point, c [2]float64) float64 {
	dx, dy := p.x-c[0], p.y-c[1]
	return dx*dx + dy*dy
}

// nearest returns the index of the center closest to (x, y).
func nearest(centers [][2]float64, x, y float64) int {
	best, bd := 0, math.Inf(1)
	for i, c := range centers {
		dx, dy := x-c[0], y-c[1]
		if d := dx*dx + dy*dy; d < bd {
			best, bd = i, d
		}
	}
	return best
}

// lloyd refines centers in place and returns the weighted inertia.
//
// A point whose distance to its current center is below half the distance
// from that center to the nearest other one cannot be closer to any other
// center (triangle inequality, strictly), so its nearest-center search is
// skipped: near convergence that is most points, and the assignments are
// exactly those of the full search.
func lloyd(pts []point, centers [][2]float64, assign []int, maxIter int) float64 {
	k := len(centers)
	sx, sy, sw := make([]float64, k), make([]float64, k), make([]float64, k)
	half := make([]float64, k) // squared: (min distance to another center / 2)^2
	for it := 0; it < maxIter; it++ {
		for a := range centers {
			m := math.Inf(1)
			for b := range centers {
				if b != a {
					m = math.Min(m, dist2c(centers[a], centers[b]))
				}
			}
			half[a] = m / 4
		}
		changed := it == 0
		for i, p := range pts {
			if it > 0 && dist2(p, centers[assign[i]]) < half[assign[i]] {
				continue
			}
			if c := nearest(centers, p.x, p.y); c != assign[i] || it == 0 {
				changed = changed || c != assign[i]
				assign[i] = c
			}
		}
		if !changed {
			break
		}
		clear(sx)
		clear(sy)
		clear(sw)
		for i, p := range pts {
			c := assign[i]
			sx[c] += p.w * p.x
			sy[c] += p.w * p.y
			sw[c] += p.w
		}
		for c := range centers {
			if sw[c] > 0 { // an empty cluster keeps its center
				centers[c] = [2]float64{sx[c] / sw[c], sy[c] / sw[c]}
			}
		}
	}
	var in float64
	for i, p := range pts {
		in += p.w * dist2(p, centers[assign[i]])
	}
	return in
}

func dist2c(a, b [2]float64) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

// silhouette is the weighted mean silhouette of a sample of points under
// the given centers (each point in its nearest center's cluster).
func silhouette(sample []point, centers [][2]float64) float64 {
	k := len(centers)
	if k < 2 {
		return -1
	}
	lab := make([]int, len(sample))
	for i, p := range sample {
		lab[i] = nearest(centers, p.x, p.y)
	}
	sum := make([]float64, k)
	wsum := make([]float64, k)
	var total, tw float64
	for i, p := range sample {
		clear(sum)
		clear(wsum)
		for j, q := range sample {
			if i == j {
				continue
			}
			d := math.Sqrt((p.x-q.x)*(p.x-q.x) + (p.y-q.y)*(p.y-q.y))
			sum[lab[j]] += q.w * d
			wsum[lab[j]] += q.w
		}
		own := lab[i]
		if wsum[own] == 0 {
			continue // a singleton scores 0
		}
		a := sum[own] / wsum[own]
		b := math.Inf(1)
		for c := range k {
			if c != own && wsum[c] > 0 {
				b = math.Min(b, sum[c]/wsum[c])
			}
		}
		s := 0.0
		if !math.IsInf(b, 1) && math.Max(a, b) > 0 {
			s = (b - a) / math.Max(a, b)
		}
		total += p.w * s
		tw += p.w
	}
	if tw == 0 {
		return -1
	}
	return total / tw
}

// systematicSample picks about n points with probability proportional to
// weight (deterministic: evenly spaced over the cumulative weight); each
// picked point carries the weight it stands for.
func systematicSample(pts []point, n int) []point {
	if len(pts) <= n {
		return pts
	}
	var total float64
	for _, p := range pts {
		total += p.w
	}
	step := total / float64(n)
	var out []point
	next, cum := step/2, 0.0
	for _, p := range pts {
		cum += p.w
		picked := 0.0
		for next < cum {
			picked += step
			next += step
		}
		if picked > 0 {
			out = append(out, point{p.x, p.y, picked})
		}
	}
	return out
}
