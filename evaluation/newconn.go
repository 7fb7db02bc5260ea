package evaluation

import (
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
)

// NewConnection is the baseline detector: it flags a trace that contains a
// connection (direction, peer, destination port) never seen in training,
// and blames the first such flow.
type NewConnection struct {
	seen map[flows.Connection]struct{}
}

// NewNewConnection learns the connections of the training flows, each
// with its direction as seen from its host.
func NewNewConnection() *NewConnection {
	return &NewConnection{seen: map[flows.Connection]struct{}{}}
}

// Learn adds a host's training flows.
func (n *NewConnection) Learn(fl []flows.Flow, dirs []flows.Direction) {
	for i := range fl {
		n.seen[fl[i].ConnectionFrom(dirs[i])] = struct{}{}
	}
}

// Verdicts judges a host's traces.
func (n *NewConnection) Verdicts(fl []flows.Flow, dirs []flows.Direction, spans []learner.Span) []Verdict {
	fresh := make([]bool, len(fl))
	for i := range fl {
		_, ok := n.seen[fl[i].ConnectionFrom(dirs[i])]
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
