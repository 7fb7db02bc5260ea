package learner

import (
	"math"
	"math/bits"

	"gonum.org/v1/gonum/mathext"
)

// A decider is a heuristic that can tell, partway through a tested fold,
// that the merge will be inconsistent, or will score no more than a given
// bar, whatever the rest of the fold adds; the fold then stops there. The
// search still chooses the same merge as with complete folds: a test is
// only cut short once its outcome is certain.
type decider interface {
	heuristic
	// blue prepares the tests of blue state b's merges, with the tree as it
	// is now (tested folds are undone, so it is the same for all of them).
	blue(t *tree, b int32)
	// stopAt makes the evaluation begun by the last reset stop (pair
	// returns false) once its merge is certain to be inconsistent or to
	// score no more than bar. reset alone never stops: a performed merge
	// is always folded whole.
	stopAt(bar float64)
	// screen evaluates the first pair of the merge of b into r (whose row
	// in the tree is row, or -1) on its own, without changing the tree: ok
	// is false when that pair already rules the merge out; otherwise key
	// ranks the merge among b's merges, lower keys more promising. It
	// follows blue(t, b).
	screen(t *tree, r, row, b int32) (key float64, ok bool)
	// refine ranks the merge of b into r as screen does, more closely and
	// at a higher cost.
	refine(t *tree, r, b int32) (key float64)
	// fork returns a decider that screens and refines the merges of the
	// blue state last prepared by blue, and that may do so in another
	// goroutine while this one and other forks do the same (neither
	// changes the tree).
	fork() decider
}

// dfBounds holds, for the right-hand states of the folds of one blue state,
// the most degrees of freedom a tested pair with each of them can add to
// the likelihood-ratio test, and their sum.
//
// A fold's right-hand states are the blue state and its descendants,
// reached by following transitions; each is folded (is the right of a pair)
// at most once per fold, and only before any count is added to it. A pair
// is tested only when its right state was seen StateCount times, and then
// adds at most one degree of freedom per symbol that state has, one for
// the end of trace, and one per pool. A state seen fewer times has
// descendants seen fewer times still, so the walk stops there.
//
// The bounds are kept in a map: a blue state's subtree of states seen
// StateCount times is small, and a slice over all nodes would cost the
// tree four bytes a node.
type dfBounds struct {
	per   map[int32]int32 // per node of the subtree seen StateCount times
	stack []int32
	total int
}

// measure is the count that tested compares with StateCount.
func measure(t *tree, n int32, o Options) int32 {
	if o.FinalProb {
		return t.size(n)
	}
	return t.paths[n]
}

// set computes the bounds of blue state b's subtree.
func (d *dfBounds) set(t *tree, b int32, o Options) {
	if d.per == nil {
		d.per = map[int32]int32{}
	}
	clear(d.per)
	d.total = 0
	d.stack = append(d.stack[:0], b)
	for len(d.stack) > 0 {
		n := d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-1]
		if int(measure(t, n, o)) < o.StateCount {
			continue
		}
		if _, seen := d.per[n]; seen {
			continue
		}
		df := int32(2) // the pools
		if o.FinalProb && t.final[n] > 0 {
			df++
		}
		for e := t.head[n]; e >= 0; e = t.next(e) {
			if t.eCount[e] > 0 {
				df++
				if c := t.eChild[e]; !isTail(c) { // a tail is seen less than StateCount
					d.stack = append(d.stack, t.find(c))
				}
			}
		}
		d.per[n] = df
		d.total += int(df)
	}
}

// at returns node n's bound: 0 outside the subtree, and for states seen
// fewer than StateCount times (which it checks first, without the map).
func (d *dfBounds) at(t *tree, n int32, o Options) int {
	if int(measure(t, n, o)) < o.StateCount {
		return 0
	}
	return int(d.per[n])
}

// critical holds, per number of degrees of freedom, a value of the
// likelihood-ratio statistic from which the test certainly rejects: the
// chi-squared survival function there is below the confidence level by a
// margin far above its rounding error, so any statistic at least as large
// gives a p-value below the level. Values are computed when first needed.
type critical struct {
	level float64
	small []float64          // by degrees of freedom, 0 for not yet computed
	large map[uint64]float64 // by rounded degrees of freedom, past len(small)
}

// criticalExact is the number of degrees of freedom up to which critical
// keeps a value for each; beyond, degrees of freedom are rounded up to 64
// steps per doubling (the statistic's critical value grows with them, so
// the rounded one is a safe bound).
const criticalExact = 1024

func newCritical(level float64) *critical {
	return &critical{level: level, small: make([]float64, criticalExact+1), large: map[uint64]float64{}}
}

// at returns the statistic from which a test with at most df degrees of
// freedom rejects.
func (c *critical) at(df int) float64 {
	if df <= criticalExact {
		if v := c.small[df]; v != 0 {
			return v
		}
		v := c.compute(df)
		c.small[df] = v
		return v
	}
	u := uint64(df)
	step := uint64(1) << (bits.Len64(u) - 7)
	u = (u + step - 1) / step * step
	if v, ok := c.large[u]; ok {
		return v
	}
	v := c.compute(int(u))
	c.large[u] = v
	return v
}

// compute finds the critical statistic for df degrees of freedom: the
// inverse of the survival function at a level just below c.level, checked
// with chiSquareSurvival itself, the function the test's verdict uses.
func (c *critical) compute(df int) float64 {
	target := c.level * (1 - 1e-6)
	if df == 0 {
		return 2.220446049250313e-16 // chiSquareSurvival's zero: 0 above it
	}
	x := 2 * mathext.GammaIncRegCompInv(float64(df)/2, target)
	for step := x * 1e-9; !(chiSquareSurvival(x, df) < target); step *= 2 {
		x += step
	}
	return x
}

// certainAbove returns a lower bound on the statistic 2(llOrig - llMerged)
// that the rest of the fold will give: the terms still to come are each at
// least zero (log-sum inequality), and the bound leaves room for the
// rounding of the two sums.
func certainAbove(llOrig, llMerged float64) float64 {
	return 2*(llOrig-llMerged) - 1e-9*(math.Abs(llOrig)+math.Abs(llMerged))
}
