// Package detector is the monitor's core: it judges one host's flows with
// a unit's model, one flow at a time and in time order, and yields every
// window as it completes, with its scores, its verdict against the model's
// threshold and its root cause: the least likely flow, the automaton state
// in which it was read, and the connection it names.
//
// It reads no files and knows no folders. A batch run feeds it a flow file,
// live monitoring a stream, and training scores its own windows with the
// same Scorer, so that all of them cut the same windows and give the same
// scores.
package detector

import (
	"math"
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
)

// Cause is a window's root cause: its least likely flow.
type Cause struct {
	Index int   // position in the window, 0-based
	State int32 // the automaton state in which the flow was scored
	Flow  int   // the flow's position in the host's flow sequence, 0-based
	// Start and Conn describe the flow: its start (Unix nanoseconds) and
	// the connection it is as seen from the host. Windows of symbols
	// without flows (training) leave them zero.
	Start int64
	Conn  flows.Connection
	// Why says in words what training never saw of the flow (see
	// Explain); nil when nothing of it is new, or until it is asked for:
	// a Detector leaves it to its readers, which need it for a few of a
	// flood's or a scan's windows only.
	Why []string
}

// Window is one scored window. Its slices are reused by the next window of
// the Scorer or Detector that made it: copy what is kept (see Clone).
type Window struct {
	Index int // window number, 0-based, in the order windows complete
	First int // position of its first flow (symbol) in the input
	// Start and End are when the window's first and last flows started
	// (Unix nanoseconds): its span in event time, End being when it
	// completed. Windows of symbols without flows leave them to their
	// maker.
	Start, End int64
	Symbols    []int32 // the window's symbols
	// Flows are the features of the window's flows, one per symbol (nil
	// for windows of symbols without flows), for describing them.
	Flows []flows.Features
	Score learner.Prediction
	// Anomalous is the verdict: the window's log-likelihood (Score.Sum) is
	// below the model's threshold. Set by Detector only.
	Anomalous bool
	Cause     Cause
}

// Clone returns a copy of w that later windows do not change.
func (w *Window) Clone() *Window {
	c := *w
	c.Symbols = append([]int32(nil), w.Symbols...)
	c.Flows = append([]flows.Features(nil), w.Flows...)
	c.Score.States = append([]int32(nil), w.Score.States...)
	c.Score.Scores = append([]float64(nil), w.Score.Scores...)
	return &c
}

// CausePosition returns the root-cause position of a window of n symbols
// scored by scores: the index of its lowest per-symbol score, the first on
// ties. An end-of-trace score (after the n symbols) names no flow and is
// left out.
func CausePosition(scores []float64, n int) int {
	n = min(n, len(scores))
	best := 0
	for i := 1; i < n; i++ {
		if scores[i] < scores[best] {
			best = i
		}
	}
	return best
}

// Scorer cuts symbol sequences into sliding windows as their symbols
// arrive and scores each window with an automaton. Its windows are those of
// learner.AppendWindows: every stride-th run of size symbols, or, for a
// sequence shorter than size, the whole sequence as one short window, given
// by End. Windows never span two sequences.
type Scorer struct {
	auto         *learner.Model
	size, stride int
	ring         []int32   // the sequence's last size symbols, by position mod size
	costs        []float64 // and their costs
	cost         []float64 // the current window's costs
	n            int       // symbols of the current sequence
	offset       int       // position in the input of the sequence's first symbol
	windows      int       // windows so far, over all sequences
	w            Window
}

// NewScorer returns a scorer of windows of size symbols, one every stride
// symbols (both at least 1), scored by auto.
func NewScorer(auto *learner.Model, size, stride int) *Scorer {
	return &Scorer{auto: auto, size: size, stride: stride, ring: make([]int32, size), costs: make([]float64, size)}
}

// Add appends the next symbol of the current sequence, with the cost its
// flow is charged beyond the automaton's score (its novelty, see
// model.Novelty; 0 for none), and returns the window it completes, or
// nil.
func (s *Scorer) Add(sym int32, cost float64) *Window {
	s.ring[s.n%s.size] = sym
	s.costs[s.n%s.size] = cost
	s.n++
	if s.n < s.size || (s.n-s.size)%s.stride != 0 {
		return nil
	}
	s.w.Symbols, s.cost = s.w.Symbols[:0], s.cost[:0]
	for i := s.n - s.size; i < s.n; i++ {
		s.w.Symbols = append(s.w.Symbols, s.ring[i%s.size])
		s.cost = append(s.cost, s.costs[i%s.size])
	}
	return s.score(s.offset + s.n - s.size)
}

// End ends the current sequence. It returns the one short window of a
// sequence that had fewer symbols than the window size, or nil. The next
// Add starts a new sequence.
func (s *Scorer) End() *Window {
	n := s.n
	s.offset += n
	s.n = 0
	if n == 0 || n >= s.size {
		return nil
	}
	s.w.Symbols = append(s.w.Symbols[:0], s.ring[:n]...)
	s.cost = append(s.cost[:0], s.costs[:n]...)
	return s.score(s.offset - n)
}

// Windows returns the number of windows made so far.
func (s *Scorer) Windows() int { return s.windows }

func (s *Scorer) score(first int) *Window {
	w := &s.w
	s.auto.ScoreInto(w.Symbols, &w.Score)
	w.Score.AddCosts(s.cost)
	w.Index, w.First, w.Start, w.End, w.Flows = s.windows, first, 0, 0, w.Flows[:0]
	s.windows++
	i := CausePosition(w.Score.Scores, len(w.Symbols))
	w.Anomalous = false
	w.Cause = Cause{Index: i, State: w.Score.States[i], Flow: first + i}
	return w
}

// Detector judges the flows of one host with a unit's model: it encodes
// each flow as the host sees it, scores every window (see Scorer), flags
// those below the model's threshold and names each window's root cause.
// Flows must come in time order.
type Detector struct {
	m       *model.Model
	host    netip.Addr
	sc      *Scorer
	refs    []flowRef // the last Window flows, by position mod Window
	flows   int
	foreign int
}

// flowRef is what a window says of a flow: its start, the connection it
// is, and its features (so that another model can encode it again, see
// Restore).
type flowRef struct {
	start int64
	conn  flows.Connection
	x     flows.Features
}

// New returns a detector of host's flows judged by m.
func New(m *model.Model, host netip.Addr) *Detector {
	return &Detector{m: m, host: host, sc: NewScorer(m.Automaton, m.Window, m.Stride), refs: make([]flowRef, m.Window)}
}

// who names, for the words of a root cause, whose training m saw: "this
// host" when it is host's own model.
func who(m *model.Model, host netip.Addr) string {
	switch {
	case m.Unit == host.String():
		return "this host"
	case len(m.Members) > 0:
		return "the group " + m.Unit
	}
	return "host " + m.Unit
}

// Model returns the model that judges the flows.
func (d *Detector) Model() *model.Model { return d.m }

// Add judges the next flow and returns the window it completes, or nil.
// A flow that does not involve the host is counted (Foreign) and left out.
// The window is valid until the next call.
func (d *Detector) Add(f *flows.Flow) *Window {
	dir, ok := f.DirectionFrom(d.host)
	if !ok {
		d.foreign++
		return nil
	}
	r := &d.refs[d.flows%len(d.refs)]
	*r = flowRef{f.Start, f.ConnectionFrom(dir), f.Features(dir)}
	d.flows++
	cost := d.m.Novelty.Cost(&r.x, r.conn.Peer)
	return d.judge(d.sc.Add(d.m.Encoder.Encode(&r.x), cost))
}

// End ends the host's flows: it returns the one short window of a host
// with fewer flows than the model's window, or nil.
func (d *Detector) End() *Window { return d.judge(d.sc.End()) }

// Next returns where the next window starts: the position of its first
// flow in the host's flows, and that flow's start when it was judged
// already (else math.MaxInt64). No window to come holds a flow before
// that position, or blames one that starts before that start or before
// the flows still to come.
func (d *Detector) Next() (first int, start int64) {
	sc := d.sc
	at := 0 // in the current sequence
	if sc.n >= sc.size {
		at = ((sc.n-sc.size)/sc.stride + 1) * sc.stride
	}
	first = sc.offset + at
	if first >= d.flows {
		return first, math.MaxInt64
	}
	return first, d.refs[first%len(d.refs)].start
}

// Flows returns the number of the host's flows judged so far.
func (d *Detector) Flows() int { return d.flows }

// Foreign returns the number of flows left out for not involving the host.
func (d *Detector) Foreign() int { return d.foreign }

// Windows returns the number of windows judged so far.
func (d *Detector) Windows() int { return d.sc.Windows() }

func (d *Detector) judge(w *Window) *Window {
	if w == nil {
		return nil
	}
	w.Anomalous = d.m.Anomalous(w.Score.Sum, w.Score.Min)
	w.Start = d.refs[w.First%len(d.refs)].start
	w.End = d.refs[(w.First+len(w.Symbols)-1)%len(d.refs)].start
	for i := range w.Symbols {
		w.Flows = append(w.Flows, d.refs[(w.First+i)%len(d.refs)].x)
	}
	r := &d.refs[w.Cause.Flow%len(d.refs)]
	w.Cause.Start, w.Cause.Conn = r.start, r.conn
	return w
}

// Explain says in words what training never saw of a window's root-cause
// flow, judged by m for host (see model.Novelty.Explain); nil when
// nothing of it is new.
func Explain(m *model.Model, host netip.Addr, w *Window) []string {
	c := &w.Cause
	if c.Index >= len(w.Flows) {
		return nil
	}
	return m.Novelty.Explain(&w.Flows[c.Index], c.Conn.Peer, who(m, host))
}

// Spans returns the windows of consecutive symbol sequences of the given
// lengths, stored one after another (see learner.AppendWindows): the
// windows a Scorer makes of them, as spans of the whole.
func Spans(lengths []int, size, stride int) []learner.Span {
	var spans []learner.Span
	off := 0
	for _, n := range lengths {
		spans = learner.AppendWindows(spans, off, n, size, stride)
		off += n
	}
	return spans
}
