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
	o Options

	// scratch row of left's counts by symbol, for a left state without a
	// dense row; zero between uses.
	scratch []int32
	only    []int32 // leftOnly's buffer
	// pt is the pair being evaluated, right its right state.
	pt    pairTerms
	right side

	llOrig, llMerged float64
	df               int

	// Deciding early (see decider): what the tests of the current blue
	// state share (with this heuristic's forks too), whether the current
	// evaluation may stop, the most degrees of freedom its pairs still to
	// come can add, the score it must beat, and the critical statistics.
	cur     *blueTests
	stop    bool
	stopped bool // the evaluation stopped early
	rem     int
	bar     float64
	barZ    float64 // the standard normal quantile of 1 - bar
	next    float64 // the statistic below which the bar is not checked again
	crit    *critical
}

// blueTests is what the tests of one blue state's merges share: the bounds
// of its fold.
type blueTests struct {
	bounds dfBounds
	after  int   // the most degrees of freedom the fold can add after its first pair
	blue   side  // the blue state, for screen
	kids   []kid // its children seen StateCount times, for refine
	node   int32 // the blue state

	// For screenGather: the blue state's frequent symbols (count at least
	// SymbolCount) and their counts, in list order; masks (see
	// tree.rowMask) of its symbols seen and of its frequent ones; and its
	// count by symbol (0 elsewhere).
	freqSyms, freqCounts []int32
	seen, freq           []uint64
	count                []int32
}

// kid is a blue state's child: the symbol that leads to it, the node, and
// its counts and transitions.
type kid struct {
	sym, node int32
	side      side
}

func newLikelihoodRatio(o Options, alphabet int) heuristic {
	return &likelihoodRatio{o: o, scratch: make([]int32, alphabet), crit: newCritical(o.Confidence), cur: &blueTests{}}
}

// fork returns a heuristic that screens and refines the current blue
// state's merges as h does, with scratch space of its own, so that it can
// run beside h and other forks: they share h's blue state and critical
// values, which blue prepares and nothing changes while they run.
func (h *likelihoodRatio) fork() decider {
	return &likelihoodRatio{o: h.o, scratch: make([]int32, len(h.scratch)), crit: h.crit, cur: h.cur}
}

func (h *likelihoodRatio) reset() {
	h.llOrig, h.llMerged, h.df, h.stop, h.stopped = 0, 0, 0, false, false
}

func (h *likelihoodRatio) blue(t *tree, b int32) {
	c := h.cur
	c.bounds.set(t, b, h.o)
	c.after = c.bounds.total - c.bounds.at(t, b, h.o)
	c.blue.load(t, b)
	c.screenSide(t, h.o.SymbolCount)
	c.node, c.kids = b, c.kids[:0]
	for e := t.head[b]; e >= 0; e = t.next(e) {
		if isTail(t.eChild[e]) {
			continue // seen less than StateCount
		}
		bc := t.find(t.eChild[e])
		if int(measure(t, bc, h.o)) < h.o.StateCount {
			continue
		}
		if len(c.kids) < cap(c.kids) {
			c.kids = c.kids[:len(c.kids)+1]
		} else {
			c.kids = append(c.kids, kid{})
		}
		k := &c.kids[len(c.kids)-1]
		k.sym, k.node = t.eSym[e], bc
		k.side.load(t, bc)
	}
	// The critical values a screen of b's merges can ask for (its first
	// pair adds at most b's own bound), computed now so that forks only
	// read them.
	for df := c.after; df <= c.bounds.total; df++ {
		h.crit.at(max(df, 0))
	}
}

func (h *likelihoodRatio) stopAt(bar float64) {
	h.stop, h.rem, h.next = true, h.cur.bounds.total, 0
	if bar != h.bar {
		h.bar = bar
		h.barZ = 0
		if bar > h.o.Confidence && bar < 1 {
			h.barZ = math.Sqrt2 * math.Erfinv(1-2*bar)
		}
	}
}

// decided reports whether the merge being evaluated is certain to fail the
// test, or to score no more than the bar: its statistic can only grow (by
// at least zero per term) and its degrees of freedom by at most h.rem, and
// the p-value falls as the statistic grows and rises with the degrees of
// freedom.
//
// Against the confidence level it compares the statistic with a table of
// critical values. Against the bar, which changes from test to test, it
// computes the p-value bound, but only where the Wilson-Hilferty
// approximation of the bar's critical value says that it might be below
// the bar (with 20 % to spare), and after a bound that was not low enough,
// only once the statistic has grown by a tenth.
func (h *likelihoodRatio) decided() bool {
	x, df := certainAbove(h.llOrig, h.llMerged), h.df+h.rem
	if x >= h.crit.at(df) {
		return true
	}
	if !(h.bar > h.o.Confidence) || x < h.next {
		return false
	}
	if h.bar < 1 {
		// Wilson-Hilferty: the statistic at which a chi-squared with df
		// degrees of freedom has survival bar.
		v := 2 / (9 * float64(max(df, 1)))
		c := 1 - v + h.barZ*math.Sqrt(v)
		if x < 0.8*float64(df)*c*c*c {
			return false
		}
	}
	if chiSquareSurvival(x, df) < h.bar*(1-1e-6) {
		return true
	}
	h.next = 1.1 * x
	return false
}

// pair adds one pair's test to the merge's statistic.
func (h *likelihoodRatio) pair(t *tree, l, r int32) bool {
	if h.stop {
		h.rem -= h.cur.bounds.at(t, r, h.o)
	}
	if !h.gather(t, l, r) {
		return true
	}
	h.addTerms()
	if h.stop && h.decided() {
		h.stopped = true
		return false
	}
	return true
}

// addTerms adds the gathered pair's terms (h.pt) to the statistic.
func (h *likelihoodRatio) addTerms() {
	pt := &h.pt
	h.df += pt.df
	for i := 0; i < len(pt.terms); i += 2 {
		h.likelihoods(pt.terms[i], pt.terms[i+1], pt.ld, pt.rd)
	}
}

// pairTerms is one pair's share of the test: the degrees of freedom it
// adds, its dividers, and the (left, right) counts of the outcomes whose
// likelihoods enter the statistic: the symbols frequent on both sides, then
// the end, then pool 1 and pool 2, each where frequent enough.
type pairTerms struct {
	df     int
	ld, rd float64
	terms  []float64 // (left, right) pairs
}

// gather computes pair (l, r)'s terms into h.pt, and reports whether the
// pair adds anything to the test: false when a state was seen fewer than
// StateCount times, or a divider is below it.
//
// It visits only the right state's transitions: the left state's counts
// are looked up (a red state's in its dense row), and what the test needs
// from the left state's other symbols is its total and its sum of rare
// counts, which a red state's row keeps (another state's are summed as its
// transitions are read into the scratch row). The result is FlexFringe's,
// term for term (see outcomes.pool).
func (h *likelihoodRatio) gather(t *tree, l, r int32) bool {
	if int(measure(t, r, h.o)) < h.o.StateCount {
		return false // not tested, whatever the left state
	}
	row := int32(-1)
	if t.indexed {
		row = t.row(l)
	}
	h.right.load(t, r)
	return h.gatherRow(t, l, row, &h.right)
}

// leftOnly returns the counts of l's transitions on symbols on which r's
// count is 0, in l's list order.
func (h *likelihoodRatio) leftOnly(t *tree, l int32, r *side) []int32 {
	for i, a := range r.syms {
		if r.counts[i] > 0 {
			h.scratch[a] = 1
		}
	}
	h.only = h.only[:0]
	for e := t.head[l]; e >= 0; e = t.next(e) {
		if c := t.eCount[e]; c > 0 && h.scratch[t.eSym[e]] == 0 {
			h.only = append(h.only, c)
		}
	}
	for _, a := range r.syms {
		h.scratch[a] = 0
	}
	return h.only
}

// side is a pair's right state as gather reads it: its paths and final
// counts and its transitions, copied into short arrays in list order, so
// that the screen of every red state against one blue state reads the blue
// state's once.
type side struct {
	paths, final int32
	syms, counts []int32
}

// load copies node r's counts and transitions.
func (s *side) load(t *tree, r int32) {
	s.paths, s.final = t.paths[r], t.final[r]
	s.syms, s.counts = s.syms[:0], s.counts[:0]
	for e := t.head[r]; e >= 0; e = t.next(e) {
		s.syms = append(s.syms, t.eSym[e])
		s.counts = append(s.counts, t.eCount[e])
	}
}

// gatherRow is gather for a left state whose row (or -1) the caller knows,
// and a right state loaded into r.
func (h *likelihoodRatio) gatherRow(t *tree, l, row int32, r *side) bool {
	var lPaths, lFinal, lRare int32
	if row >= 0 {
		lPaths, lFinal, lRare = t.rowPaths[row], t.rowFinal[row], t.rowRare[row]
	} else {
		lPaths, lFinal = t.paths[l], t.final[l]
	}
	lm, rm := lPaths, r.paths
	if h.o.FinalProb {
		lm, rm = lm+lFinal, rm+r.final
	}
	if int(lm) < h.o.StateCount || int(rm) < h.o.StateCount {
		return false
	}
	sc, corr := float64(h.o.SymbolCount), h.o.Correction
	if row < 0 {
		for e := t.head[l]; e >= 0; e = t.next(e) {
			c := t.eCount[e]
			h.scratch[t.eSym[e]] = c
			lRare += t.rareCount(c)
		}
	}
	var p pooled
	var matchedL, matchedR, matchedRareL float64 // counts of the symbols seen on both sides
	pt := &h.pt
	pt.df, pt.terms = 0, pt.terms[:0]
	// Left's counts by symbol: a run of its row's column, or the scratch row.
	cells, stride := h.scratch, 1
	if row >= 0 {
		cells, stride = t.colCount[row:], t.colStride
	}
	for i, a := range r.syms {
		rc, lc := float64(r.counts[i]), float64(cells[int(a)*stride])
		if lc == 0 || rc == 0 {
			continue // right-only symbols are pooled below through matchedR
		}
		matchedL += lc
		matchedR += rc
		if lc < sc {
			matchedRareL += lc
		}
		pt.df++
		if lc >= sc && rc >= sc {
			pt.terms = append(pt.terms, lc, rc)
		}
		p.add(lc, rc, sc, corr)
	}
	if row < 0 {
		for e := t.head[l]; e >= 0; e = t.next(e) {
			h.scratch[t.eSym[e]] = 0
		}
	}
	if h.o.SymbolCount == 0 {
		// No outcome is rare: each of left's symbols that right lacks is an
		// outcome of its own, with count 0 on the right, as FlexFringe
		// counts it (and not pooled below).
		for _, c := range h.leftOnly(t, l, r) {
			lc := float64(c)
			matchedL += lc
			pt.terms = append(pt.terms, lc, 0)
			p.add(lc, 0, sc, corr)
		}
	}
	// What the walk did not visit, from the totals the tree keeps: left's
	// symbols that right lacks, and right's symbols that left lacks.
	p.addLeftOnly(float64(lPaths)-matchedL, float64(lRare)-matchedRareL)
	p.addRightOnly(float64(r.paths) - matchedR)
	if h.o.FinalProb {
		h.addFinal(&p, float64(lFinal), float64(r.final))
	}
	return h.poolTerms(&p)
}

// poolTerms closes the pools of a gathered pair into its dividers and
// adds their terms to h.pt; false when a divider is below StateCount.
func (h *likelihoodRatio) poolTerms(p *pooled) bool {
	sc := float64(h.o.SymbolCount)
	p.close(h.o.Correction)
	if p.ld < float64(h.o.StateCount) || p.rd < float64(h.o.StateCount) {
		return false
	}
	pt := &h.pt
	pt.ld, pt.rd = p.ld, p.rd
	h.poolTerm(p.l1, p.r1, sc)
	h.poolTerm(p.l2, p.r2, sc)
	return true
}

// poolTerm adds pool (lc, rc) to h.pt: a degree of freedom when both
// sides have some, a term when one side's count is frequent.
func (h *likelihoodRatio) poolTerm(lc, rc, sc float64) {
	pt := &h.pt
	if lc != 0 && rc != 0 {
		pt.df++
	}
	if (lc != 0 || rc != 0) && (lc >= sc || rc >= sc) {
		pt.terms = append(pt.terms, lc, rc)
	}
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
	if frequent {
		h.likelihoods(lc, rc, ld, rd)
	}
}

// likelihoods adds one outcome's corrected log-likelihoods, kept apart and
// merged.
func (h *likelihoodRatio) likelihoods(lc, rc, ld, rd float64) {
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

// addFinal adds the pair of end-of-trace counts lf and rf of the two
// states to a gathered row: to the pools, to the degrees of freedom when
// both ended, and as a term of its own when both ended often enough.
func (h *likelihoodRatio) addFinal(p *pooled, lf, rf float64) {
	sc := float64(h.o.SymbolCount)
	p.add(lf, rf, sc, h.o.Correction)
	if lf != 0 && rf != 0 {
		h.pt.df++
	}
	if lf >= sc && rf >= sc {
		h.pt.terms = append(h.pt.terms, lf, rf)
	}
}
