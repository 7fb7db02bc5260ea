package learner

// Merging leaves most of the tree behind: every state folded into another
// keeps its node and its transitions, which nothing but the union-find
// links reaches any more, and every tail that a merge made a node of, or
// copied, stays in the table. On windows of a busy service four nodes in
// five and six transitions in seven are such by the end of learning. The
// search compacts the tree when it has grown by an eighth since it was
// last compact, so that it takes memory in proportion to the states alive, at
// a cost in proportion to its growth.

// compactGrowth: the tree is compacted when it has grown by
// 1/compactGrowth, with as much room to grow.
const compactGrowth = 8

// compactFrom is the size (nodes, transitions and tails) below which the
// tree is not compacted: copying it would not pay.
const compactFrom = 1 << 16

// entries is the number of nodes, transitions and tails.
func (t *tree) entries() int { return len(t.rep) + len(t.eSym) + len(t.tails) }

// sparse reports whether the tree has grown by 1/compactGrowth since the last
// compaction (or its build) and is worth compacting.
func (t *tree) sparse() bool {
	n := t.entries()
	return n >= compactFrom && compactGrowth*n >= (compactGrowth+1)*t.compactSize
}

// compact rebuilds the tree with its representatives only, each with its
// transitions in the same list order (laid out as built runs) leading to
// their targets' representatives, and the tails that those transitions
// lead to. Counts, flags, orig, rows and their counts are unchanged, so
// the search goes on exactly as it would have; node numbers change, and
// compact returns the new number of each old node (-1 for one merged
// away). It must not be called while a merge is being tested.
//
// Nodes keep their order, so they move down in place; transitions and
// tails are laid out anew, with room to grow by 1/compactGrowth.
func (t *tree) compact() []int32 {
	// Number the representatives, and point every transition of theirs
	// at its target's representative while the links are there to follow.
	newID := make([]int32, len(t.rep))
	nodes, edges, tails := 0, 0, 0
	for q, r := range t.rep {
		newID[q] = -1
		if r >= 0 {
			continue
		}
		newID[q] = int32(nodes)
		nodes++
		for e := t.head[q]; e >= 0; e = t.next(e) {
			edges++
			if c := t.eChild[e]; isTail(c) {
				tails++
			} else {
				t.eChild[e] = t.find(c)
			}
		}
	}
	old := *t
	room := edges / compactGrowth
	t.eSym = make([]int32, 0, edges+room)
	t.eChild = make([]int32, 0, edges+room)
	t.eCount = make([]int32, 0, edges+room)
	t.ends = make([]uint64, 0, (edges+63)/64)
	t.addedNext = make([]int32, 0, room)
	t.tails = make([]tail, 0, tails+tails/compactGrowth)
	for q, r := range old.rep {
		if r >= 0 {
			continue
		}
		// Node n <= q: its entries are free, or q's own.
		n := newID[q]
		t.rep[n], t.paths[n], t.final[n], t.flags[n], t.orig[n] = r, old.paths[q], old.final[q], old.flags[q], old.orig[q]
		row := old.row(int32(q))
		first := int32(len(t.eSym))
		for e := old.head[q]; e >= 0; e = old.next(e) {
			to := old.eChild[e]
			if isTail(to) {
				to = t.addTail(old.tails[-2-to])
			} else {
				to = newID[to]
			}
			ne := t.layEdge(old.eSym[e], to, old.eCount[e])
			if row >= 0 {
				if i := int(row)*t.alphabet + int(old.eSym[e]); t.rows[i] == e {
					t.rows[i] = ne
				}
			}
		}
		t.head[n] = -1
		if last := int32(len(t.eSym)) - 1; last >= first {
			t.endRun(n, first, last)
		}
	}
	t.rep, t.paths, t.final, t.head, t.flags, t.orig = t.rep[:nodes], t.paths[:nodes], t.final[:nodes], t.head[:nodes], t.flags[:nodes], t.orig[:nodes]
	if 2*nodes < cap(t.rep) {
		// Most nodes were merged away.
		room := nodes + nodes/compactGrowth
		t.rep = append(make([]int32, 0, room), t.rep...)
		t.paths = append(make([]int32, 0, room), t.paths...)
		t.final = append(make([]int32, 0, room), t.final...)
		t.head = append(make([]int32, 0, room), t.head...)
		t.flags = append(make([]uint8, 0, room), t.flags...)
		t.orig = append(make([]int32, 0, room), t.orig...)
	}
	t.compactSize = t.entries()
	return newID
}
