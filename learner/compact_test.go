package learner

import (
	"bytes"
	"testing"
)

// TestCompactKeepsModel: compacting the tree after every step of a
// learning changes nothing: the model is the one Learn learns, byte for
// byte, and the tree after the last compaction holds its representatives
// only.
func TestCompactKeepsModel(t *testing.T) {
	for _, tc := range treeCases() {
		t.Run(tc.name, func(t *testing.T) {
			want, err := mustLearn(t, tc.d, tc.o).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			h, err := newHeuristic(tc.o, tc.d.Alphabet.Len())
			if err != nil {
				t.Fatal(err)
			}
			s := newSearch(buildTree(tc.d, tailsFit(tc.o)), h, tc.o, tc.d.Alphabet.Len())
			compactions := 0
			for {
				b, ok := s.blue.largest()
				if !ok {
					break
				}
				s.step([]int32{b})
				s.compact()
				compactions++
			}
			for q, r := range s.t.rep {
				if r >= 0 {
					t.Fatalf("node %d merged into %d after a compaction", q, r)
				}
			}
			got, err := newModel(s.t, tc.d.Alphabet, tc.o).MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("compacted after each of %d steps: the model differs from Learn's", compactions)
			}
		})
	}
}

// TestTailsKeepModel: a tree with tails learns the model that the same
// tree with every node laid out learns, byte for byte; and without tails
// (StateCount 1, where a node seen once is tested) learning still works
// with compaction.
func TestTailsKeepModel(t *testing.T) {
	for _, tc := range treeCases() {
		t.Run(tc.name, func(t *testing.T) {
			learn := func(tails bool) []byte {
				h, err := newHeuristic(tc.o, tc.d.Alphabet.Len())
				if err != nil {
					t.Fatal(err)
				}
				s := newSearch(buildTree(tc.d, tails), h, tc.o, tc.d.Alphabet.Len())
				if err := s.run(t.Context(), nil); err != nil {
					t.Fatal(err)
				}
				b, err := newModel(s.t, tc.d.Alphabet, tc.o).MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			without := learn(false)
			if !tailsFit(tc.o) {
				return
			}
			if with := learn(true); !bytes.Equal(with, without) {
				t.Error("the model learned with tails differs from the one without")
			}
		})
	}
}

// treeCases are earlyCases and one with StateCount 1, where a tree has no
// tails (see tailsFit).
func treeCases() []struct {
	name string
	d    *Dataset
	o    Options
} {
	cases := earlyCases()
	one := cases[0]
	one.name, one.o.StateCount = "state count 1", 1
	return append(cases, one)
}
