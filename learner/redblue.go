package learner

import (
	"context"
	"fmt"
	"sort"
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
	h, err := newHeuristic(o, d.Alphabet.Len())
	if err != nil {
		return nil, err
	}
	s := &search{t: buildTree(d), h: h, o: o}
	s.t.red[root] = true
	s.reds = []int32{root}
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
	blues  []int32 // scratch: current non-sink blue states
	merges int
}

// candidate is a scored merge.
type candidate struct {
	red, blue int32
	score     float64
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
		blues := s.collectBlues()
		if len(blues) == 0 {
			break
		}
		if s.o.LargestBlue {
			blues = blues[:1]
		}
		best, found := candidate{}, false
		for _, b := range blues {
			for _, r := range s.reds {
				if r == root && !s.o.MergeRoot {
					continue
				}
				score, ok := s.try(r, b)
				if ok && (!found || score > best.score) {
					best, found = candidate{r, b, score}, true
				}
			}
		}
		if found {
			s.h.reset()
			s.t.fold(s.h, best.red, best.blue)
			s.t.log = s.t.log[:0]
			s.merges++
			continue
		}
		// No consistent merge: the largest blue state becomes red.
		s.t.red[blues[0]] = true
		s.reds = append(s.reds, blues[0])
	}
	if progress != nil {
		progress(len(s.reds), s.merges)
	}
	return nil
}

// try tests the merge of blue b into red r and rolls it back.
func (s *search) try(r, b int32) (float64, bool) {
	s.h.reset()
	mark := len(s.t.log)
	ok := s.t.fold(s.h, r, b)
	var score float64
	if ok {
		score, ok = s.h.result()
	}
	s.t.undo(mark)
	return score, ok
}

// collectBlues returns the blue states that are not sinks, most frequent
// first (ties: oldest node first).
func (s *search) collectBlues() []int32 {
	t := s.t
	bl := s.blues[:0]
	for _, r := range s.reds {
		for e := t.head[r]; e >= 0; e = t.eNext[e] {
			c := t.find(t.eChild[e])
			if t.red[c] || int(t.size(c)) < s.o.SinkCount {
				continue
			}
			bl = append(bl, c)
		}
	}
	sort.Slice(bl, func(i, j int) bool {
		si, sj := t.size(bl[i]), t.size(bl[j])
		if si != sj {
			return si > sj
		}
		return bl[i] < bl[j]
	})
	// A blue state can be the target of several red transitions.
	out := bl[:0]
	for i, b := range bl {
		if i == 0 || b != bl[i-1] {
			out = append(out, b)
		}
	}
	s.blues = out
	return out
}
