package learner

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// Model is a learned probabilistic deterministic automaton: states with the
// counts seen in training (per outgoing symbol and of trace ends), and the
// probabilities derived from them. State 0 is the start state. States are
// numbered breadth-first from the start, transitions in symbol order, so a
// model's numbering depends only on its structure.
//
// Red states form the merged core; the other states are sinks: parts of the
// prefix tree too rarely seen to merge, kept as they were.
type Model struct {
	opts     Options
	alphabet *Alphabet

	final []int32 // per state: traces ending there
	paths []int32 // per state: traces leaving by a transition
	red   []bool

	// core marks a model reduced by Core: states outside the red core are
	// leaves that keep their counts but not their transitions. symCount
	// holds, per symbol, its occurrences in training (the summed counts of
	// its transitions in the full model), which a core model can no longer
	// sum for itself.
	core     bool
	symCount []int64

	// Transitions in compressed rows: state q's are [first[q], first[q+1]),
	// sorted by symbol.
	first []int32
	sym   []int32
	to    []int32
	count []int32

	// Scoring tables, derived from the counts by prepare.
	logP      []float64 // per transition
	logGlobal []float64 // per symbol: ln(training occurrences + λ)
	logNovel  float64   // ln λ: the weight of a symbol never seen in training
	logUnseen []float64 // per state: ln of its unseen mass over the unseen weights
	logEnd    []float64 // per state

	// dense[denseRow[q]*|alphabet|+a] is q's transition on a (-1: none),
	// when the table is small enough (maxDense entries); else next searches
	// the rows. Only states with transitions have a row (denseRow[q] = -1
	// for the others): in a core model that is the red states, a tenth of
	// all, and the table then stays in the processor's cache.
	dense    []int32
	denseRow []int32
}

// maxDense bounds the dense transition table (16 MiB).
const maxDense = 1 << 22

// newModel extracts the automaton from a merged tree: the representatives
// reachable from the root, numbered breadth-first with each state's
// transitions in symbol order.
//
// It walks the states twice: first to number them and count their
// transitions, then to fill arrays of exactly that size. A tree has many
// more representatives than the model has states (every node of a sink's
// subtree is one), so room for all of them would be reserved and never
// used, at the moment when the tree and the model are both in memory. For
// the same reason the state numbers are kept in the representatives' rep
// entries (-2-id), which are negative in any case, rather than in an array
// over all nodes: newModel consumes the tree (its rows are forgotten).
func newModel(t *tree, alpha *Alphabet, o Options) *Model {
	m := &Model{opts: o, alphabet: alpha}
	// A state is a representative (node >= 0), or a node of a tail: the
	// rest of one trace, t.syms[pos:end], reached once.
	type state struct{ node, pos, end int32 }
	type edge struct {
		sym, count int32
		to         state
	}
	var es []edge
	// children fills es with q's transitions to their representatives, in
	// symbol order.
	children := func(q state) {
		es = es[:0]
		if q.node < 0 {
			if q.pos < q.end {
				es = append(es, edge{t.syms[q.pos], 1, state{-1, q.pos + 1, q.end}})
			}
			return
		}
		for e := t.head[q.node]; e >= 0; e = t.next(e) {
			if t.eCount[e] > 0 {
				to := state{node: -1}
				if c := t.eChild[e]; isTail(c) {
					x := t.tails[-2-c]
					to.pos, to.end = x.pos, x.end
				} else {
					to.node = t.find(c)
				}
				es = append(es, edge{t.eSym[e], t.eCount[e], to})
			}
		}
		slices.SortFunc(es, func(a, b edge) int { return cmp.Compare(a.sym, b.sym) })
	}
	for q, r := range t.rep {
		if r < -1 {
			t.rep[q] = -1
		}
	}
	// id is a representative's state number, -1 for none yet; a tail's
	// state is reached once, and numbered then.
	id := func(q int32) int32 { return -2 - t.rep[q] }
	t.rep[root] = -2
	queue, edges := []state{{node: root}}, 0
	for i := 0; i < len(queue); i++ {
		children(queue[i])
		for _, e := range es {
			if e.to.node < 0 || id(e.to.node) < 0 {
				if e.to.node >= 0 {
					t.rep[e.to.node] = -2 - int32(len(queue))
				}
				queue = append(queue, e.to)
			}
		}
		edges += len(es)
	}
	n := len(queue)
	m.first = make([]int32, 1, n+1)
	m.final = make([]int32, n)
	m.paths = make([]int32, n)
	m.red = make([]bool, n)
	m.sym = make([]int32, 0, edges)
	m.to = make([]int32, 0, edges)
	m.count = make([]int32, 0, edges)
	next := int32(1) // the state number of the next tail state, in queue order
	for i, q := range queue {
		if q.node >= 0 {
			m.final[i], m.paths[i], m.red[i] = t.final[q.node], t.paths[q.node], t.isRed(q.node)
		} else if q.pos == q.end {
			m.final[i] = 1
		} else {
			m.paths[i] = 1
		}
		children(q)
		for _, e := range es {
			to := next
			if e.to.node >= 0 {
				to = id(e.to.node)
			}
			if e.to.node < 0 || to == next {
				next++
			}
			m.sym = append(m.sym, e.sym)
			m.to = append(m.to, to)
			m.count = append(m.count, e.count)
		}
		m.first = append(m.first, int32(len(m.sym)))
	}
	m.prepare()
	return m
}

// prepare derives the scoring tables from the counts.
//
// The smoothing rule: at a state with transitions on d symbols with counts
// c(a), end count f and N = sum c(a) (+ f when end probabilities are
// modelled), with correction λ:
//
//	P(a)   = (c(a) + λ) / D      for a symbol with a transition here
//	P(end) = (f + λ) / D         when end probabilities are modelled
//	D      = N + λ·(d + 2)       (d + 1 without end probabilities)
//
// Every outcome seen at the state gets λ, and everything unseen there
// shares one more λ: U = λ / D. That unseen mass is shared among the
// symbols unseen at the state by their weight in the whole training data,
// g(b) = (number of occurrences of b in training) + λ, with a symbol never
// seen in training (unknown) weighing λ:
//
//	P(b) = U · g(b) / (sum of g over the symbols unseen here + λ)
//
// So a symbol common elsewhere but new in this state is surprising, and a
// symbol never seen at all is much more so; each state's probabilities
// (including the unknown outcome) sum to 1 and none is zero.
func (m *Model) prepare() {
	n := m.NumStates()
	k := m.alphabet.Len()
	lam := m.opts.Correction
	if m.symCount == nil {
		m.symCount = make([]int64, k)
		for e, a := range m.sym {
			m.symCount[a] += int64(m.count[e])
		}
	}
	global := make([]float64, k)
	for a, c := range m.symCount {
		global[a] = float64(c)
	}
	m.logGlobal = make([]float64, k)
	total := lam // the unknown outcome
	for a, c := range global {
		m.logGlobal[a] = math.Log(c + lam)
		total += c + lam
	}
	m.logNovel = math.Log(lam)
	m.logP = make([]float64, len(m.sym))
	m.logUnseen = make([]float64, n)
	m.logEnd = make([]float64, n)
	for q := range n {
		N := float64(m.paths[q])
		deg := float64(m.first[q+1] - m.first[q])
		slots := deg + 1
		if m.opts.FinalProb {
			N += float64(m.final[q])
			slots++
		}
		d := N + lam*slots
		unseenWeight := total
		for e := m.first[q]; e < m.first[q+1]; e++ {
			m.logP[e] = math.Log((float64(m.count[e]) + lam) / d)
			unseenWeight -= global[m.sym[e]] + lam
		}
		m.logUnseen[q] = math.Log(lam/d) - math.Log(math.Max(unseenWeight, lam))
		if m.opts.FinalProb {
			m.logEnd[q] = math.Log((float64(m.final[q]) + lam) / d)
		}
	}
	m.dense, m.denseRow = nil, nil
	rows := 0
	for q := range n {
		if m.first[q+1] > m.first[q] {
			rows++
		}
	}
	if k > 0 && rows*k <= maxDense {
		m.dense = make([]int32, rows*k)
		for i := range m.dense {
			m.dense[i] = -1
		}
		m.denseRow = make([]int32, n)
		r := 0
		for q := range n {
			m.denseRow[q] = -1
			if m.first[q+1] == m.first[q] {
				continue
			}
			m.denseRow[q] = int32(r)
			row := m.dense[r*k : (r+1)*k]
			for e := m.first[q]; e < m.first[q+1]; e++ {
				row[m.sym[e]] = e
			}
			r++
		}
	}
}

// Core returns the model reduced to what scoring with CoreScoring reads:
// the red states with their transitions, and the states those transitions
// reach outside the core as leaves that keep their counts but drop their
// subtrees. Sink subtrees are memorised training traces, usually most of
// the states; the core model is a fraction of the size, loads in a
// fraction of the time, and scores every trace exactly as m does. States
// are renumbered breadth-first. Core fails on a model learned without
// CoreScoring, whose scores walk the sink subtrees.
func (m *Model) Core() (*Model, error) {
	if !m.opts.CoreScoring {
		return nil, errors.New("core model: the model does not score with its core only (core scoring is off)")
	}
	c := &Model{opts: m.opts, alphabet: m.alphabet, core: true, symCount: m.symCount, first: []int32{0}}
	id := map[int32]int32{0: 0}
	queue := []int32{0}
	for i := 0; i < len(queue); i++ {
		q := queue[i]
		c.final = append(c.final, m.final[q])
		c.paths = append(c.paths, m.paths[q])
		c.red = append(c.red, m.red[q])
		if m.red[q] {
			for e := m.first[q]; e < m.first[q+1]; e++ {
				t, seen := id[m.to[e]]
				if !seen {
					t = int32(len(queue))
					id[m.to[e]] = t
					queue = append(queue, m.to[e])
				}
				c.sym = append(c.sym, m.sym[e])
				c.to = append(c.to, t)
				c.count = append(c.count, m.count[e])
			}
		}
		c.first = append(c.first, int32(len(c.sym)))
	}
	c.prepare()
	return c, nil
}

// IsCore reports whether the model was reduced by Core.
func (m *Model) IsCore() bool { return m.core }

// logOther is the log-probability at q of a symbol without a transition
// there (Unknown or out of the alphabet: never seen in training).
func (m *Model) logOther(q int32, a int32) float64 {
	if a < 0 || int(a) >= len(m.logGlobal) {
		return m.logUnseen[q] + m.logNovel
	}
	return m.logUnseen[q] + m.logGlobal[a]
}

// Options returns the options the model was learned with.
func (m *Model) Options() Options { return m.opts }

// Alphabet returns the model's alphabet.
func (m *Model) Alphabet() *Alphabet { return m.alphabet }

// NumStates returns the number of states.
func (m *Model) NumStates() int { return len(m.final) }

// NumRed returns the number of red (core) states.
func (m *Model) NumRed() int {
	n := 0
	for _, r := range m.red {
		if r {
			n++
		}
	}
	return n
}

// Red reports whether state q belongs to the merged core.
func (m *Model) Red(q int) bool { return m.red[q] }

// Counts returns how many training traces left state q by a transition
// (paths) and how many ended there (final).
func (m *Model) Counts(q int) (paths, final int) { return int(m.paths[q]), int(m.final[q]) }

// Transition is one outgoing transition of a state.
type Transition struct {
	Symbol int32
	To     int
	Count  int
	// Prob is the transition's probability under the smoothing rule.
	Prob float64
}

// Transitions returns state q's transitions in symbol order.
func (m *Model) Transitions(q int) []Transition {
	out := make([]Transition, 0, m.first[q+1]-m.first[q])
	for e := m.first[q]; e < m.first[q+1]; e++ {
		out = append(out, Transition{m.sym[e], int(m.to[e]), int(m.count[e]), math.Exp(m.logP[e])})
	}
	return out
}

// EndProb returns the probability of ending at q (0 without FinalProb).
func (m *Model) EndProb(q int) float64 {
	if !m.opts.FinalProb {
		return 0
	}
	return math.Exp(m.logEnd[q])
}

// OtherProb returns the probability at q of symbol a when q has no
// transition on it; a = Unknown gives the probability of a symbol never
// seen in training.
func (m *Model) OtherProb(q int, a int32) float64 { return math.Exp(m.logOther(int32(q), a)) }

// next returns the transition of q on symbol a, or -1.
func (m *Model) next(q int32, a int32) int32 {
	if m.dense != nil {
		r := m.denseRow[q]
		if r < 0 {
			return -1
		}
		return m.dense[int(r)*m.alphabet.Len()+int(a)]
	}
	lo, hi := m.first[q], m.first[q+1]
	if hi-lo <= 8 {
		for e := lo; e < hi; e++ {
			if m.sym[e] == a {
				return e
			}
		}
		return -1
	}
	for lo < hi {
		mid := int32(uint32(lo+hi) >> 1)
		if m.sym[mid] < a {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < m.first[q+1] && m.sym[lo] == a {
		return lo
	}
	return -1
}
