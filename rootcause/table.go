package rootcause

import (
	"container/heap"
	"maps"
)

// table keeps the entries of the keys with the highest rank, at most max
// of them: the Space-Saving summary (Metwally, Agrawal and El Abbadi,
// 2005) of a stream of keys. While there are no more keys than max it is
// exact. When it is full, a new key takes the place of the entry that
// ranks lowest, and starts from that entry's rank (its own counts start
// from zero): so a key that comes often enough to rank among the top
// ones is kept, however many keys come once, and the counts of every
// entry kept are its own since it was taken in.
type table[K comparable, E any] struct {
	max     int
	at      map[K]*slot[K, E]
	heap    slots[K, E] // lowest rank first
	evicted int         // entries that made room for another
	// below reports whether a ranks below b; inherit gives a new entry
	// the rank of the one it replaces.
	below   func(a, b *E) bool
	inherit func(e *E, from *E)
}

type slot[K comparable, E any] struct {
	key K
	e   E
	i   int // its place in the heap
}

func newTable[K comparable, E any](max int, below func(a, b *E) bool, inherit func(e, from *E)) *table[K, E] {
	return &table[K, E]{max: max, at: map[K]*slot[K, E]{}, heap: slots[K, E]{below: below}, below: below, inherit: inherit}
}

// get returns the entry of k, or nil.
func (t *table[K, E]) get(k K) *E {
	if s := t.at[k]; s != nil {
		return &s.e
	}
	return nil
}

// add returns the entry of k, made by fresh when k has none; when the
// table is full, the lowest ranked entry makes room for it and passes its
// rank on. After changing the entry, call fixed (which puts a new entry
// in its place, too).
func (t *table[K, E]) add(k K, fresh func() E) *E {
	if s := t.at[k]; s != nil {
		return &s.e
	}
	if len(t.at) >= t.max {
		// The lowest, at the heap's root, takes the new key.
		s := t.heap.s[0]
		delete(t.at, s.key)
		t.evicted++
		if t.evicted%(4*t.max) == 0 {
			// A map that keys come into and go out of for ever keeps
			// growing (its deleted slots are not all reused): a copy
			// holds what it holds in the room it needs.
			t.at = maps.Clone(t.at)
		}
		e := fresh()
		t.inherit(&e, &s.e)
		s.key, s.e = k, e
		t.at[k] = s
		return &s.e
	}
	s := &slot[K, E]{key: k, e: fresh(), i: len(t.heap.s)}
	t.heap.s = append(t.heap.s, s)
	t.at[k] = s
	return &s.e
}

// fixed puts k's entry back in its place after its rank changed.
func (t *table[K, E]) fixed(k K) {
	if s := t.at[k]; s != nil {
		heap.Fix(&t.heap, s.i)
	}
}

// each calls fn for every entry, in no order.
func (t *table[K, E]) each(fn func(k K, e *E)) {
	for _, s := range t.heap.s {
		fn(s.key, &s.e)
	}
}

func (t *table[K, E]) len() int { return len(t.at) }

// slots is a heap of slots, lowest rank first.
type slots[K comparable, E any] struct {
	s     []*slot[K, E]
	below func(a, b *E) bool
}

func (h slots[K, E]) Len() int           { return len(h.s) }
func (h slots[K, E]) Less(i, j int) bool { return h.below(&h.s[i].e, &h.s[j].e) }
func (h slots[K, E]) Swap(i, j int) {
	h.s[i], h.s[j] = h.s[j], h.s[i]
	h.s[i].i, h.s[j].i = i, j
}
func (h *slots[K, E]) Push(x any) {
	s := x.(*slot[K, E])
	s.i = len(h.s)
	h.s = append(h.s, s)
}
func (h *slots[K, E]) Pop() any {
	n := len(h.s) - 1
	s := h.s[n]
	h.s[n] = nil
	h.s = h.s[:n]
	return s
}
