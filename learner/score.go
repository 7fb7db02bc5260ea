package learner

import "math"

// Prediction is the scoring of one trace. Its slices are reused by
// ScoreInto, so keep a copy if you need them after the next call.
type Prediction struct {
	// States[i] is the state in which Scores[i] was scored: the state
	// before reading symbol i, and for the end score (the last entry when
	// end probabilities are modelled) the state the trace ends in.
	States []int32
	// Scores[i] is the natural log of the probability of symbol i (and, as
	// the last entry when modelled, of ending there).
	Scores []float64
	Sum    float64
	Mean   float64
	Min    float64
	// Fallbacks counts the symbols that had no transition to follow.
	Fallbacks int

	// model scored the trace, and sources[i] says which of its values
	// Scores[i] is: transition e (e), the end at state q (transitions+q),
	// or none (-1, an unseen event). PredictionWriter caches score texts
	// by source.
	model   *Model
	sources []int32
}

// Score scores a trace; see ScoreInto.
func (m *Model) Score(trace []int32) *Prediction {
	p := &Prediction{}
	m.ScoreInto(trace, p)
	return p
}

// ScoreInto scores a trace into p, reusing p's slices. Every symbol of the
// trace is scored, in training and in monitoring alike:
//
//   - a symbol with a transition gets that transition's probability and the
//     trace follows it;
//   - a symbol without one (never seen in that state, or never seen in
//     training at all: Unknown or an id outside the alphabet) gets the
//     smoothed probability of an unseen event there (see prepare), which is
//     below that of any seen event, so an unknown event makes a trace less
//     likely, never more;
//   - the trace then goes on from the start state, as FlexFringe's
//     predictreset does: the model has no state for a history it never saw,
//     so it charges the surprise once and judges what follows afresh. (Going
//     on from the state of the longest readable suffix instead charges a
//     run of one unexpected symbol again and again from the same state: on
//     CTU-13 that put normal windows with a repeated common flow below the
//     k = 4 threshold.)
//   - with CoreScoring, a transition into a sink state is scored, and the
//     trace goes on from the fallback state: the state the model reaches by
//     reading, from the start state and through red states only, the
//     longest suffix of the symbols so far (including this one) that it can
//     read; the start state when there is none. This is where a window that
//     began there would be, and scores never depend on memorised prefix
//     subtrees. The event was seen in training, so its context is kept.
//
// With end probabilities modelled, the last score is that of ending in the
// final state. Scores are always finite.
func (m *Model) ScoreInto(trace []int32, p *Prediction) {
	n := len(trace)
	if m.opts.FinalProb {
		n++
	}
	if cap(p.States) < n {
		p.States = make([]int32, n)
		p.Scores = make([]float64, n)
	}
	if cap(p.sources) < n {
		p.sources = make([]int32, n)
	}
	p.States, p.Scores, p.sources = p.States[:n], p.Scores[:n], p.sources[:n]
	p.model = m
	p.Fallbacks = 0
	q := int32(0)
	sum, minScore := 0.0, math.Inf(1)
	for i, a := range trace {
		p.States[i] = q
		var s float64
		e := m.nextKnown(q, a)
		p.sources[i] = e
		if e >= 0 {
			s = m.logP[e]
			q = m.to[e]
			if m.opts.CoreScoring && !m.red[q] {
				q = m.fallback(trace[:i+1])
			}
		} else {
			s = m.logOther(q, a)
			q = 0
			p.Fallbacks++
		}
		p.Scores[i] = s
		sum += s
		minScore = min(minScore, s)
	}
	if m.opts.FinalProb {
		s := m.logEnd[q]
		p.sources[n-1] = int32(len(m.logP)) + q
		p.States[n-1] = q
		p.Scores[n-1] = s
		sum += s
		minScore = min(minScore, s)
	}
	p.Sum = sum
	p.Mean, p.Min = 0, 0
	if n > 0 {
		p.Mean = sum / float64(n)
		p.Min = minScore
	}
}

// nextKnown is next for any symbol id, known or not.
func (m *Model) nextKnown(q, a int32) int32 {
	if a < 0 || int(a) >= m.alphabet.Len() {
		return -1
	}
	return m.next(q, a)
}

// fallback returns the state reached by the longest proper suffix of h that
// the model can read from the start state through red states only, or the
// start state.
func (m *Model) fallback(h []int32) int32 {
next:
	for j := 1; j < len(h); j++ {
		q := int32(0)
		for _, a := range h[j:] {
			e := m.nextKnown(q, a)
			if e < 0 || !m.red[m.to[e]] {
				continue next
			}
			q = m.to[e]
		}
		return q
	}
	return 0
}

// AddCosts charges each symbol of the scored trace an extra cost from
// outside the automaton (costs[i] for symbol i, in nats, 0 for none): it
// is subtracted from the symbol's score, and Sum, Mean and Min follow.
// The end score, when modelled, is left as it is.
func (p *Prediction) AddCosts(costs []float64) {
	changed := false
	for i, c := range costs {
		if c == 0 || i >= len(p.Scores) {
			continue
		}
		p.Scores[i] -= c
		if i < len(p.sources) {
			p.sources[i] = -1 // no longer the automaton's value alone
		}
		changed = true
	}
	if !changed {
		return
	}
	sum, lowest := 0.0, math.Inf(1)
	for _, s := range p.Scores {
		sum += s
		lowest = min(lowest, s)
	}
	p.Sum, p.Min = sum, lowest
	if len(p.Scores) > 0 {
		p.Mean = sum / float64(len(p.Scores))
	}
}
