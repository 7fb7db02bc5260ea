package learner

import (
	"math"
	"sort"
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

	// Transitions in compressed rows: state q's are [first[q], first[q+1]),
	// sorted by symbol.
	first []int32
	sym   []int32
	to    []int32
	count []int32

	// Scoring tables, derived from the counts by prepare.
	logP     []float64 // per transition
	logOther []float64 // per state: a symbol with no transition, or unknown
	logEnd   []float64 // per state
}

// newModel extracts the automaton from a merged tree: the representatives
// reachable from the root.
func newModel(t *tree, alpha *Alphabet, o Options) *Model {
	m := &Model{opts: o, alphabet: alpha}
	id := map[int32]int32{root: 0}
	queue := []int32{root}
	type edge struct{ sym, child, count int32 }
	var es []edge
	m.first = append(m.first, 0)
	for i := 0; i < len(queue); i++ {
		q := queue[i]
		m.final = append(m.final, t.final[q])
		m.paths = append(m.paths, t.paths[q])
		m.red = append(m.red, t.red[q])
		es = es[:0]
		for e := t.head[q]; e >= 0; e = t.eNext[e] {
			if t.eCount[e] > 0 {
				es = append(es, edge{t.eSym[e], t.find(t.eChild[e]), t.eCount[e]})
			}
		}
		sort.Slice(es, func(a, b int) bool { return es[a].sym < es[b].sym })
		for _, e := range es {
			c, seen := id[e.child]
			if !seen {
				c = int32(len(queue))
				id[e.child] = c
				queue = append(queue, e.child)
			}
			m.sym = append(m.sym, e.sym)
			m.to = append(m.to, c)
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
// modelled), over an alphabet of K symbols, with correction λ:
//
//	P(a)     = (c(a) + λ) / D        for a symbol with a transition
//	P(end)   = (f + λ) / D           when end probabilities are modelled
//	P(other) = λ / D / (K - d + 1)   for each symbol without a transition
//	                                 here, and for the shared "unknown"
//	                                 outcome of symbols never seen in
//	                                 training
//	D        = N + λ·(d + 2)         (d + 1 without end probabilities)
//
// Every outcome seen at the state gets λ, and everything unseen there
// shares one λ, so a sparsely seen state over a large alphabet (flow
// symbols) keeps its mass on what it saw. Each state's probabilities sum to
// 1 and no event has probability zero.
func (m *Model) prepare() {
	n := m.NumStates()
	k := float64(m.alphabet.Len())
	lam := m.opts.Correction
	m.logP = make([]float64, len(m.sym))
	m.logOther = make([]float64, n)
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
		for e := m.first[q]; e < m.first[q+1]; e++ {
			m.logP[e] = math.Log((float64(m.count[e]) + lam) / d)
		}
		// One shared slot for everything unseen here, split evenly among
		// the alphabet's symbols without a transition and the unknown one.
		m.logOther[q] = math.Log(lam/d) - math.Log(k-deg+1)
		if m.opts.FinalProb {
			m.logEnd[q] = math.Log((float64(m.final[q]) + lam) / d)
		}
	}
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

// OtherProb returns the probability at q of any one symbol that has no
// transition there, and of the shared unknown outcome.
func (m *Model) OtherProb(q int) float64 { return math.Exp(m.logOther[q]) }

// next returns the transition of q on symbol a, or -1.
func (m *Model) next(q int32, a int32) int32 {
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
