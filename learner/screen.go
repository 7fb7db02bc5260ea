package learner

import (
	"math"
	"math/bits"
)

// screen rules out the merge of b into r by its first pair where it can
// (exactly: the pair is the fold's first and is evaluated before anything
// is merged), and otherwise ranks the merge by that pair's statistic. It
// adds the pair's terms largest first, as far as needed to rule the merge
// out, and as terms of the form L ln(L/(ld m)) + R ln(R/(rd m)), with m =
// (L+R)/(ld+rd): the same values as pair's three logarithms, with two.
// Before any logarithm, it tries a bound without them: each term is the gap
// of Jensen's inequality for x ln x (whose second derivative is 1/x) at
// p = L/ld and q = R/rd weighted by ld and rd, so it is at least
// ld·rd/(ld+rd) · (p-q)² / (2 max(p, q)); most merges that the first pair
// rules out, it rules out by far.
func (h *likelihoodRatio) screen(t *tree, r, row, b int32) (float64, bool) {
	if !h.gatherRow(t, r, row, &h.cur.blue) {
		return chiSquareZ(0, 0), true
	}
	pt, bt := &h.pt, h.cur
	// The fold's test rejects from the critical value of all the degrees
	// of freedom still possible after this pair; on top of its own
	// allowance for rounding (certainAbove: 1e-9 of its two sums, which are
	// at most (ld+rd) ln((ld+rd)/Correction) each, and that logarithm is
	// below ln 2 times the bits of (ld+rd)/Correction + 1), there is room
	// for the rounding of both ways of summing.
	n := pt.ld + pt.rd
	nbits := float64(bits.Len64(uint64(n/h.o.Correction) + 1))
	limit := h.crit.at(pt.df+bt.after)*(1+1e-6) + 4e-9*n*(1+nbits)
	corr := h.o.Correction
	w, quad := pt.ld*pt.rd/n, 0.0
	for i := 0; i < len(pt.terms); i += 2 {
		p, q := (pt.terms[i]+corr)/pt.ld, (pt.terms[i+1]+corr)/pt.rd
		quad += (p - q) * (p - q) / max(p, q)
	}
	if w*quad >= limit { // 2 · w · (p-q)²/(2 max)
		return 0, false
	}
	var x float64
	// Pools and end come last in pt.terms and tend to weigh most.
	for i := len(pt.terms) - 2; i >= 0; i -= 2 {
		L, R := pt.terms[i]+corr, pt.terms[i+1]+corr
		m := (L + R) / n
		x += 2 * (L*math.Log(L/(pt.ld*m)) + R*math.Log(R/(pt.rd*m)))
		if x >= limit {
			return 0, false
		}
	}
	return chiSquareZ(x, pt.df), true
}

// refine ranks the merge of b into r more closely than screen: by the
// statistic of the first pair and of b's children against r's children on
// the same symbols, as if the fold went one level down without merging
// counts first. It is not the fold's statistic, but close to it, at the
// cost of one pair per child. b's counts and its children's were loaded
// by blue.
func (h *likelihoodRatio) refine(t *tree, r, b int32) float64 {
	h.reset()
	c := h.cur
	if h.gatherRow(t, r, t.row(r), &c.blue) {
		h.addTerms()
	}
	for i := range c.kids {
		k := &c.kids[i]
		le := t.edge(r, k.sym)
		if le < 0 || isTail(t.eChild[le]) { // a tail is seen less than StateCount
			continue
		}
		rc := t.rep0(t.eChild[le])
		if rc == b {
			rc = r // b is folded into r first
		}
		if h.gatherRow(t, rc, t.row(rc), &k.side) {
			h.addTerms()
		}
	}
	key := chiSquareZ(2*(h.llOrig-h.llMerged), h.df)
	h.reset()
	return key
}

// chiSquareZ maps a chi-squared statistic with df degrees of freedom to the
// standard normal scale (Wilson-Hilferty): the higher, the lower the
// p-value. It is a cheap, monotone stand-in for the p-value where only the
// order matters.
func chiSquareZ(x float64, df int) float64 {
	v := 2 / (9 * float64(max(df, 1)))
	return (math.Cbrt(x/float64(max(df, 1))) - (1 - v)) / math.Sqrt(v)
}
