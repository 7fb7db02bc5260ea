package learner

import "slices"

// tree is the prefix tree (APTA) being merged into an automaton. It is
// stored flat, every node and every transition an integer index into
// parallel slices, so that a tree of a million nodes is a handful of allocations.
//
// Most nodes of a tree of sliding windows are seen by one trace only (nine
// in ten of 8.7 M nodes at 2.1 M windows): the rest of a window that no
// other shares. Such a node and the chain below it are a tail (see tail):
// one reference into the traces' symbols instead of a node and a
// transition per symbol. A merge makes a node of a tail only where it adds
// to the tail's counts.
//
// Merged states are a union-find forest: rep[n] is the node n was merged
// into (negative for a class representative: -1, or -2-row for a red state
// with a dense row, see row). A representative holds the summed
// counts of its class and the union of its transitions; transitions of
// merged-away nodes keep pointing at their original children, so every
// lookup resolves targets with find.
//
// Every change made while testing a merge is recorded in an undo log, so
// that it is rolled back exactly and cheaply (LIFO).
type tree struct {
	// per node
	rep   []int32 // union-find parent; negative for representatives (see row)
	paths []int32 // traces that leave the node by a transition
	final []int32 // traces that end at the node
	head  []int32 // first transition of the node's list, -1 for none
	flags []uint8 // flagRed, flagTemp, flagBlue
	// orig is the node's number in the prefix tree with every node
	// explicit (tails too), depth first: the order in which blue states of
	// equal size are taken, whichever nodes tails have become.
	orig []int32

	// per tail (see tail): what eChild refers to as tailRef(i)
	tails []tail
	// the folds that the merge being tested deferred (see pending)
	pend []pending
	syms []int32 // the traces' symbols, which tails read

	// per transition: symbol, target (a node, or a tail: see tailRef),
	// count. A node's transitions form a
	// list from head (see next): the built ones (index below built) are
	// laid out in runs, one per node, the last of each run marked in ends;
	// those added by merges are prepended, their successor in addedNext.
	eSym      []int32
	eChild    []int32
	eCount    []int32
	built     int32
	ends      []uint64 // one bit per built transition
	addedNext []int32  // per added transition (index - built)

	// Dense rows for red states: per row, the state's transition on each
	// symbol (so that a lookup in a red state, which may have a transition
	// on most of the alphabet, is O(1); other states scan their short
	// lists) and its count, and the state's paths, final and rare counts
	// (the sum of its transition counts below rareBelow, the SymbolCount,
	// so that a test pools a red state's rare symbols without scanning
	// them). The counts and totals mirror the node's, so that screening
	// every red state reads small tables in order.
	alphabet  int
	rareBelow int32
	indexed   bool    // index was called: rows are kept
	rows      []int32 // alphabet entries per row, -1 for no transition
	// colCount holds the rows' counts by symbol, then by row (0 for no
	// transition): screening every red state against one blue state reads,
	// for each of the blue state's symbols, one run of the red states'
	// counts in order. colStride is the room for rows in each run.
	colCount  []int32
	colStride int
	rowPaths  []int32 // per row
	rowFinal  []int32 // per row
	rowRare   []int32 // per row
	// rowMask holds, per row, maskWords words of the symbols counted at
	// least rareBelow times (frequent), then maskWords words of those
	// counted at all: screening reads the red states' counts on the blue
	// state's frequent symbols only, and what the test needs of the
	// others from these (see likelihoodRatio.screenGather).
	rowMask   []uint64
	maskWords int

	// log records the changes of the merge being tested, for undo; of a
	// performed merge, which is never undone, only the states that
	// absorbed others (undoMerge, undoTailMerge), which the frontier reads.
	log     []undo
	pairs   []int32 // fold's notes: (left's, right's) transitions on a shared symbol
	testing bool    // a merge is being tested: its links are temporary

	logPeak     int // the longest log since the last trimLog
	compactSize int // size after the build or the last compaction (see sparse)
}

// Node flags, one byte per node.
const (
	flagRed  uint8 = 1 << iota // part of the automaton's fixed core
	flagTemp                   // merged by the merge being tested (its rep link will be undone)
	flagBlue                   // discovered as a red state's target (see frontier)
)

// isRed reports whether node q is red.
func (t *tree) isRed(q int32) bool { return t.flags[q]&flagRed != 0 }

// setFlag sets or clears flag f of node q.
func (t *tree) setFlag(q int32, f uint8, on bool) {
	if on {
		t.flags[q] |= f
	} else {
		t.flags[q] &^= f
	}
}

// maxRowEntries bounds the memory of the dense rows (64 MiB, and as much
// again at most for their counts); red states beyond it scan their
// transitions.
const maxRowEntries = 1 << 24

type undoKind uint8

const (
	undoMerge     undoKind = iota // a=left, b=right
	undoCount                     // a=edge, b=count added
	undoEdge                      // a=node whose head edge was added
	undoTailMerge                 // a=node, b=paths added, n=final added (a tail's first node folded into a)
	undoTailEdge                  // a=node whose head edge, to the last tail, was added
	undoNode                      // the last node was made of tail b, the target of edge a (with its edge to the last tail, if any)
	undoPending                   // the last pending fold was deferred
)

type undo struct {
	kind    undoKind
	a, b, n int32 // n: the node, for undoCount
}

const root int32 = 0

// A tail stands for a node that one trace alone reaches and the chain of
// nodes below it: the rest of that trace, syms[pos:end], each node seen
// once. Its first node is left by one trace (pos < end) or is where the
// trace ends (pos == end). orig is that node's number in the tree with
// every node explicit; the nodes below follow it (orig+1, ...).
type tail struct{ pos, end, orig int32 }

// maxTails bounds the tails table, so that the references to tails and
// to deferred folds (see deferFold) share the negative numbers: a tree of
// that many tails would take tens of gigabytes.
const maxTails = 1 << 30

// tailRef is how eChild refers to tail i: -2 down to -1-maxTails (-1 is no
// target yet, while the tree is built).
func tailRef(i int32) int32 { return -2 - i }

// isTail reports whether the target c of a transition is a tail.
func isTail(c int32) bool { return c < -1 && c > -2-maxTails }

// pendingRef is how eChild refers to deferred fold k, below the tails.
func pendingRef(k int32) int32 { return -2 - maxTails - k }

// isPending reports whether transition target c is a deferred fold.
func isPending(c int32) bool { return c <= -2-maxTails }

// tailsFit reports whether tails can stand for the nodes seen once under
// options o: such nodes are never tested (StateCount) nor merged as blue
// states (SinkCount), only folded into other states.
func tailsFit(o Options) bool { return o.StateCount >= 2 && o.SinkCount >= 2 }

// A pending fold is one that a tested merge deferred: right (a node, or
// tail x when right is -1) was to be folded into the tail that transition
// le leads to. The tail's nodes are seen once: no pair of such a fold is
// tested, and it changes nothing the test reads unless the test comes back
// to that transition, which then folds it first (see resume). Most tested
// merges never do, and skip making nodes of the tails and folding into
// them. was is le's target before.
type pending struct {
	le, right, was int32
	x              tail
}

// buildTree builds the prefix tree of the dataset's traces, numbered in
// depth-first order (children in symbol order) with each node's
// transitions stored contiguously and sorted by symbol, so that folding a
// subtree and scanning a state's transitions walk memory in order. With
// tails, each node that one trace alone reaches is left as a tail (see
// tail) rather than laid out.
//
// It sorts the traces instead of inserting them one by one: in sorted
// order the traces below a node form one run, its children are the runs of
// equal next symbols, and the tree can be laid out directly in its final
// order and size, without a linked intermediate tree of the same size.
func buildTree(d *Dataset, tails bool) *tree {
	order := make([]int32, d.Len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return slices.Compare(d.Trace(int(a)), d.Trace(int(b))) })
	// In sorted order, the prefixes that trace k shares with another are
	// those it shares with a neighbour: as long as lcp[k-1] or lcp[k] (the
	// longest common prefix with the previous and the next trace). Each
	// prefix is a node; without tails every prefix is one, with tails only
	// the shared ones, and each trace longer than its shared prefixes
	// ends in a tail.
	lcp := func(k int) int {
		if k < 0 || k+1 >= len(order) {
			return 0
		}
		a, b := d.Trace(int(order[k])), d.Trace(int(order[k+1]))
		n := 0
		for n < len(a) && n < len(b) && a[n] == b[n] {
			n++
		}
		return n
	}
	nodes, ntails, prev := 1, 0, 0
	for k, i := range order {
		next, n := lcp(k), len(d.Trace(int(i)))
		switch {
		case !tails:
			nodes += n - prev
		default:
			nodes += max(next-prev, 0)
			if n > max(prev, next) {
				ntails++
			}
		}
		prev = next
	}
	t := &tree{syms: d.Symbols}
	t.grow(nodes, nodes-1+ntails, ntails)

	// A frame is a node to number: the run order[lo:hi] of the traces that
	// share its prefix of length depth, and the transition leading to it
	// (-1 for the root).
	type frame struct{ lo, hi, depth, in int32 }
	stack := []frame{{0, int32(len(order)), 0, -1}}
	id := int32(0) // the node's number in the tree without tails
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if tails && f.in >= 0 && f.hi-f.lo == 1 {
			sp := d.Spans[order[f.lo]]
			pos := sp.Start + f.depth
			t.eChild[f.in] = t.addTail(tail{pos, sp.End, id})
			id += sp.End - pos + 1
			continue
		}
		q := t.newNode()
		t.orig[q] = id
		id++
		if f.in >= 0 {
			t.eChild[f.in] = q
		}
		// Traces that end here sort first.
		i := f.lo
		for i < f.hi && len(d.Trace(int(order[i]))) == int(f.depth) {
			i++
		}
		t.final[q], t.paths[q] = i-f.lo, f.hi-i
		first, pushed := int32(len(t.eSym)), len(stack)
		for i < f.hi {
			s := d.Trace(int(order[i]))[f.depth]
			j := i + 1
			for j < f.hi && d.Trace(int(order[j]))[f.depth] == s {
				j++
			}
			e := t.layEdge(s, -1, j-i) // the child is set when numbered
			stack = append(stack, frame{i, j, f.depth + 1, e})
			i = j
		}
		if last := int32(len(t.eSym)) - 1; last >= first {
			t.endRun(q, first, last)
		}
		// Reversed, so the smallest symbol's subtree is numbered next.
		slices.Reverse(stack[pushed:])
	}
	t.compactSize = t.entries()
	return t
}

// grow gives t empty arrays with room for the given numbers of nodes,
// built transitions and tails, and for the transitions that merges add
// (see edgeHeadroom).
func (t *tree) grow(nodes, edges, tails int) {
	added := nodes / edgeHeadroom
	t.rep = make([]int32, 0, nodes)
	t.paths = make([]int32, 0, nodes)
	t.final = make([]int32, 0, nodes)
	t.head = make([]int32, 0, nodes)
	t.flags = make([]uint8, 0, nodes)
	t.orig = make([]int32, 0, nodes)
	t.eSym = make([]int32, 0, edges+added)
	t.eChild = make([]int32, 0, edges+added)
	t.eCount = make([]int32, 0, edges+added)
	t.ends = make([]uint64, 0, (edges+63)/64)
	t.addedNext = make([]int32, 0, added)
	t.tails = make([]tail, 0, tails)
}

// layEdge appends a built transition, laid out after the last one; all are
// laid out before any is added (addEdge).
func (t *tree) layEdge(sym, child, count int32) int32 {
	e := int32(len(t.eSym))
	t.eSym = append(t.eSym, sym)
	t.eChild = append(t.eChild, child)
	t.eCount = append(t.eCount, count)
	t.built = e + 1
	for len(t.ends)*64 <= int(e) {
		t.ends = append(t.ends, 0)
	}
	return e
}

// endRun makes the built transitions first..last node q's list.
func (t *tree) endRun(q, first, last int32) {
	t.ends[last>>6] |= 1 << (last & 63)
	t.head[q] = first
}

// next returns the transition after e in its node's list, or -1.
func (t *tree) next(e int32) int32 {
	if e >= t.built {
		return t.addedNext[e-t.built]
	}
	if t.ends[e>>6]&(1<<(e&63)) != 0 {
		return -1
	}
	return e + 1
}

// edgeHeadroom: the built tree has room for 1/edgeHeadroom of its nodes
// in more transitions. Merging adds transitions (a state gains those
// of the states folded into it that it lacked): about a quarter more on
// windows of busy services (1.64 M nodes gained 0.44 M). Growing four
// arrays of millions by copying instead leaves tens of MB of garbage at
// the moment the heap is largest.
const edgeHeadroom = 3

func (t *tree) newNode() int32 {
	id := int32(len(t.rep))
	t.rep = append(t.rep, -1)
	t.paths = append(t.paths, 0)
	t.final = append(t.final, 0)
	t.head = append(t.head, -1)
	t.flags = append(t.flags, 0)
	t.orig = append(t.orig, id)
	return id
}

// addTail appends tail x and returns its reference.
func (t *tree) addTail(x tail) int32 {
	t.tails = append(t.tails, x)
	return tailRef(int32(len(t.tails) - 1))
}

// addEdge prepends a transition to q's list and returns its index.
func (t *tree) addEdge(q, sym, child, count int32) int32 {
	e := int32(len(t.eSym))
	t.eSym = append(t.eSym, sym)
	t.eChild = append(t.eChild, child)
	t.eCount = append(t.eCount, count)
	t.addedNext = append(t.addedNext, t.head[q])
	t.head[q] = e
	if t.indexed {
		if r := t.row(q); r >= 0 {
			t.rows[int(r)*t.alphabet+int(sym)] = e
			t.setCount(r, sym, count)
			t.rowRare[r] += t.rareCount(count)
		}
	}
	return e
}

// index prepares the lookup structures used while merging: room for the
// red states' rows.
func (t *tree) index(alphabet, symbolCount int) {
	t.alphabet = alphabet
	t.rareBelow = int32(symbolCount)
	t.maskWords = (alphabet + 63) / 64
	t.indexed = true
}

// addRow gives red state q a dense row, memory permitting.
func (t *tree) addRow(q int32) {
	// An empty alphabet (only empty traces) needs no rows.
	if !t.indexed || t.row(q) >= 0 || t.alphabet == 0 || len(t.rows)+t.alphabet > maxRowEntries {
		return
	}
	r := len(t.rows) / t.alphabet
	for range t.alphabet {
		t.rows = append(t.rows, -1)
	}
	if r == t.colStride {
		// Twice the room, each symbol's run copied to its new place.
		stride := max(64, 2*t.colStride)
		cols := make([]int32, stride*t.alphabet)
		for a := range t.alphabet {
			copy(cols[a*stride:], t.colCount[a*t.colStride:(a+1)*t.colStride])
		}
		t.colCount, t.colStride = cols, stride
	}
	for range 2 * t.maskWords {
		t.rowMask = append(t.rowMask, 0)
	}
	var rare int32
	for e := t.head[q]; e >= 0; e = t.next(e) {
		// The list is newest first: keep the first hit per symbol.
		if i := r*t.alphabet + int(t.eSym[e]); t.rows[i] < 0 {
			t.rows[i] = e
			t.setCount(int32(r), t.eSym[e], t.eCount[e])
			rare += t.rareCount(t.eCount[e])
		}
	}
	t.rowPaths = append(t.rowPaths, t.paths[q])
	t.rowFinal = append(t.rowFinal, t.final[q])
	t.rowRare = append(t.rowRare, rare)
	t.rep[q] = -2 - int32(r)
}

// count returns the place of row r's count on symbol a.
func (t *tree) count(r, a int32) *int32 { return &t.colCount[int(a)*t.colStride+int(r)] }

// setCount sets row r's count on symbol a to v, and its masks' bits.
func (t *tree) setCount(r, a, v int32) {
	*t.count(r, a) = v
	freq, seen := t.masks(r)
	w, bit := a>>6, uint64(1)<<(a&63)
	freq[w] &^= bit
	seen[w] &^= bit
	if v >= t.rareBelow {
		freq[w] |= bit
	}
	if v > 0 {
		seen[w] |= bit
	}
}

// masks returns row r's masks of frequent symbols and of symbols seen.
func (t *tree) masks(r int32) (freq, seen []uint64) {
	i := int(r) * 2 * t.maskWords
	return t.rowMask[i : i+t.maskWords], t.rowMask[i+t.maskWords : i+2*t.maskWords]
}

// row returns the row of node q, or -1. A red state is a class
// representative, whose rep entry is negative in any case: -1 without a
// row, -2-row with one, so that the row costs no memory of its own and is
// read with the entry that find reads anyway.
func (t *tree) row(q int32) int32 {
	if r := t.rep[q]; r <= -2 {
		return -2 - r
	}
	return -1
}

// totals returns node q's paths, final and rare counts (see rowRare), from
// its row where it has one.
func (t *tree) totals(q int32) (paths, final, rare int32) {
	if t.indexed {
		if r := t.row(q); r >= 0 {
			return t.rowPaths[r], t.rowFinal[r], t.rowRare[r]
		}
	}
	for e := t.head[q]; e >= 0; e = t.next(e) {
		rare += t.rareCount(t.eCount[e])
	}
	return t.paths[q], t.final[q], rare
}

func (t *tree) rareCount(c int32) int32 {
	if c < t.rareBelow {
		return c
	}
	return 0
}

// edge returns q's transition on sym, or -1.
func (t *tree) edge(q, sym int32) int32 {
	if t.indexed {
		if r := t.row(q); r >= 0 {
			return t.rows[int(r)*t.alphabet+int(sym)]
		}
	}
	for e := t.head[q]; e >= 0; e = t.next(e) {
		if t.eSym[e] == sym {
			return e
		}
	}
	return -1
}

// find returns the representative of n's class. It compresses the part of
// the path made of permanent links (merges performed, not under test) to
// point at the state that was their representative before the current test,
// which undo never changes.
func (t *tree) find(n int32) int32 {
	r := n
	for t.rep[r] >= 0 && t.flags[r]&flagTemp == 0 {
		r = t.rep[r]
	}
	for n != r {
		next := t.rep[n]
		t.rep[n] = r
		n = next
	}
	for t.rep[r] >= 0 {
		r = t.rep[r]
	}
	return r
}

// rep0 returns the representative of n's class, as find does, but without
// changing the tree, so that goroutines may call it side by side.
func (t *tree) rep0(n int32) int32 {
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
	t.setFlag(right, flagTemp, t.testing)
	t.paths[left] += t.paths[right]
	t.final[left] += t.final[right]
	row := int32(-1)
	if t.indexed {
		if row = t.row(left); row >= 0 {
			t.rowPaths[row] += t.paths[right]
			t.rowFinal[row] += t.final[right]
		}
	}
	t.log = append(t.log, undo{kind: undoMerge, a: left, b: right})
	// First all counts and new transitions, as a merge updates the state's
	// data before it recurses into the children. The children to fold are
	// those on symbols both states had (a new transition leads to right's
	// child itself): their transitions are noted on t.pairs, above the
	// deeper folds' notes, for the second loop.
	base := len(t.pairs)
	for e := t.head[right]; e >= 0; e = t.next(e) {
		if !t.settle(h, right, e) {
			t.pairs = t.pairs[:base]
			return false
		}
		s, c := t.eSym[e], t.eCount[e]
		if le := t.edge(left, s); le >= 0 {
			t.pairs = append(t.pairs, le, e)
			t.addCount(left, le, c)
		} else {
			t.addEdge(left, s, t.eChild[e], c)
			if t.testing {
				t.log = append(t.log, undo{kind: undoEdge, a: left})
			}
		}
	}
	for i, end := base, len(t.pairs); i < end; i += 2 {
		le, e := t.pairs[i], t.pairs[i+1]
		b := t.eChild[e]
		if t.testing && isTail(t.eChild[le]) {
			t.deferFold(le, b)
			continue
		}
		if !t.settle(h, left, le) {
			t.pairs = t.pairs[:base]
			return false
		}
		if isTail(b) {
			if !t.foldTail(h, left, le, t.tails[-2-b]) {
				t.pairs = t.pairs[:base]
				return false
			}
			continue
		}
		a, b := t.target(left, le), t.find(b)
		if a != b && !t.fold(h, a, b) {
			t.pairs = t.pairs[:base]
			return false
		}
	}
	t.pairs = t.pairs[:base]
	return true
}

// deferFold defers the fold of right (a node, or a tail) into the tail
// that transition le leads to, while a merge is tested (see pending).
func (t *tree) deferFold(le, right int32) {
	p := pending{le: le, right: right, was: t.eChild[le]}
	if isTail(right) {
		p.right, p.x = -1, t.tails[-2-right]
	}
	t.deferTail(p)
}

// deferTail records pending fold p.
func (t *tree) deferTail(p pending) {
	t.eChild[p.le] = pendingRef(int32(len(t.pend)))
	t.pend = append(t.pend, p)
	t.log = append(t.log, undo{kind: undoPending})
}

// settle does the fold that transition e of node q has pending, if any
// (see pending): the test has come back to it. False when that fold stops
// the test (it cannot: none of its pairs is tested).
func (t *tree) settle(h heuristic, q, e int32) bool {
	c := t.eChild[e]
	if !isPending(c) {
		return true
	}
	p := t.pend[-2-maxTails-c]
	t.eChild[e] = p.was // a tail; undo restores c (see target)
	n := t.target(q, e)
	t.log[len(t.log)-1].b = c
	if p.right < 0 {
		return t.foldTail(h, q, e, p.x)
	}
	b := t.find(p.right)
	return n == b || t.fold(h, n, b)
}

// foldTail folds tail x into the target of transition le of node q, as
// fold folds the chain of nodes it stands for (false when a pending fold
// it settles stops the test; see settle): each adds one trace to the
// state it joins, and, where that state has no transition on the tail's
// next symbol, the rest of the tail becomes the target of a new one. The
// heuristic does not see the pairs: a tail's node is seen once, below
// StateCount (see tailsFit), so it adds nothing to any test.
func (t *tree) foldTail(h heuristic, q, le int32, x tail) bool {
	for {
		if t.testing && isTail(t.eChild[le]) {
			t.deferTail(pending{le: le, right: -1, was: t.eChild[le], x: x})
			return true
		}
		if !t.settle(h, q, le) {
			return false
		}
		q = t.target(q, le)
		if x.pos == x.end {
			t.addTotals(q, 0, 1)
			return true
		}
		t.addTotals(q, 1, 0)
		s := t.syms[x.pos]
		x = tail{x.pos + 1, x.end, x.orig + 1}
		if le = t.edge(q, s); le < 0 {
			t.addEdge(q, s, t.addTail(x), 1)
			if t.testing {
				t.log = append(t.log, undo{kind: undoTailEdge, a: q})
			}
			return true
		}
		t.addCount(q, le, 1)
	}
}

// addTotals adds paths and final to node q's (and its row's), logged.
func (t *tree) addTotals(q, paths, final int32) {
	t.paths[q] += paths
	t.final[q] += final
	if t.indexed {
		if r := t.row(q); r >= 0 {
			t.rowPaths[r] += paths
			t.rowFinal[r] += final
		}
	}
	t.log = append(t.log, undo{kind: undoTailMerge, a: q, b: paths, n: final})
}

// addCount adds c to the count of node q's transition e (and its row's),
// logged.
func (t *tree) addCount(q, e, c int32) {
	old := t.eCount[e]
	t.eCount[e] = old + c
	if t.indexed {
		if r := t.row(q); r >= 0 {
			t.setCount(r, t.eSym[e], *t.count(r, t.eSym[e])+c)
			t.rowRare[r] += t.rareCount(old+c) - t.rareCount(old)
		}
	}
	if t.testing {
		t.log = append(t.log, undo{kind: undoCount, a: e, b: c, n: q})
	}
}

// target returns the state that transition e of node q leads to. A tail
// there becomes a node first (logged): the state it joins is about to gain
// counts. The node is blue when q is red, as every target of a red state
// is (see frontier).
func (t *tree) target(q, e int32) int32 {
	c := t.eChild[e]
	if !isTail(c) {
		return t.find(c)
	}
	x := t.tails[-2-c]
	n := t.newNode()
	t.orig[n] = x.orig
	if x.pos < x.end {
		t.paths[n] = 1
		t.addEdge(n, t.syms[x.pos], t.addTail(tail{x.pos + 1, x.end, x.orig + 1}), 1)
	} else {
		t.final[n] = 1
	}
	if t.isRed(q) {
		t.setFlag(n, flagBlue, true)
	}
	t.eChild[e] = n
	if t.testing {
		t.log = append(t.log, undo{kind: undoNode, a: e, b: c})
	}
	return n
}

// undo rolls the log back to mark.
func (t *tree) undo(mark int) {
	for i := len(t.log) - 1; i >= mark; i-- {
		u := t.log[i]
		switch u.kind {
		case undoMerge:
			t.rep[u.b] = -1
			t.flags[u.b] &^= flagTemp
			t.paths[u.a] -= t.paths[u.b]
			t.final[u.a] -= t.final[u.b]
			if t.indexed {
				if r := t.row(u.a); r >= 0 {
					t.rowPaths[r] -= t.paths[u.b]
					t.rowFinal[r] -= t.final[u.b]
				}
			}
		case undoCount:
			now := t.eCount[u.a]
			t.eCount[u.a] = now - u.b
			if t.indexed {
				if r := t.row(u.n); r >= 0 {
					t.setCount(r, t.eSym[u.a], *t.count(r, t.eSym[u.a])-u.b)
					t.rowRare[r] += t.rareCount(now-u.b) - t.rareCount(now)
				}
			}
		case undoEdge:
			t.popEdge(u.a)
		case undoTailEdge:
			t.popEdge(u.a)
			t.tails = t.tails[:len(t.tails)-1]
		case undoTailMerge:
			t.paths[u.a] -= u.b
			t.final[u.a] -= u.n
			if t.indexed {
				if r := t.row(u.a); r >= 0 {
					t.rowPaths[r] -= u.b
					t.rowFinal[r] -= u.n
				}
			}
		case undoPending:
			last := len(t.pend) - 1
			t.eChild[t.pend[last].le] = t.pend[last].was
			t.pend = t.pend[:last]
		case undoNode:
			// LIFO: the node is the last one made, its edge (if any) the
			// last one added and its target the last tail.
			t.eChild[u.a] = u.b
			last := len(t.rep) - 1
			if t.head[last] >= 0 {
				t.popEdge(int32(last))
				t.tails = t.tails[:len(t.tails)-1]
			}
			t.rep = t.rep[:last]
			t.paths = t.paths[:last]
			t.final = t.final[:last]
			t.head = t.head[:last]
			t.flags = t.flags[:last]
			t.orig = t.orig[:last]
		}
	}
	t.logPeak = max(t.logPeak, len(t.log))
	t.log = t.log[:mark]
}

// popEdge removes the head of node q's list, which undo's order (LIFO)
// makes the last transition added.
func (t *tree) popEdge(q int32) {
	e := t.head[q]
	t.head[q] = t.next(e)
	if t.indexed {
		if r := t.row(q); r >= 0 {
			t.rows[int(r)*t.alphabet+int(t.eSym[e])] = -1
			t.setCount(r, t.eSym[e], 0)
			t.rowRare[r] -= t.rareCount(t.eCount[e])
		}
	}
	last := len(t.eSym) - 1
	t.eSym = t.eSym[:last]
	t.eChild = t.eChild[:last]
	t.eCount = t.eCount[:last]
	t.addedNext = t.addedNext[:last-int(t.built)]
}

// trimLog gives back the undo log's room when the largest of the tests
// since the last trim used under a quarter of it: the first merges tested
// are the largest, and their log would otherwise be kept to the end.
func (t *tree) trimLog() {
	if cap(t.log) >= 1<<16 && 4*t.logPeak < cap(t.log) {
		t.log = make([]undo, 0, 2*t.logPeak)
	}
	t.logPeak = 0
}
