package learner

// tree is the prefix tree (APTA) being merged into an automaton. It is
// stored flat, every node and every transition an integer index into
// parallel slices, so that a 750k-node tree is a handful of allocations.
//
// Merged states are a union-find forest: rep[n] is the node n was merged
// into (-1 for a class representative). A representative holds the summed
// counts of its class and the union of its transitions; transitions of
// merged-away nodes keep pointing at their original children, so every
// lookup resolves targets with find.
//
// Every change made while merging is recorded in an undo log, so that a
// tested merge is rolled back exactly and cheaply (LIFO).
type tree struct {
	// per node
	rep    []int32 // union-find parent, -1 for representatives
	paths  []int32 // traces that leave the node by a transition
	final  []int32 // traces that end at the node
	head   []int32 // first transition of the node's list, -1 for none
	red    []bool  // part of the automaton's fixed core
	parent []int32 // prefix-tree parent, -1 for the root

	// per transition: symbol, target, count and the next in the list
	eSym   []int32
	eChild []int32
	eCount []int32
	eNext  []int32

	log []undo
}

type undoKind uint8

const (
	undoMerge undoKind = iota // a=left, b=right
	undoCount                 // a=edge, b=count added
	undoEdge                  // a=node whose head edge was added
)

type undo struct {
	kind undoKind
	a, b int32
}

const root int32 = 0

// buildTree builds the prefix tree of the dataset's traces.
func buildTree(d *Dataset) *tree {
	t := &tree{}
	n := len(d.Symbols)/2 + 1
	t.grow(n)
	t.newNode(-1)
	for i := range d.Spans {
		q := root
		for _, s := range d.Trace(i) {
			t.paths[q]++
			e := t.edge(q, s)
			if e < 0 {
				c := t.newNode(q)
				e = t.addEdge(q, s, c, 0)
			}
			t.eCount[e]++
			q = t.eChild[e]
		}
		t.final[q]++
	}
	return t
}

func (t *tree) grow(n int) {
	t.rep = make([]int32, 0, n)
	t.paths = make([]int32, 0, n)
	t.final = make([]int32, 0, n)
	t.head = make([]int32, 0, n)
	t.red = make([]bool, 0, n)
	t.parent = make([]int32, 0, n)
	t.eSym = make([]int32, 0, n)
	t.eChild = make([]int32, 0, n)
	t.eCount = make([]int32, 0, n)
	t.eNext = make([]int32, 0, n)
}

func (t *tree) newNode(parent int32) int32 {
	id := int32(len(t.rep))
	t.rep = append(t.rep, -1)
	t.paths = append(t.paths, 0)
	t.final = append(t.final, 0)
	t.head = append(t.head, -1)
	t.red = append(t.red, false)
	t.parent = append(t.parent, parent)
	return id
}

// addEdge prepends a transition to q's list and returns its index.
func (t *tree) addEdge(q, sym, child, count int32) int32 {
	e := int32(len(t.eSym))
	t.eSym = append(t.eSym, sym)
	t.eChild = append(t.eChild, child)
	t.eCount = append(t.eCount, count)
	t.eNext = append(t.eNext, t.head[q])
	t.head[q] = e
	return e
}

// edge returns q's transition on sym, or -1.
func (t *tree) edge(q, sym int32) int32 {
	for e := t.head[q]; e >= 0; e = t.eNext[e] {
		if t.eSym[e] == sym {
			return e
		}
	}
	return -1
}

// find returns the representative of n's class.
func (t *tree) find(n int32) int32 {
	for t.rep[n] >= 0 {
		n = t.rep[n]
	}
	return n
}

// size is the number of traces that reach n: those that go on plus those
// that end there.
func (t *tree) size(n int32) int32 { return t.paths[n] + t.final[n] }

// fold merges right into left and, recursively, their children on equal
// symbols, so that the result stays deterministic. The heuristic sees every
// pair before right's counts join left's; fold stops and returns false as
// soon as the heuristic finds a pair inconsistent. Every change is logged;
// undo(mark) rolls it back.
func (t *tree) fold(h heuristic, left, right int32) bool {
	if !h.pair(t, left, right) {
		return false
	}
	t.rep[right] = left
	t.paths[left] += t.paths[right]
	t.final[left] += t.final[right]
	t.log = append(t.log, undo{undoMerge, left, right})
	// First all counts and new transitions, as a merge updates the state's
	// data before it recurses into the children.
	for e := t.head[right]; e >= 0; e = t.eNext[e] {
		s, c := t.eSym[e], t.eCount[e]
		if le := t.edge(left, s); le >= 0 {
			t.eCount[le] += c
			t.log = append(t.log, undo{undoCount, le, c})
		} else {
			t.addEdge(left, s, t.eChild[e], c)
			t.log = append(t.log, undo{undoEdge, left, 0})
		}
	}
	for e := t.head[right]; e >= 0; e = t.eNext[e] {
		le := t.edge(left, t.eSym[e])
		a, b := t.find(t.eChild[le]), t.find(t.eChild[e])
		if a != b && !t.fold(h, a, b) {
			return false
		}
	}
	return true
}

// undo rolls the log back to mark.
func (t *tree) undo(mark int) {
	for i := len(t.log) - 1; i >= mark; i-- {
		u := t.log[i]
		switch u.kind {
		case undoMerge:
			t.rep[u.b] = -1
			t.paths[u.a] -= t.paths[u.b]
			t.final[u.a] -= t.final[u.b]
		case undoCount:
			t.eCount[u.a] -= u.b
		case undoEdge:
			e := t.head[u.a]
			t.head[u.a] = t.eNext[e]
			// Undo is LIFO, so the edge is the last one added.
			last := len(t.eSym) - 1
			t.eSym = t.eSym[:last]
			t.eChild = t.eChild[:last]
			t.eCount = t.eCount[:last]
			t.eNext = t.eNext[:last]
		}
	}
	t.log = t.log[:mark]
}
