package evaluation

import (
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
)

// Connection identifies a connection as seen from a host: direction, peer
// and destination port.
type Connection struct {
	Direction flows.Direction
	Peer      netip.Addr
	Port      uint16
}

// ConnectionOf returns the connection of a flow seen from a host in
// direction d.
func ConnectionOf(f *flows.Flow, d flows.Direction) Connection {
	return Connection{d, f.Peer(d), f.DstPort}
}

// NewConnection is the baseline detector: it flags a trace that contains a
// connection (direction, peer, destination port) never seen in training,
// and blames the first such flow.
type NewConnection struct {
	seen map[Connection]struct{}
}

// NewNewConnection learns the connections of the training flows, each
// with its direction as seen from its host.
func NewNewConnection() *NewConnection {
	return &NewConnection{seen: map[Connection]struct{}{}}
}

// Learn adds a host's training flows.
func (n *NewConnection) Learn(fl []flows.Flow, dirs []flows.Direction) {
	for i := range fl {
		n.seen[ConnectionOf(&fl[i], dirs[i])] = struct{}{}
	}
}

// Verdicts judges a host's traces.
func (n *NewConnection) Verdicts(fl []flows.Flow, dirs []flows.Direction, spans []learner.Span) []Verdict {
	fresh := make([]bool, len(fl))
	for i := range fl {
		_, ok := n.seen[ConnectionOf(&fl[i], dirs[i])]
		fresh[i] = !ok
	}
	out := make([]Verdict, len(spans))
	for i, sp := range spans {
		out[i] = Verdict{RootCause: -1}
		for j := sp.Start; j < sp.End; j++ {
			if fresh[j] {
				out[i] = Verdict{Flagged: true, RootCause: int(j - sp.Start)}
				break
			}
		}
	}
	return out
}
