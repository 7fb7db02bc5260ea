package learner

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestShortlistExact: a shortlist long enough for every merge that its
// first pair does not rule out learns the model the exhaustive search
// learns, byte for byte; and the model never depends on the number of
// workers that screen.
func TestShortlistExact(t *testing.T) {
	for _, tc := range earlyCases() {
		t.Run(tc.name, func(t *testing.T) {
			learn := func(candidates, workers int) []byte {
				o := tc.o
				o.MergeCandidates, o.Workers = candidates, workers
				b, err := mustLearn(t, tc.d, o).MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			exhaustive := learn(0, 1)
			for _, c := range []struct{ candidates, workers int }{{1 << 20, 1}, {1 << 20, 3}} {
				if got := learn(c.candidates, c.workers); !bytes.Equal(got, exhaustive) {
					t.Errorf("%d candidates, %d workers: the model differs from the exhaustive search's", c.candidates, c.workers)
				}
			}
			few := learn(4, 1)
			for _, w := range []int{2, 3} {
				if got := learn(4, w); !bytes.Equal(got, few) {
					t.Errorf("4 candidates: %d workers learn another model than 1", w)
				}
			}
		})
	}
}

// TestSmallest: smallest selects the m smallest candidates (by score, then
// order), whatever the list's order and ties.
func TestSmallest(t *testing.T) {
	byKey := func(x, y candidate) int {
		return cmp.Or(cmp.Compare(x.score, y.score), cmp.Compare(x.order, y.order))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name   string
		n      int
		values int // distinct scores
	}{
		{"one", 1, 1}, {"distinct", 100, 1000}, {"ties", 200, 3}, {"all equal", 50, 1}, {"large", 5000, 100000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := make([]candidate, tc.n)
			for i := range list {
				list[i] = candidate{score: float64(rng.IntN(tc.values)), order: i}
			}
			rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
			want := slices.Clone(list)
			slices.SortFunc(want, byKey)
			for _, m := range []int{1, tc.n / 3, tc.n} {
				if m == 0 {
					continue
				}
				got := slices.Clone(smallest(slices.Clone(list), m, byKey))
				slices.SortFunc(got, byKey)
				if !slices.Equal(got, want[:m]) {
					t.Errorf("m = %d: got %v, want %v", m, got, want[:m])
				}
			}
		})
	}
}
