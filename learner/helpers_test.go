package learner

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// geometric returns 1024 traces a^n whose counts halve with n: 512 of
// length 0, 256 of length 1, ... 1 of length 9 and 1 of length 10. The
// number of traces of length >= k is 1024 >> k (1 for k = 10).
func geometric() *Dataset {
	d := &Dataset{Alphabet: IntAlphabet(1)}
	add := func(n, times int) {
		tr := make([]int32, n)
		for range times {
			d.Add(tr)
		}
	}
	for n := 0; n < 10; n++ {
		add(n, 512>>n)
	}
	add(10, 1)
	return d
}

// samplePDFA draws n traces from a random PDFA with the given number of
// states and symbols, deterministically from seed.
func samplePDFA(seed uint64, states, symbols, n int) *Dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	next := make([][]int, states)
	prob := make([][]float64, states) // per symbol, then end last
	for q := range states {
		next[q] = make([]int, symbols)
		prob[q] = make([]float64, symbols+1)
		var sum float64
		for a := range symbols {
			next[q][a] = rng.IntN(states)
			if rng.Float64() < 0.4 { // sparse: some symbols impossible
				continue
			}
			prob[q][a] = rng.Float64()
			sum += prob[q][a]
		}
		prob[q][symbols] = 0.15 * (sum + 0.1)
		sum += prob[q][symbols]
		for i := range prob[q] {
			prob[q][i] /= sum
		}
	}
	d := &Dataset{Alphabet: IntAlphabet(symbols)}
	var tr []int32
	for range n {
		tr = tr[:0]
		q := 0
		for len(tr) < 200 {
			u, a := rng.Float64(), 0
			for a = 0; a < symbols; a++ {
				if u < prob[q][a] {
					break
				}
				u -= prob[q][a]
			}
			if a == symbols {
				break
			}
			tr = append(tr, int32(a))
			q = next[q][a]
		}
		d.Add(tr)
	}
	return d
}

func mustLearn(t testing.TB, d *Dataset, o Options) *Model {
	t.Helper()
	m, err := Learn(context.Background(), d, o, nil)
	if err != nil {
		t.Fatalf("Learn: %v", err)
	}
	return m
}

// buildTreeLinked is the plain construction buildTree must agree with:
// traces inserted one by one into linked transition lists, then the tree
// renumbered depth-first with each node's transitions contiguous and
// sorted by symbol.
func buildTreeLinked(d *Dataset) *tree {
	t := &tree{}
	t.grow(1, 0, 0)
	t.newNode()
	for i := range d.Spans {
		q := root
		for _, s := range d.Trace(i) {
			t.paths[q]++
			e := t.edge(q, s)
			if e < 0 {
				e = t.addEdge(q, s, t.newNode(), 0)
			}
			t.eCount[e]++
			q = t.eChild[e]
		}
		t.final[q]++
	}
	c := &tree{}
	c.grow(len(t.rep), len(t.rep)-1, 0)
	type frame struct{ old, in int32 }
	stack := []frame{{root, -1}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		q := c.newNode()
		c.paths[q], c.final[q] = t.paths[f.old], t.final[f.old]
		if f.in >= 0 {
			c.eChild[f.in] = q
		}
		var kids []int32
		for e := t.head[f.old]; e >= 0; e = t.next(e) {
			kids = append(kids, e)
		}
		slices.SortFunc(kids, func(a, b int32) int { return int(t.eSym[a] - t.eSym[b]) })
		first := int32(len(c.eSym))
		for _, e := range kids {
			c.layEdge(t.eSym[e], -1, t.eCount[e])
		}
		if len(kids) > 0 {
			c.endRun(q, first, first+int32(len(kids))-1)
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, frame{t.eChild[kids[i]], first + int32(i)})
		}
	}
	return c
}
