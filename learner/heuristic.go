package learner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// heuristic decides whether a merge is consistent and how good it is. A
// merge folds a blue state into a red one and recursively their children;
// the heuristic sees each (left, right) pair of that fold, before right's
// counts join left's, and gives its verdict when the fold is complete.
//
// Each heuristic is one file implementing this interface, listed in the
// heuristics table below.
type heuristic interface {
	// reset starts the evaluation of a new merge.
	reset()
	// pair evaluates one pair of the fold; false makes the merge fail at once.
	pair(t *tree, left, right int32) bool
	// result returns the merge's score (higher is better) and whether the
	// merge is consistent, after the whole fold.
	result() (score float64, ok bool)
}

// heuristics lists the merge heuristics by name. To add one, write a file
// with its type and add its constructor here.
var heuristics = map[string]func(o Options, alphabet int) heuristic{
	"likelihoodratio": newLikelihoodRatio,
	"alergia":         newAlergia,
}

// Heuristics returns the names of the available merge heuristics, sorted.
func Heuristics() []string {
	names := make([]string, 0, len(heuristics))
	for n := range heuristics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func newHeuristic(o Options, alphabet int) (heuristic, error) {
	mk, ok := heuristics[o.Heuristic]
	if !ok {
		return nil, fmt.Errorf("heuristic %s: want one of %s", input.Quote(o.Heuristic), strings.Join(Heuristics(), ", "))
	}
	return mk(o, alphabet), nil
}

// outcomes gathers the counts of two states for a test: for every outcome
// (symbol, and end when modelled) seen at left, its count at left and at
// right, plus what right has beyond left's outcomes. It uses a dense scratch
// row over the alphabet, so a pair costs O(out-degree), not O(alphabet).
type outcomes struct {
	scratch []int32 // right's count per symbol, zero between uses

	left, right []float64 // counts of the outcomes seen at left
	rightOnly   float64   // right's count on symbols left never saw
}

func newOutcomes(alphabet int) *outcomes {
	return &outcomes{scratch: make([]int32, alphabet)}
}

// load fills the outcome lists of (l, r); final adds end-of-trace as an
// outcome.
func (o *outcomes) load(t *tree, l, r int32, final bool) {
	o.left, o.right = o.left[:0], o.right[:0]
	for e := t.head[r]; e >= 0; e = t.next(e) {
		o.scratch[t.eSym[e]] += t.eCount[e]
	}
	var matched int32
	for e := t.head[l]; e >= 0; e = t.next(e) {
		lc := t.eCount[e]
		if lc == 0 {
			continue
		}
		rc := o.scratch[t.eSym[e]]
		matched += rc
		o.left = append(o.left, float64(lc))
		o.right = append(o.right, float64(rc))
	}
	for e := t.head[r]; e >= 0; e = t.next(e) {
		o.scratch[t.eSym[e]] = 0
	}
	o.rightOnly = float64(t.paths[r] - matched)
	if final {
		lf, rf := t.final[l], t.final[r]
		if lf != 0 || rf != 0 {
			o.left = append(o.left, float64(lf))
			o.right = append(o.right, float64(rf))
		}
	}
}

// tested reports whether a pair is frequent enough to be tested: both
// states seen at least StateCount times (counting ends when modelled).
func tested(t *tree, l, r int32, o Options) bool {
	ls, rs := t.paths[l], t.paths[r]
	if o.FinalProb {
		ls, rs = t.size(l), t.size(r)
	}
	return int(ls) >= o.StateCount && int(rs) >= o.StateCount
}

// pooled holds the test denominators of the two states and their two pools
// of rare outcomes: pool 1 gathers outcomes rare on the right, pool 2 those
// rare on the left (an outcome rare on both sides is in both), so that two
// disjoint sets of rare outcomes still show a difference.
//
// It is FlexFringe's pooling, and the only statement of it here: both ways
// of gathering a pair's counts (the outcome lists, and the likelihood-ratio
// test's walk over the right state's transitions alone) feed it their
// outcomes with add, the outcomes they do not visit one by one with
// addLeftOnly and addRightOnly, and finish with close.
type pooled struct {
	ld, rd float64 // left and right dividers
	l1, r1 float64 // pool 1 counts
	l2, r2 float64 // pool 2 counts
}

// add enters one outcome listed at the left state (its count there may be
// zero for the end of trace): seen at least symbolCount times on both
// sides, it enters the dividers on its own, with corr added; rare on the
// right, it joins pool 1; rare on the left, pool 2.
func (p *pooled) add(lc, rc, symbolCount, corr float64) {
	if lc == 0 && rc == 0 {
		return
	}
	if lc >= symbolCount && rc >= symbolCount {
		p.ld += lc + corr
		p.rd += rc + corr
	}
	if rc < symbolCount {
		p.l1 += lc
		p.r1 += rc
	}
	if lc < symbolCount {
		p.l2 += lc
		p.r2 += rc
	}
}

// addLeftOnly enters, summed, the left state's symbols that the right state
// never saw: total counts, of which rare (below symbolCount) are rare. It is
// add(lc, 0) for each of them (they are rare on the right; pool sums are
// sums of integers, so their order does not matter).
func (p *pooled) addLeftOnly(total, rare float64) {
	p.l1 += total
	p.l2 += rare
}

// addRightOnly enters, summed, the right state's symbols that the left state
// never saw: they join pool 2 only.
func (p *pooled) addRightOnly(total float64) { p.r2 += total }

// close enters each non-empty pool into the dividers as one outcome, with
// corr added.
func (p *pooled) close(corr float64) {
	if p.l1 != 0 || p.r1 != 0 {
		p.ld += p.l1 + corr
		p.rd += p.r1 + corr
	}
	if p.l2 != 0 || p.r2 != 0 {
		p.ld += p.l2 + corr
		p.rd += p.r2 + corr
	}
}

// pool computes the dividers and pools of the loaded outcomes.
func (o *outcomes) pool(symbolCount, corr float64) pooled {
	var p pooled
	for i, lc := range o.left {
		p.add(lc, o.right[i], symbolCount, corr)
	}
	p.addRightOnly(o.rightOnly)
	p.close(corr)
	return p
}
