package learner

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Progress receives the learner's progress: red states so far and merges
// performed. It may be nil.
type Progress func(reds, merges int)

// Learn learns a probabilistic deterministic automaton from the traces by
// state merging in the red-blue framework:
//
//   - the prefix tree of the traces is built, with per state the counts of
//     outgoing symbols and of trace ends; the root is red;
//   - blue states are the non-red targets of red states' transitions; a
//     blue state seen fewer than SinkCount times is a sink and never merged;
//   - each step takes the most frequent blue state (or, without LargestBlue,
//     every blue state), scores its merge with every red state (a merge folds
//     the blue subtree into the red state so the result stays deterministic),
//     and performs the best consistent merge; when there is none, the blue
//     state becomes red;
//   - learning stops when no blue state is left that is not a sink.
//
// The result is deterministic: same traces and options, same model.
func Learn(ctx context.Context, d *Dataset, o Options, progress Progress) (*Model, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	if d.Len() == 0 {
		return nil, errors.New("no traces to learn from")
	}
	h, err := newHeuristic(o, d.Alphabet.Len())
	if err != nil {
		return nil, err
	}
	// Tails and deferred folds share the negative references (maxTails):
	// a dataset a quarter that size in symbols has tails only in memory
	// no machine has.
	s := newSearch(buildTree(d, tailsFit(o) && len(d.Symbols) < maxTails/4), h, o, d.Alphabet.Len())
	if err := s.run(ctx, progress); err != nil {
		return nil, err
	}
	return newModel(s.t, d.Alphabet, o), nil
}

// search is the state of one red-blue run.
type search struct {
	t      *tree
	h      heuristic
	o      Options
	reds   []int32 // red states in the order they became red
	rows   []int32 // their rows in the tree (-1 for none)
	blue   *frontier
	merges int
	list   []candidate // shortlist's buffer
	forks  []decider   // the heuristic's forks, for each
}

func newSearch(t *tree, h heuristic, o Options, alphabet int) *search {
	t.index(alphabet, o.SymbolCount)
	s := &search{t: t, h: h, o: o, blue: newFrontier(t, o.SinkCount)}
	s.promote(root)
	return s
}

// promote makes b red; its targets become blue.
func (s *search) promote(b int32) {
	s.t.setFlag(b, flagRed, true)
	s.t.addRow(b)
	s.reds = append(s.reds, b)
	s.rows = append(s.rows, s.t.row(b))
	s.blue.redChildren(b)
}

// candidate is a scored merge. order is its place in the exhaustive
// search's order (by blue state, then by red state), which breaks ties.
type candidate struct {
	red, blue int32
	row       int32 // the red state's row in the tree, -1 for none
	score     float64
	order     int
}

// beats reports whether c is a better merge than o: a higher score, or an
// equal one found first by the exhaustive search.
func (c candidate) beats(o candidate) bool {
	return c.score > o.score || c.score == o.score && c.order < o.order
}

func (s *search) run(ctx context.Context, progress Progress) error {
	for step := 0; ; step++ {
		if step&63 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("learning cancelled: %w", err)
			}
			if progress != nil {
				progress(len(s.reds), s.merges)
			}
		}
		var blues []int32
		if s.o.LargestBlue {
			b, ok := s.blue.largest()
			if !ok {
				break
			}
			blues = []int32{b}
		} else if blues = s.blue.all(); len(blues) == 0 {
			break
		}
		s.step(blues)
	}
	if progress != nil {
		progress(len(s.reds), s.merges)
	}
	return nil
}

// step makes one learning step over blues: the best consistent merge, or,
// when there is none, the largest blue state becomes red.
func (s *search) step(blues []int32) {
	best, found := s.bestMerge(blues)
	s.t.trimLog()
	if !found {
		s.promote(blues[0])
		return
	}
	s.h.reset()
	s.t.fold(s.h, best.red, best.blue)
	s.blue.touchFold(s.t.log)
	s.t.log = s.t.log[:0]
	s.merges++
	if s.t.sparse() {
		s.compact()
	}
}

// compact compacts the tree (see tree.compact) and renumbers the states
// that the search holds.
func (s *search) compact() {
	newID := s.t.compact()
	for i, r := range s.reds {
		s.reds[i] = newID[r]
	}
	s.blue.renumber(newID)
}

// bestMerge tests the merges of each of the blue states with the red
// states of its shortlist and returns the consistent one with the highest
// score (the first of equals in the order of blues and of s.reds).
func (s *search) bestMerge(blues []int32) (candidate, bool) {
	best, found := candidate{}, false
	d, _ := s.h.(decider)
	for i, b := range blues {
		if d != nil {
			d.blue(s.t, b)
		}
		for _, c := range s.shortlist(d, b, i*len(s.reds)) {
			bar := math.Inf(-1)
			if found {
				bar = best.score
			}
			score, ok := s.try(c.red, b, bar)
			c.score = score
			if ok && (!found || c.beats(best)) {
				best, found = c, true
			}
		}
	}
	return best, found
}

// try tests the merge of blue b into red r and rolls it back. A heuristic
// that can decide early stops the fold once the merge is certain to fail
// or to score no more than bar; ok is then false.
func (s *search) try(r, b int32, bar float64) (float64, bool) {
	s.h.reset()
	if d, ok := s.h.(decider); ok {
		d.stopAt(bar)
	}
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
