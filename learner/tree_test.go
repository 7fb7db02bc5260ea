package learner

import (
	"fmt"
	"slices"
	"testing"
)

// TestBuildTreeMatchesLinked: the sorted construction lays out exactly the
// tree that inserting the traces one by one and renumbering it does, node
// for node and transition for transition.
func TestBuildTreeMatchesLinked(t *testing.T) {
	windows := func(d *Dataset, size int) *Dataset {
		return &Dataset{Alphabet: d.Alphabet, Symbols: d.Symbols, Spans: AppendWindows(nil, 0, len(d.Symbols), size, 1)}
	}
	only := func(traces ...[]int32) *Dataset {
		d := &Dataset{Alphabet: IntAlphabet(3)}
		for _, tr := range traces {
			d.Add(tr)
		}
		return d
	}
	tests := []struct {
		name  string
		d     *Dataset
		nodes int
	}{
		{"no traces", only(), 1},
		{"empty traces", only(nil, nil, nil), 1},
		{"one trace", only([]int32{2, 0, 1}), 4},
		{"shared prefixes", only([]int32{0, 1}, []int32{0}, []int32{0, 1, 2}, []int32{1}, []int32{0, 2}, nil, []int32{0, 1}), 6},
		{"geometric", geometric(), 11},
		{"sampled PDFA", samplePDFA(3, 10, 7, 2000), -1},
		{"windows", windows(samplePDFA(4, 12, 9, 3000), 10), -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want := buildTree(tc.d, false), buildTreeLinked(tc.d)
			// With tails, the same tree: node for node once every tail is
			// a chain of nodes again, numbered as in the tree without.
			tailed := buildTree(tc.d, true)
			if cap(tailed.rep) != len(tailed.rep) || cap(tailed.tails) != len(tailed.tails) || cap(tailed.eSym)-len(tailed.eSym) != len(tailed.rep)/edgeHeadroom {
				t.Errorf("with tails: room for %d nodes, %d tails and %d transitions; built %d, %d and %d", cap(tailed.rep), cap(tailed.tails), cap(tailed.eSym), len(tailed.rep), len(tailed.tails), len(tailed.eSym))
			}
			if g, w := expanded(tailed), expanded(want); !slices.Equal(g, w) {
				t.Errorf("with tails: %d nodes once expanded, want %d, or they differ", len(g), len(w))
			}
			if tc.nodes < 0 && len(tailed.tails) == 0 {
				t.Errorf("no tails")
			}
			if tc.nodes >= 0 && len(got.rep) != tc.nodes {
				t.Errorf("%d nodes, want %d", len(got.rep), tc.nodes)
			}
			if cap(got.rep) != len(got.rep) {
				t.Errorf("room for %d nodes, %d built: the count ahead is off", cap(got.rep), len(got.rep))
			}
			for _, c := range []struct {
				name      string
				got, want []int32
			}{
				{"rep", got.rep, want.rep}, {"paths", got.paths, want.paths}, {"final", got.final, want.final},
				{"head", got.head, want.head}, {"eSym", got.eSym, want.eSym}, {"eChild", got.eChild, want.eChild},
				{"eCount", got.eCount, want.eCount}, {"next", nexts(got), nexts(want)},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s differs: %d entries, want %d", c.name, len(c.got), len(c.want))
				}
			}
			if len(got.flags) != len(got.rep) {
				t.Errorf("flags have %d entries for %d nodes", len(got.flags), len(got.rep))
			}
			if tc.d.Len() > 0 && got.size(root) != int32(tc.d.Len()) {
				t.Errorf("root size %d, want %d traces", got.size(root), tc.d.Len())
			}
		})
	}
}

// nexts lists each transition's successor in its node's list.
func nexts(t *tree) []int32 {
	out := make([]int32, len(t.eSym))
	for e := range out {
		out[e] = t.next(int32(e))
	}
	return out
}

// expandedNode is a node of a tree with every tail made a chain of nodes:
// its counts and its transitions (symbol, count, target's orig), by orig.
type expandedNode struct {
	paths, final int32
	edges        string
}

// expanded lists t's nodes, tails made chains of nodes, by orig.
func expanded(t *tree) []expandedNode {
	var out []expandedNode
	set := func(id int32, n expandedNode) {
		for int(id) >= len(out) {
			out = append(out, expandedNode{paths: -1})
		}
		out[id] = n
	}
	for q := range t.rep {
		n := expandedNode{paths: t.paths[q], final: t.final[q]}
		for e := t.head[q]; e >= 0; e = t.next(e) {
			to := t.eChild[e]
			if isTail(to) {
				x := t.tails[-2-to]
				to = x.orig
				for pos, id := x.pos, x.orig; ; pos, id = pos+1, id+1 {
					if pos == x.end {
						set(id, expandedNode{final: 1})
						break
					}
					set(id, expandedNode{paths: 1, edges: fmt.Sprintf("%d:1:%d ", t.syms[pos], id+1)})
				}
			} else {
				to = t.orig[to]
			}
			n.edges += fmt.Sprintf("%d:%d:%d ", t.eSym[e], t.eCount[e], to)
		}
		set(t.orig[q], n)
	}
	return out
}
