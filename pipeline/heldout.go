package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
)

// portKeys are a unit's training flows' port keys (see model.PortKey),
// interned: one id per flow (-1 for protocols without ports), and the key
// of each id.
type portKeys struct {
	ids  []int32
	keys []string
}

// counts returns the number of flows of each key among the flows in
// ranges, and how many flows that is.
func (pk *portKeys) counts(ranges [][2]int) ([]int, int) {
	c := make([]int, len(pk.keys))
	n := 0
	for _, r := range ranges {
		for _, id := range pk.ids[r[0]:r[1]] {
			if id >= 0 {
				c[id]++
			}
		}
		n += r[1] - r[0]
	}
	return c, n
}

// costs returns each flow's novelty cost (see model.Novelty) against key
// counts c of a training of n flows.
func (pk *portKeys) costs(c []int, n int) []float64 {
	n1 := 0
	for _, x := range c {
		if x == 1 {
			n1++
		}
	}
	p := model.GoodTuring(n1, n)
	newCost, seenCost := model.PortCost(p, true), model.PortCost(p, false)
	out := make([]float64, len(pk.ids))
	for i, id := range pk.ids {
		switch {
		case id < 0:
		case c[id] == 0:
			out[i] = newCost
		default:
			out[i] = seenCost
		}
	}
	return out
}

// novelty is the model's Novelty of the whole training.
func (pk *portKeys) novelty(peers map[string]int) *model.Novelty {
	c, n := pk.counts([][2]int{{0, len(pk.ids)}})
	ports := make(map[string]int, len(pk.keys))
	for id, k := range pk.keys {
		ports[k] = c[id]
	}
	return model.NewNovelty(ports, peers, n)
}

// scoreSegments scores the windows of the flows in ranges (each a
// sequence of its own) with auto and the flows' costs, calling fn with
// each.
func scoreSegments(auto *learner.Model, c *Config, syms []int32, cost []float64, ranges [][2]int, fn func(*detector.Window) error) error {
	sc := detector.NewScorer(auto, c.Window, c.Stride)
	for _, r := range ranges {
		for i := r[0]; i < r[1]; i++ {
			if w := sc.Add(syms[i], cost[i]); w != nil {
				if err := fn(w); err != nil {
					return err
				}
			}
		}
		if w := sc.End(); w != nil {
			if err := fn(w); err != nil {
				return err
			}
		}
	}
	return nil
}

// heldOut scores every training window with a model that did not learn
// it, for thresholds that describe how the model scores traffic it has
// not memorised: the training's time span is cut into c.Folds blocks of
// equal flow counts; for each block an automaton and the port novelty are
// learned from the other blocks (each host's flows preceding and following
// the block as sequences of their own, with the training's encoder) and the
// block's windows are scored. The folds are jobs of learning (see slots);
// it returns every scored window's sum and least likely flow's score, in
// fold order.
func heldOut(ctx context.Context, c *Config, learning slots, enc *encoded) (sums, mins []float64, err error) {
	times := slices.Clone(enc.starts)
	slices.Sort(times)
	k := c.Folds
	bounds := make([]int64, k+1)
	bounds[0], bounds[k] = math.MinInt64, math.MaxInt64
	for i := 1; i < k; i++ {
		bounds[i] = times[len(times)*i/k]
	}
	times = nil
	type foldScores struct {
		sums, mins []float64
		err        error
	}
	folds := make([]foldScores, k)
	var wg sync.WaitGroup
	for fold := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &folds[fold]
			f.err = learning.do(ctx, func() (err error) {
				f.sums, f.mins, err = heldOutFold(ctx, c, enc, bounds[fold], bounds[fold+1])
				if err != nil {
					return fmt.Errorf("held-out fold %d of %d: %w", fold+1, k, err)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for _, f := range folds {
		if f.err != nil {
			return nil, nil, f.err
		}
		sums, mins = append(sums, f.sums...), append(mins, f.mins...)
	}
	return sums, mins, nil
}

// heldOutFold learns from the flows that started before from or at or
// after until, and scores the windows of the flows in between.
func heldOutFold(ctx context.Context, c *Config, enc *encoded, from, until int64) (sums, mins []float64, err error) {
	var train, test [][2]int
	off := 0
	for _, n := range enc.segments {
		st := enc.starts[off : off+n]
		lo := off + sort.Search(n, func(i int) bool { return st[i] >= from })
		hi := off + sort.Search(n, func(i int) bool { return st[i] >= until })
		for _, r := range [][2]int{{off, lo}, {hi, off + n}} {
			if r[1] > r[0] {
				train = append(train, r)
			}
		}
		if hi > lo {
			test = append(test, [2]int{lo, hi})
		}
		off += n
	}
	if len(train) == 0 || len(test) == 0 {
		return nil, nil, nil
	}
	d := &learner.Dataset{Alphabet: enc.data.Alphabet, Symbols: enc.data.Symbols}
	for _, r := range train {
		d.Spans = learner.AppendWindows(d.Spans, r[0], r[1]-r[0], c.Window, c.Stride)
	}
	if len(d.Spans) == 0 {
		return nil, nil, nil
	}
	auto, err := learner.Learn(ctx, d, c.Learner, nil)
	if err != nil {
		return nil, nil, err
	}
	if auto.Options().CoreScoring {
		if auto, err = auto.Core(); err != nil {
			return nil, nil, err
		}
	}
	counts, n := enc.ports.counts(train)
	cost := enc.ports.costs(counts, n)
	err = scoreSegments(auto, c, enc.data.Symbols, cost, test, func(w *detector.Window) error {
		sums, mins = append(sums, w.Score.Sum), append(mins, w.Score.Min)
		return nil
	})
	return sums, mins, err
}
