package learner

import (
	"math"
	"math/rand/v2"
	"testing"
)

// referenceLR is the likelihood-ratio pair test written out directly from
// FlexFringe's definition, over every outcome of both states: the oracle
// for likelihoodRatio.pair, which visits only the right state.
func referenceLR(t *tree, o Options, l, r int32) (llOrig, llMerged float64, df int) {
	if !tested(t, l, r, o) {
		return 0, 0, 0
	}
	out := newOutcomes(t.alphabet)
	out.load(t, l, r, o.FinalProb)
	p := out.pool(float64(o.SymbolCount), o.Correction)
	if p.ld < float64(o.StateCount) || p.rd < float64(o.StateCount) {
		return 0, 0, 0
	}
	h := &likelihoodRatio{o: o}
	sc := float64(o.SymbolCount)
	for i, lc := range out.left {
		h.term(lc, out.right[i], p.ld, p.rd, lc >= sc && out.right[i] >= sc)
	}
	h.term(p.l1, p.r1, p.ld, p.rd, p.l1 >= sc || p.r1 >= sc)
	h.term(p.l2, p.r2, p.ld, p.rd, p.l2 >= sc || p.r2 >= sc)
	return h.llOrig, h.llMerged, h.df
}

func TestLikelihoodRatioMatchesReference(t *testing.T) {
	for _, final := range []bool{true, false} {
		for _, sc := range []int{0, 1, 5, 20} {
			o := DefaultOptions()
			o.FinalProb, o.SymbolCount = final, sc
			d := samplePDFA(9, 12, 9, 3000)
			tr := buildTree(d, true)
			tr.index(d.Alphabet.Len(), o.SymbolCount)
			rng := rand.New(rand.NewPCG(1, 2))
			n := int32(len(tr.rep))
			for range 200 { // some states get dense rows, as red states do
				tr.addRow(rng.Int32N(n))
			}
			h := newLikelihoodRatio(o, d.Alphabet.Len()).(*likelihoodRatio)
			for range 3000 {
				l, r := rng.Int32N(min(n, 400)), rng.Int32N(n)
				if l == r {
					continue
				}
				wo, wm, wdf := referenceLR(tr, o, l, r)
				h.reset()
				h.pair(tr, l, r)
				if math.Abs(h.llOrig-wo) > 1e-9*math.Max(1, math.Abs(wo)) || math.Abs(h.llMerged-wm) > 1e-9*math.Max(1, math.Abs(wm)) || h.df != wdf {
					t.Fatalf("final=%v sc=%d pair (%d,%d): got %v %v %d, reference %v %v %d", final, sc, l, r, h.llOrig, h.llMerged, h.df, wo, wm, wdf)
				}
			}
		}
	}
}

// TestIndexFollowsMerges: after tested-and-undone and performed merges, the
// dense rows, their counts and totals agree with the nodes and their
// transition lists; on traces of a PDFA, and on windows, whose red states
// outgrow the first room for rows' counts.
func TestIndexFollowsMerges(t *testing.T) {
	for _, tc := range []struct {
		name           string
		d              *Dataset
		steps, minReds int
	}{
		{"pdfa", samplePDFA(5, 8, 6, 3000), 60, 1},
		{"windows", Windows(IntAlphabet(30), markovSequence(3, 30, 20_000), 10, 1), 1000, 65},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if reds := indexFollowsMerges(t, tc.d, tc.steps); reds < tc.minReds {
				t.Errorf("%d red states, want at least %d", reds, tc.minReds)
			}
		})
	}
}

// indexFollowsMerges runs steps steps of a learning, checking the index
// after each, and returns the number of red states.
func indexFollowsMerges(t *testing.T, d *Dataset, steps int) int {
	o := DefaultOptions()
	h, _ := newHeuristic(o, d.Alphabet.Len())
	s := newSearch(buildTree(d, tailsFit(o)), h, o, d.Alphabet.Len())
	check := func(when string) {
		tr := s.t
		for q := int32(0); q < int32(len(tr.rep)); q++ {
			var rare int32
			for e := tr.head[q]; e >= 0; e = tr.next(e) {
				rare += tr.rareCount(tr.eCount[e])
				if tr.edge(q, tr.eSym[e]) != e {
					t.Fatalf("%s: node %d symbol %d: lookup disagrees with the list", when, q, tr.eSym[e])
				}
				if r := tr.row(q); r >= 0 && *tr.count(r, tr.eSym[e]) != tr.eCount[e] {
					t.Fatalf("%s: node %d symbol %d: row count %d, transition count %d", when, q, tr.eSym[e], *tr.count(r, tr.eSym[e]), tr.eCount[e])
				}
			}
			if r := tr.row(q); r >= 0 {
				if got := [3]int32{tr.rowPaths[r], tr.rowFinal[r], tr.rowRare[r]}; got != [3]int32{tr.paths[q], tr.final[q], rare} {
					t.Fatalf("%s: node %d: row's paths, final and rare sum %v, node's %v", when, q, got, [3]int32{tr.paths[q], tr.final[q], rare})
				}
			}
		}
	}
	for step := 0; step < steps; step++ {
		b, ok := s.blue.largest()
		if !ok {
			break
		}
		best, found := s.bestMerge([]int32{b})
		check("after tests")
		if found {
			s.h.reset()
			s.t.fold(s.h, best.red, best.blue)
			s.blue.touchFold(s.t.log)
			s.t.log = s.t.log[:0]
		} else {
			s.promote(b)
		}
		check("after the step")
	}
	return len(s.reds)
}
