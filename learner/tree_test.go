package learner

import (
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
			got, want := buildTree(tc.d), buildTreeLinked(tc.d)
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
