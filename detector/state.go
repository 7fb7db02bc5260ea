package detector

import (
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/model"
)

// State is what a Detector carries from one flow to the next: its counts
// and the flows of its unfinished window. A live monitor saves it in its
// checkpoints, and a model that replaces another takes it over, so that the
// windows go on without a gap.
type State struct {
	Flows   int // the host's flows judged so far
	Foreign int // flows left out for not involving the host
	Windows int // windows made so far
	// Seq and Offset are the scorer's place: flows of the current
	// sequence, and the position of its first flow.
	Seq, Offset int
	// Recent are the sequence's last flows (at most a window), oldest
	// first.
	Recent []Recent
}

// Recent is one flow of an unfinished window: what a root cause names of
// it, and the features a model encodes.
type Recent struct {
	Start    int64
	Conn     flows.Connection
	Features flows.Features
}

// State returns the detector's state. It shares nothing with the detector.
func (d *Detector) State() State {
	s := State{Flows: d.flows, Foreign: d.foreign, Windows: d.sc.windows, Seq: d.sc.n, Offset: d.sc.offset}
	n := min(d.sc.n, len(d.refs))
	s.Recent = make([]Recent, 0, n)
	for i := d.flows - n; i < d.flows; i++ {
		r := d.refs[i%len(d.refs)]
		s.Recent = append(s.Recent, Recent{Start: r.start, Conn: r.conn, Features: r.x})
	}
	return s
}

// Restore returns a detector of host's flows judged by m that goes on from
// s, a state of a detector of the same host (by m or by another model):
// the flows of the unfinished window are encoded again by m, and the next
// window is the one the earlier detector would have made next. Only when m's
// window is longer than the flows s kept does the next window start afresh
// with them (as a new sequence: no window mixes flows m did not see).
func Restore(m *model.Model, host netip.Addr, s State) *Detector {
	d := New(m, host)
	recent := s.Recent[max(0, len(s.Recent)-m.Window):]
	d.flows, d.foreign = s.Flows, s.Foreign
	sc := d.sc
	sc.windows, sc.n, sc.offset = s.Windows, s.Seq, s.Offset
	if len(recent) < min(s.Seq, m.Window) {
		sc.offset += s.Seq - len(recent)
		sc.n = len(recent)
	}
	for i, r := range recent {
		pos := d.flows - len(recent) + i // in the host's flows, for the refs
		seq := sc.n - len(recent) + i    // in the sequence, for the ring
		ref := &d.refs[pos%len(d.refs)]
		*ref = flowRef{r.Start, r.Conn, r.Features}
		sc.ring[seq%len(sc.ring)] = m.Encoder.Encode(&ref.x)
		sc.costs[seq%len(sc.costs)] = m.Novelty.Cost(&ref.x, ref.conn.Peer)
	}
	return d
}
