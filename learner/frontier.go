package learner

import (
	"slices"
	"sort"
)

// frontier tracks the blue states: representatives that are not red and
// are the target of a red state's transition. A state stays blue until it
// is promoted or merged away, so blues are discovered incrementally (when a
// state turns red, and when a merge gives red states new transitions) and
// kept in a max-heap by size with lazy invalidation: an entry is stale when
// its state changed since it was pushed. Each step then costs O(log n)
// instead of a scan of every red state's transitions.
type frontier struct {
	t         *tree
	sinkCount int32
	heap      []blueEntry // max by size, then min by orig
	touched   []int32     // touchFold's buffer
}

// blueEntry is a blue state pushed with its size and orig (see tree.orig).
type blueEntry struct{ size, orig, node int32 }

func newFrontier(t *tree, sinkCount int) *frontier {
	return &frontier{t: t, sinkCount: int32(sinkCount)}
}

// before orders the heap: larger first, then the node that comes first
// in the prefix tree.
func before(a, b blueEntry) bool {
	if a.size != b.size {
		return a.size > b.size
	}
	return a.orig < b.orig
}

func (f *frontier) push(n int32) {
	size := f.t.size(n)
	if size < f.sinkCount {
		return // a sink: not a merge candidate (it may grow later and be pushed again)
	}
	h := append(f.heap, blueEntry{size, f.t.orig[n], n})
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !before(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	f.heap = h
}

func (f *frontier) pop() {
	h := f.heap
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	f.down(h, 0)
	f.heap = h
}

// down moves h[i] down to its place in heap h.
func (f *frontier) down(h []blueEntry, i int) {
	for {
		l, best := 2*i+1, i
		if l < len(h) && before(h[l], h[best]) {
			best = l
		}
		if r := l + 1; r < len(h) && before(h[r], h[best]) {
			best = r
		}
		if best == i {
			return
		}
		h[i], h[best] = h[best], h[i]
		i = best
	}
}

func (f *frontier) valid(e blueEntry) bool {
	t := f.t
	n := e.node
	return t.rep[n] < 0 && t.flags[n]&(flagRed|flagBlue) == flagBlue && t.size(n) == e.size
}

// redChildren discovers the blue targets of red state r. A tail is seen
// once, below SinkCount: it is never merged as a blue state, and becomes
// one when it becomes a node (see tree.target).
func (f *frontier) redChildren(r int32) {
	t := f.t
	for e := t.head[r]; e >= 0; e = t.next(e) {
		if isTail(t.eChild[e]) {
			continue
		}
		c := t.find(t.eChild[e])
		if !t.isRed(c) {
			t.setFlag(c, flagBlue, true)
			f.push(c)
		}
	}
}

// touchFold updates the frontier after a permanent merge, from the merge's
// log: red states that absorbed others may have new blue targets, and blue
// states that absorbed others have grown.
func (f *frontier) touchFold(log []undo) {
	t := f.t
	// The representatives that absorbed states, each once.
	f.touched = f.touched[:0]
	for _, u := range log {
		if u.kind == undoMerge || u.kind == undoTailMerge {
			f.touched = append(f.touched, t.find(u.a))
		}
	}
	slices.Sort(f.touched)
	for _, c := range slices.Compact(f.touched) {
		if t.isRed(c) {
			f.redChildren(c)
		} else if t.flags[c]&flagBlue != 0 {
			f.push(c)
		}
	}
}

// renumber follows a compaction of the tree (see tree.compact): entries
// of states merged away are dropped, the others renumbered, and the heap
// rebuilt; the order of entries is by size and orig, which do not change.
func (f *frontier) renumber(newID []int32) {
	h := f.heap[:0]
	for _, e := range f.heap {
		if n := newID[e.node]; n >= 0 {
			e.node = n
			h = append(h, e)
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		f.down(h, i)
	}
	f.heap = h
}

// largest returns the most frequent blue state that is not a sink.
func (f *frontier) largest() (int32, bool) {
	for len(f.heap) > 0 {
		if e := f.heap[0]; f.valid(e) {
			return e.node, true
		}
		f.pop()
	}
	return 0, false
}

// all returns every blue state that is not a sink, most frequent first.
func (f *frontier) all() []int32 {
	var out []int32
	seen := map[int32]bool{}
	for _, e := range f.heap {
		if f.valid(e) && !seen[e.node] {
			seen[e.node] = true
			out = append(out, e.node)
		}
	}
	t := f.t
	sort.Slice(out, func(i, j int) bool {
		return before(blueEntry{t.size(out[i]), t.orig[out[i]], out[i]}, blueEntry{t.size(out[j]), t.orig[out[j]], out[j]})
	})
	return out
}
