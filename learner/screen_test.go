package learner

import (
	"math"
	"slices"
	"testing"
)

// TestScreenGatherMatches: at every step of whole learnings, screenGather
// gathers every red state's first pair with the blue state exactly as
// gatherRow does: the same verdict, degrees of freedom, dividers and
// terms, bit for bit; with SymbolCount 1 and 5, with and without end
// probabilities, corrections 1 and 0.3.
func TestScreenGatherMatches(t *testing.T) {
	cases := earlyCases()
	for _, tc := range cases[:4] {
		for _, sc := range []int{1, 5} {
			for _, corr := range []float64{1, 0.3} {
				o := tc.o
				o.SymbolCount, o.Correction = sc, corr
				lr := newLikelihoodRatio(o, tc.d.Alphabet.Len()).(*likelihoodRatio)
				s := newSearch(buildTree(tc.d, tailsFit(o)), lr, o, tc.d.Alphabet.Len())
				pairs := 0
				for {
					b, ok := s.blue.largest()
					if !ok {
						break
					}
					lr.blue(s.t, b)
					for i, r := range s.reds {
						row := s.rows[i]
						if row < 0 {
							continue
						}
						want := lr.gatherRow(s.t, r, row, &lr.cur.blue)
						wantPT := lr.pt
						wantPT.terms = slices.Clone(wantPT.terms)
						got := lr.screenGather(s.t, row)
						pairs++
						if got != want || got && (lr.pt.df != wantPT.df || math.Float64bits(lr.pt.ld) != math.Float64bits(wantPT.ld) ||
							math.Float64bits(lr.pt.rd) != math.Float64bits(wantPT.rd) || !slices.Equal(lr.pt.terms, wantPT.terms)) {
							t.Fatalf("%s sc=%d corr=%v: red %d, blue %d: screenGather %v %+v, gatherRow %v %+v", tc.name, sc, corr, r, b, got, lr.pt, want, wantPT)
						}
					}
					s.step([]int32{b})
				}
				if pairs == 0 {
					t.Errorf("%s sc=%d corr=%v: no pair gathered", tc.name, sc, corr)
				}
			}
		}
	}
}
