package learner

import (
	"math"
	"testing"
)

// earlyCases are learning problems of both shapes the learner sees:
// traces of a PDFA (with and without end probabilities) and sliding
// windows over one long sequence, with other StateCount and SymbolCount.
func earlyCases() []struct {
	name string
	d    *Dataset
	o    Options
} {
	windows := Windows(IntAlphabet(30), markovSequence(3, 30, 20_000), 10, 1)
	o := DefaultOptions()
	noFinal := o
	noFinal.FinalProb = false
	tight := o
	tight.StateCount, tight.SymbolCount, tight.SinkCount = 2, 1, 5
	loose := noFinal
	loose.Confidence = 0.001
	return []struct {
		name string
		d    *Dataset
		o    Options
	}{
		{"pdfa", samplePDFA(9, 12, 9, 3000), o},
		{"pdfa no final", samplePDFA(9, 12, 9, 3000), noFinal},
		{"pdfa small counts", samplePDFA(4, 10, 6, 1500), tight},
		{"windows", windows, noFinal},
		{"windows low confidence", windows, loose},
	}
}

// TestDecidedFoldsAgree runs whole learnings step by step and, at every
// step, tests every merge twice: folded whole, and allowed to stop early
// (against no bar, and against the best score so far). A test that stopped
// must be one whose whole fold fails, or scores no more than the bar; one
// that did not stop must give the whole fold's score exactly.
func TestDecidedFoldsAgree(t *testing.T) {
	for _, tc := range earlyCases() {
		t.Run(tc.name, func(t *testing.T) {
			h, err := newHeuristic(tc.o, tc.d.Alphabet.Len())
			if err != nil {
				t.Fatal(err)
			}
			lr := h.(*likelihoodRatio)
			s := newSearch(buildTree(tc.d, tailsFit(tc.o)), h, tc.o, tc.d.Alphabet.Len())
			var tests, stopped int
			for {
				b, ok := s.blue.largest()
				if !ok {
					break
				}
				lr.blue(s.t, b)
				best, found := candidate{}, false
				for _, r := range s.reds {
					if r == root {
						continue
					}
					full, fullOK := tryWhole(s, r, b)
					for _, bar := range []float64{math.Inf(-1), best.score} {
						if bar == best.score && !found {
							continue
						}
						score, ok := s.try(r, b, bar)
						tests++
						switch {
						case lr.stopped && (fullOK && full > bar):
							t.Fatalf("merge %d <- %d stopped below bar %v, but its whole fold scores %v", r, b, bar, full)
						case !lr.stopped && (ok != fullOK || score != full):
							t.Fatalf("merge %d <- %d: %v %v, whole fold %v %v", r, b, score, ok, full, fullOK)
						}
						if lr.stopped {
							stopped++
						}
					}
					if fullOK && (!found || full > best.score) {
						best, found = candidate{red: r, blue: b, score: full}, true
					}
				}
				if found {
					s.h.reset()
					s.t.fold(s.h, best.red, best.blue)
					s.blue.touchFold(s.t.log)
					s.t.log = s.t.log[:0]
				} else {
					s.promote(b)
				}
			}
			if stopped == 0 || stopped == tests {
				t.Errorf("%d of %d tests stopped early: the case does not exercise both outcomes", stopped, tests)
			}
		})
	}
}

// tryWhole tests the merge of b into r with a fold that never stops early.
func tryWhole(s *search, r, b int32) (float64, bool) {
	s.h.reset()
	mark := len(s.t.log)
	s.t.testing = true
	ok := s.t.fold(s.h, r, b)
	s.t.testing = false
	var score float64
	if ok {
		score, ok = s.h.result()
	}
	s.t.undo(mark)
	return score, ok
}

// TestDFBoundsHold checks the bound that early decisions rest on: in every
// tested fold of a learning, each pair that adds degrees of freedom has a
// right state inside the blue state's bounds, and adds no more than its
// bound.
func TestDFBoundsHold(t *testing.T) {
	for _, tc := range earlyCases() {
		t.Run(tc.name, func(t *testing.T) {
			lr := newLikelihoodRatio(tc.o, tc.d.Alphabet.Len()).(*likelihoodRatio)
			c := &boundChecker{t: t, lr: lr}
			var _ decider = c
			s := newSearch(buildTree(tc.d, tailsFit(tc.o)), c, tc.o, tc.d.Alphabet.Len())
			if err := s.run(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			if c.pairs == 0 {
				t.Fatal("no pair added degrees of freedom")
			}
		})
	}
}

// boundChecker wraps the likelihood-ratio heuristic and checks every
// tested pair against the bounds of the blue state being tested.
type boundChecker struct {
	t       *testing.T
	lr      *likelihoodRatio
	testing bool
	pairs   int
}

func (c *boundChecker) reset()                  { c.lr.reset(); c.testing = false }
func (c *boundChecker) result() (float64, bool) { return c.lr.result() }
func (c *boundChecker) blue(t *tree, b int32)   { c.lr.blue(t, b) }
func (c *boundChecker) stopAt(bar float64)      { c.lr.stopAt(bar); c.testing = true }
func (c *boundChecker) screen(t *tree, r, row, b int32) (float64, bool) {
	return c.lr.screen(t, r, row, b)
}
func (c *boundChecker) fork() decider                      { return c.lr.fork() }
func (c *boundChecker) refine(t *tree, r, b int32) float64 { return c.lr.refine(t, r, b) }
func (c *boundChecker) pair(t *tree, l, r int32) bool {
	before := c.lr.df
	ok := c.lr.pair(t, l, r)
	if added := c.lr.df - before; c.testing && added > 0 {
		c.pairs++
		if bound := c.lr.cur.bounds.at(t, r, c.lr.o); added > bound {
			c.t.Fatalf("pair (%d, %d) added %d degrees of freedom, bound %d", l, r, added, bound)
		}
	}
	if c.testing && c.lr.rem < 0 {
		c.t.Fatalf("bound of the rest of the fold went below zero: %d", c.lr.rem)
	}
	return ok
}

// TestCriticalRejects: the critical statistic of every number of degrees
// of freedom (exact and rounded) gives a p-value below the level, and is
// close to the least such statistic.
func TestCriticalRejects(t *testing.T) {
	for _, level := range []float64{0.05, 0.001, 0.5} {
		c := newCritical(level)
		for _, df := range []int{0, 1, 2, 3, 10, 100, 1023, 1024, 1025, 5000, 123457, 1 << 22} {
			x := c.at(df)
			if p := chiSquareSurvival(x, df); !(p < level) {
				t.Errorf("level %v df %d: critical %v has p-value %v", level, df, x, p)
			}
			if df > 0 && df <= criticalExact {
				if p := chiSquareSurvival(x*(1-1e-6), df); p < level*(1-1e-5) {
					t.Errorf("level %v df %d: critical %v is far from the least (p %v just below it)", level, df, x, p)
				}
			}
			if df > 0 && c.at(df-1) > x {
				t.Errorf("level %v: critical value falls from df %d to %d", level, df-1, df)
			}
		}
	}
}

// TestScreenRulesOutOnlyFailures: at every step of whole learnings, a
// merge that screen rules out is one whose first pair stops its fold; and
// screen, which sums the same terms otherwise, rules out nearly all of
// those.
func TestScreenRulesOutOnlyFailures(t *testing.T) {
	for _, tc := range earlyCases() {
		t.Run(tc.name, func(t *testing.T) {
			lr := newLikelihoodRatio(tc.o, tc.d.Alphabet.Len()).(*likelihoodRatio)
			s := newSearch(buildTree(tc.d, tailsFit(tc.o)), lr, tc.o, tc.d.Alphabet.Len())
			var screened, screenedOut, stopped int
			for {
				b, ok := s.blue.largest()
				if !ok {
					break
				}
				lr.blue(s.t, b)
				for i, r := range s.reds[1:] {
					screened++
					_, passes := lr.screen(s.t, r, s.rows[i+1], b)
					lr.reset()
					lr.stopAt(math.Inf(-1))
					stops := !lr.pair(s.t, r, b)
					if stops {
						stopped++
					}
					if !passes {
						screenedOut++
						if !stops {
							t.Fatalf("merge %d <- %d ruled out by screen, but its first pair does not stop the fold", r, b)
						}
					}
				}
				s.step([]int32{b})
			}
			t.Logf("%d merges screened: %d stopped by their first pair, %d of them ruled out by screen", screened, stopped, screenedOut)
			if screenedOut < stopped*95/100 {
				t.Errorf("screen ruled out %d of the %d merges that their first pair stops", screenedOut, stopped)
			}
		})
	}
}
