package learner

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// likelihoodRatio is FlexFringe's likelihoodratio heuristic: over the whole
// fold it sums the log-likelihoods of every tested pair's outcome counts
// kept apart and merged, and scores the merge by the p-value of the
// likelihood-ratio test (chi-squared with one degree of freedom per outcome
// seen on both sides). The merge is consistent when p >= Confidence; the
// best merge has the highest p-value.
//
// As in FlexFringe, outcomes seen fewer than SymbolCount times on a side are
// pooled (separately for rare-on-the-left and rare-on-the-right, so that two
// disjoint sets of rare outcomes still differ), Correction is added to each
// count, and states seen fewer than StateCount times add nothing.
type likelihoodRatio struct {
	o   Options
	out *outcomes

	llOrig, llMerged float64
	df               int
}

func newLikelihoodRatio(o Options, alphabet int) heuristic {
	return &likelihoodRatio{o: o, out: newOutcomes(alphabet)}
}

func (h *likelihoodRatio) reset() { h.llOrig, h.llMerged, h.df = 0, 0, 0 }

func (h *likelihoodRatio) pair(t *tree, l, r int32) bool {
	if !tested(t, l, r, h.o) {
		return true
	}
	out := h.out
	out.load(t, l, r, h.o.FinalProb)
	p := out.pool(float64(h.o.SymbolCount), h.o.Correction)
	if p.ld < float64(h.o.StateCount) || p.rd < float64(h.o.StateCount) {
		return true
	}
	sc := float64(h.o.SymbolCount)
	for i, lc := range out.left {
		h.term(lc, out.right[i], p.ld, p.rd, lc >= sc && out.right[i] >= sc)
	}
	h.term(p.l1, p.r1, p.ld, p.rd, p.l1 >= sc || p.r1 >= sc)
	h.term(p.l2, p.r2, p.ld, p.rd, p.l2 >= sc || p.r2 >= sc)
	return true
}

// term adds one outcome's (or pool's) contribution; frequent says whether
// its counts are large enough to enter the likelihoods.
func (h *likelihoodRatio) term(lc, rc, ld, rd float64, frequent bool) {
	if lc == 0 && rc == 0 {
		return
	}
	if lc != 0 && rc != 0 {
		h.df++
	}
	if !frequent {
		return
	}
	lc += h.o.Correction
	rc += h.o.Correction
	h.llOrig += lc*math.Log(lc/ld) + rc*math.Log(rc/rd)
	h.llMerged += (lc + rc) * math.Log((lc+rc)/(ld+rd))
}

func (h *likelihoodRatio) result() (float64, bool) {
	p := chiSquareSurvival(2*(h.llOrig-h.llMerged), h.df)
	return p, p >= h.o.Confidence
}

// chiSquareSurvival returns P(X >= x) for X chi-squared with df degrees of
// freedom: 1 for x ~ 0, 0 for df = 0 and x > 0.
func chiSquareSurvival(x float64, df int) float64 {
	switch {
	case x < 2.220446049250313e-16:
		return 1
	case df == 0:
		return 0
	}
	return mathext.GammaIncRegComp(float64(df)/2, x/2)
}
