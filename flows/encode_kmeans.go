package flows

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// kmeansEncoder is the default encoder, as in ENCODE (Cao et al.): bytes and
// packets clustered together by k-means on a log scale, standardised with
// the training mean and deviation (k chosen by silhouette), duration in
// percentile bins, with protocol and direction (and optionally port class).
type kmeansEncoder struct {
	space   `json:",inline"`
	Mean    [2]float64   `json:"mean"` // of ln(1+bytes), ln(1+packets)
	SD      [2]float64   `json:"sd"`
	Centers [][2]float64 `json:"centers"` // standardised, smallest first
}

func (e *kmeansEncoder) Kind() string      { return "encode" }
func (e *kmeansEncoder) AlphabetSize() int { return len(e.Codes) }

func (e *kmeansEncoder) xy(f *Features) (float64, float64) {
	return (math.Log1p(float64(f.Bytes)) - e.Mean[0]) / e.SD[0], (math.Log1p(float64(f.Packets)) - e.Mean[1]) / e.SD[1]
}

func (e *kmeansEncoder) sizeClass(f *Features) int {
	x, y := e.xy(f)
	return nearest(e.Centers, x, y)
}

func (e *kmeansEncoder) Encode(f *Features) int32 { return e.encode(f, e.sizeClass(f)) }

func (e *kmeansEncoder) SymbolName(sym int32) string { return e.name(sym, kmeansSizeName) }

func (e *kmeansEncoder) FlowName(x *Features) string {
	return e.flowName(x, e.sizeClass(x), kmeansSizeName)
}

// Words names the flow's size class with the bytes and packets at its
// centre.
func (e *kmeansEncoder) Words(x *Features) string {
	return e.words(x, e.sizeWords(e.sizeClass(x))+", this flow "+HumanBytes(float64(x.Bytes)))
}

func kmeansSizeName(s int) string { return fmt.Sprintf("s%02d", s) }

func (e *kmeansEncoder) Describe(sym int32) string { return e.describe(sym, e.sizeWords) }

// sizeWords describes size class c by its centre.
func (e *kmeansEncoder) sizeWords(c int) string {
	ctr := e.Centers[c]
	b := math.Expm1(ctr[0]*e.SD[0] + e.Mean[0])
	p := math.Expm1(ctr[1]*e.SD[1] + e.Mean[1])
	return fmt.Sprintf("size class %d of %d (~%s, %.0f packets)", c, e.NSize, HumanBytes(b), p)
}

// Limits of the k search: k-means runs on at most fitPoints weighted
// points and the silhouette on at most silhouettePoints.
const (
	fitPoints        = 2048
	silhouettePoints = 600
)

func fitKMeans(segs [][]Features, opt EncoderOptions) Encoder {
	e := &kmeansEncoder{space: fitSpace(segs, opt)}
	// Distinct (bytes, packets) pairs, weighted by how often they occur:
	// exact, and far fewer than the flows.
	type bp struct{ b, p uint64 }
	pairs := map[bp]float64{}
	var sx, sy, sxx, syy float64
	for _, seg := range segs {
		for i := range seg {
			pairs[bp{seg[i].Bytes, seg[i].Packets}]++
			x, y := math.Log1p(float64(seg[i].Bytes)), math.Log1p(float64(seg[i].Packets))
			sx, sy, sxx, syy = sx+x, sy+y, sxx+x*x, syy+y*y
		}
	}
	n := float64(count(segs))
	e.Mean = [2]float64{sx / n, sy / n}
	for i, v := range [2]float64{sxx/n - e.Mean[0]*e.Mean[0], syy/n - e.Mean[1]*e.Mean[1]} {
		e.SD[i] = math.Sqrt(math.Max(v, 0))
		if e.SD[i] < 1e-9 {
			e.SD[i] = 1 // a constant feature
		}
	}
	keys := make([]bp, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b bp) int {
		return cmp.Or(cmp.Compare(a.b, b.b), cmp.Compare(a.p, b.p))
	})
	pts := make([]point, len(keys))
	for i, k := range keys {
		pts[i] = point{(math.Log1p(float64(k.b)) - e.Mean[0]) / e.SD[0], (math.Log1p(float64(k.p)) - e.Mean[1]) / e.SD[1], pairs[k]}
	}
	fit := systematicSample(pts, fitPoints)
	sample := systematicSample(pts, silhouettePoints)
	kmin, kmax := min(opt.KMin, len(pts)), min(opt.KMax, len(pts))
	best, bestScore := [][2]float64(nil), math.Inf(-1)
	for k := kmin; k <= kmax; k++ {
		centers, _ := kmeans(fit, k, opt.Restarts, opt.Seed+uint64(k))
		score := silhouette(sample, centers)
		if best == nil || score > bestScore {
			best, bestScore = centers, score
		}
	}
	slices.SortFunc(best, func(a, b [2]float64) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	e.Centers = best
	e.NSize = len(best)
	e.fit(segs, e.sizeClass)
	return e
}

func (e *kmeansEncoder) check() error {
	if len(e.Centers) != e.NSize || e.NSize == 0 {
		return fmt.Errorf("%d centers for %d size classes", len(e.Centers), e.NSize)
	}
	for _, c := range e.Centers {
		if hasNaN(c[:]) {
			return errors.New("centers must be numbers")
		}
	}
	if hasNaN(e.Mean[:]) || hasNaN(e.SD[:]) || e.SD[0] <= 0 || e.SD[1] <= 0 {
		return errors.New("mean and sd must be numbers, sd > 0")
	}
	if err := e.space.validate(); err != nil {
		return err
	}
	e.index()
	return nil
}
