package learner

import (
	"math"
	"math/bits"
)

// screenSide prepares what screenGather reads of the blue state, loaded
// in c.blue.
func (c *blueTests) screenSide(t *tree, symbolCount int) {
	words := (t.alphabet + 63) / 64
	if len(c.count) != t.alphabet {
		c.count = make([]int32, t.alphabet)
		c.seen, c.freq = make([]uint64, words), make([]uint64, words)
	}
	clear(c.count)
	clear(c.seen)
	clear(c.freq)
	c.freqSyms, c.freqCounts = c.freqSyms[:0], c.freqCounts[:0]
	for i, a := range c.blue.syms {
		n := c.blue.counts[i]
		if n <= 0 {
			continue
		}
		c.count[a] = n
		c.seen[a>>6] |= 1 << (a & 63)
		if int(n) >= symbolCount {
			c.freq[a>>6] |= 1 << (a & 63)
			c.freqSyms, c.freqCounts = append(c.freqSyms, a), append(c.freqCounts, n)
		}
	}
}

// screenGather is gatherRow for a red state with a dense row against the
// blue state, for SymbolCount >= 1, with the same result, term for term
// and rounding for rounding: it reads the red state's counts on the blue
// state's frequent symbols only, in the same order (the only ones whose
// terms and dividers are sums of more than integers), and the rest from
// the row's totals and masks. Of the symbols the blue state has, pool 1
// gathers the rare ones the red state has too (r1) and the red state's
// counts off the blue state's frequent ones (l1); pool 2 the blue state's
// counts on the red state's rare or missing symbols (r2) and the red
// state's rare counts (l2).
func (h *likelihoodRatio) screenGather(t *tree, row int32) bool {
	c, r := h.cur, &h.cur.blue
	lPaths, lFinal, lRare := t.rowPaths[row], t.rowFinal[row], t.rowRare[row]
	lm, rm := lPaths, r.paths
	if h.o.FinalProb {
		lm, rm = lm+lFinal, rm+r.final
	}
	if int(lm) < h.o.StateCount || int(rm) < h.o.StateCount {
		return false
	}
	sc, corr := float64(h.o.SymbolCount), h.o.Correction
	var p pooled
	pt := &h.pt
	pt.df, pt.terms = 0, pt.terms[:0]
	matchedFreq := 0.0 // the red state's counts on the blue state's frequent symbols
	cells, stride := t.colCount[row:], t.colStride
	for i, a := range c.freqSyms {
		lc := float64(cells[int(a)*stride])
		if lc == 0 {
			continue
		}
		matchedFreq += lc
		if rc := float64(c.freqCounts[i]); lc >= sc {
			pt.terms = append(pt.terms, lc, rc)
			p.ld += lc + corr
			p.rd += rc + corr
		}
	}
	freq, seen := t.masks(row)
	var r1, r2 int32
	for w := range c.seen {
		pt.df += bits.OnesCount64(c.seen[w] & seen[w])
		for m := c.seen[w] &^ c.freq[w] & seen[w]; m != 0; m &= m - 1 {
			r1 += c.count[w<<6+bits.TrailingZeros64(m)]
		}
		for m := c.seen[w] &^ freq[w]; m != 0; m &= m - 1 {
			r2 += c.count[w<<6+bits.TrailingZeros64(m)]
		}
	}
	p.l1, p.r1 = float64(lPaths)-matchedFreq, float64(r1)
	p.l2, p.r2 = float64(lRare), float64(r2)
	if h.o.FinalProb {
		h.addFinal(&p, float64(lFinal), float64(r.final))
	}
	return h.poolTerms(&p)
}

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
	var ok bool
	if row >= 0 && h.o.SymbolCount > 0 {
		ok = h.screenGather(t, row)
	} else {
		ok = h.gatherRow(t, r, row, &h.cur.blue)
	}
	if !ok {
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
