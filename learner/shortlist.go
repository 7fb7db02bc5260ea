package learner

import (
	"cmp"
	"slices"
	"sync"
)

// shortlist returns the merges of blue state b to test in full, as
// candidates numbered from order on in the order of s.reds.
//
// Without MergeCandidates, or with a heuristic that cannot screen, that is
// every red state (but the root, unless MergeRoot). Otherwise each merge is
// screened by its first pair (b with the red state itself): a merge that
// this pair already rules out is dropped, which is exact. If more than
// MergeCandidates are left, they are ranked by the first pair's statistic,
// the most promising refined (see decider.refine) and the MergeCandidates
// best kept, most promising first.
func (s *search) shortlist(d decider, b int32, order int) []candidate {
	k := s.o.MergeCandidates
	list := s.list[:0]
	for i, r := range s.reds {
		if r != root || s.o.MergeRoot {
			list = append(list, candidate{red: r, blue: b, row: s.rows[i], order: order + i})
		}
	}
	s.list = list
	if k <= 0 || d == nil {
		return list
	}
	s.each(d, list, func(d decider, c *candidate) {
		key, ok := d.screen(s.t, c.red, c.row, b)
		c.score = key
		if !ok {
			c.order = -1
		}
	})
	list = slices.DeleteFunc(list, func(c candidate) bool { return c.order < 0 })
	if len(list) <= k {
		return list
	}
	byKey := func(x, y candidate) int {
		return cmp.Or(cmp.Compare(x.score, y.score), cmp.Compare(x.order, y.order))
	}
	if m := refineFactor * k; len(list) > m {
		list = smallest(list, m, byKey)
	}
	s.each(d, list, func(d decider, c *candidate) { c.score = d.refine(s.t, c.red, b) })
	slices.SortFunc(list, byKey)
	return list[:k]
}

// refineFactor times MergeCandidates merges, the most promising by their
// first pair, are refined.
const refineFactor = 8

// parallelFrom is the number of merges from which each shares them out
// among goroutines: below it, starting them costs more than they save.
const parallelFrom = 1024

// each calls f on every candidate of list, with d or one of its forks.
// The candidates are shared out among Workers goroutines; f must only read
// the tree.
func (s *search) each(d decider, list []candidate, f func(decider, *candidate)) {
	w := min(s.o.Workers, len(list)/(parallelFrom/2))
	if w <= 1 {
		for i := range list {
			f(d, &list[i])
		}
		return
	}
	for len(s.forks) < w-1 {
		s.forks = append(s.forks, d.fork())
	}
	var wg sync.WaitGroup
	part := (len(list) + w - 1) / w
	for i := 1; i < w; i++ {
		wg.Go(func() {
			fd := s.forks[i-1]
			for j := i * part; j < min((i+1)*part, len(list)); j++ {
				f(fd, &list[j])
			}
		})
	}
	for j := range min(part, len(list)) {
		f(d, &list[j])
	}
	wg.Wait()
}

// smallest reorders list so that its first m elements are the m smallest
// by cmp (in no particular order) and returns them. It selects in linear
// time on average (quickselect), where sorting the whole list would cost
// n log n for every blue state.
func smallest(list []candidate, m int, cmp func(a, b candidate) int) []candidate {
	lo, hi := 0, len(list) // the m-th smallest is in list[lo:hi]
	for hi-lo > 1 {
		// Median of three as the pivot, then a three-way partition.
		a, b, c := list[lo], list[lo+(hi-lo)/2], list[hi-1]
		if cmp(a, b) > 0 {
			a, b = b, a
		}
		if cmp(b, c) > 0 {
			b = c
			if cmp(a, b) > 0 {
				b = a
			}
		}
		pivot := b
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch d := cmp(list[i], pivot); {
			case d < 0:
				list[lt], list[i] = list[i], list[lt]
				lt++
				i++
			case d > 0:
				gt--
				list[i], list[gt] = list[gt], list[i]
			default:
				i++
			}
		}
		switch {
		case m <= lt:
			hi = lt
		case m > gt:
			lo = gt
		default:
			return list[:m]
		}
	}
	return list[:m]
}
