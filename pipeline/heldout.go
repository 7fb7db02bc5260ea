package pipeline

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"sync"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
)

// observations are what the model's novelty reads of each training
// flow, in the order of the training's symbols: its key and peer (indexes
// into keys and peers), bytes and duration.
type observations struct {
	keys  []model.Key
	peers []netip.Addr
	flows []observation
}

type observation struct {
	key, peer int32
	bytes     uint64
	duration  float64
}

// novelty returns the novelty of the flows in ranges.
func (o *observations) novelty(ranges [][2]int) *model.Novelty {
	c := model.NewNoveltyCounter()
	for _, r := range ranges {
		for _, f := range o.flows[r[0]:r[1]] {
			c.Add(o.keys[f.key], o.peers[f.peer], f.bytes, f.duration)
		}
	}
	return c.Novelty()
}

// costs returns each flow's novelty cost against n.
func (o *observations) costs(n *model.Novelty) []float64 {
	out := make([]float64, len(o.flows))
	for i, f := range o.flows {
		x := o.features(f)
		out[i] = n.Cost(&x, o.peers[f.peer])
	}
	return out
}

// features returns what novelty reads of a flow's features.
func (o *observations) features(f observation) flows.Features {
	k := o.keys[f.key]
	x := flows.Features{Dir: k.Dir, Proto: k.Proto, Bytes: f.bytes, Duration: f.duration}
	if k.HasPort() {
		x.DstPort = uint16(k.Port)
	}
	return x
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
// fold order, and how many of the windows hold a symbol their fold's
// training never saw.
func heldOut(ctx context.Context, c *Config, learning slots, enc *encoded) (h heldScores, err error) {
	own := len(enc.starts)
	for _, n := range enc.segments[len(enc.segments)-enc.learnOnly:] {
		own -= n
	}
	times := slices.Clone(enc.starts[:own])
	slices.Sort(times)
	k := c.Folds
	bounds := make([]int64, k+1)
	bounds[0], bounds[k] = math.MinInt64, math.MaxInt64
	for i := 1; i < k; i++ {
		bounds[i] = times[len(times)*i/k]
	}
	// With a cap on the flows a fold learns from, each fold learns from
	// the flows nearest its block: up to half the cap before it and the
	// rest after it (all of one side when the other has fewer).
	lo, hi := make([]int64, k), make([]int64, k)
	for fold := range k {
		lo[fold], hi[fold] = math.MinInt64, math.MaxInt64
		if c.FoldFlows <= 0 {
			continue
		}
		first := sort.Search(len(times), func(i int) bool { return times[i] >= bounds[fold] })
		end := sort.Search(len(times), func(i int) bool { return times[i] >= bounds[fold+1] })
		before, after := first, len(times)-end
		if before+after <= c.FoldFlows {
			continue
		}
		nb := min(before, max(c.FoldFlows/2, c.FoldFlows-after))
		na := c.FoldFlows - nb
		if nb < before {
			lo[fold] = times[before-nb]
		}
		if na < after {
			hi[fold] = times[end+na]
		}
	}
	times = nil
	folds := make([]heldScores, k)
	var wg sync.WaitGroup
	for fold := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &folds[fold]
			f.err = learning.do(ctx, func() (err error) {
				f.sums, f.mins, f.novel, err = heldOutFold(ctx, c, enc, lo[fold], bounds[fold], bounds[fold+1], hi[fold])
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
			return heldScores{}, f.err
		}
		h.sums, h.mins, h.novel = append(h.sums, f.sums...), append(h.mins, f.mins...), h.novel+f.novel
	}
	return h, nil
}

// heldScores are the held-out scores of a unit's training windows: each
// window's sum and least likely flow's score, and how many windows hold a
// symbol their fold never saw (novel).
type heldScores struct {
	sums, mins []float64
	novel      int
	err        error
}

// heldOutFold learns from the flows that started in [lo, from) or [until,
// hi), and scores the windows of the flows in [from, until); novel counts
// the windows that hold a symbol the fold's training never saw.
func heldOutFold(ctx context.Context, c *Config, enc *encoded, lo, from, until, hi int64) (sums, mins []float64, novel int, err error) {
	var train, test [][2]int
	off := 0
	for i, n := range enc.segments {
		if i >= len(enc.segments)-enc.learnOnly {
			train = append(train, [2]int{off, off + n})
			off += n
			continue
		}
		st := enc.starts[off : off+n]
		at := func(t int64) int { return off + sort.Search(n, func(i int) bool { return st[i] >= t }) }
		first, blockStart, blockEnd, last := at(lo), at(from), at(until), at(hi)
		for _, r := range [][2]int{{first, blockStart}, {blockEnd, last}} {
			if r[1] > r[0] {
				train = append(train, r)
			}
		}
		if blockEnd > blockStart {
			test = append(test, [2]int{blockStart, blockEnd})
		}
		off += n
	}
	if len(train) == 0 || len(test) == 0 {
		return nil, nil, 0, nil
	}
	d := &learner.Dataset{Alphabet: enc.data.Alphabet, Symbols: enc.data.Symbols}
	for _, r := range train {
		d.Spans = learner.AppendWindows(d.Spans, r[0], r[1]-r[0], c.Window, c.Stride)
	}
	if len(d.Spans) == 0 {
		return nil, nil, 0, nil
	}
	auto, err := learner.Learn(ctx, d, c.Learner, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	if auto.Options().CoreScoring {
		if auto, err = auto.Core(); err != nil {
			return nil, nil, 0, err
		}
	}
	cost := enc.obs.costs(enc.obs.novelty(train))
	seen := make([]bool, enc.data.Alphabet.Len())
	for _, r := range train {
		for _, a := range enc.data.Symbols[r[0]:r[1]] {
			seen[a] = true
		}
	}
	err = scoreSegments(auto, c, enc.data.Symbols, cost, test, func(w *detector.Window) error {
		sums, mins = append(sums, w.Score.Sum), append(mins, w.Score.Min)
		for _, a := range w.Symbols {
			if !seen[a] {
				novel++
				break
			}
		}
		return nil
	})
	return sums, mins, novel, err
}
