package model

import (
	"errors"
	"math"
	"net/netip"
	"strconv"

	"github.com/netflow-monitor/monitor/flows"
)

// Novelty is what a unit's training saw of destination ports and of
// peers, and how likely a new one was: its score makes a flow on a port
// never seen in training as surprising as the training says new ports
// are.
//
// The probability that a flow brings a key never seen before is Good and
// Turing's estimate from the training: the share of training flows whose
// key occurs exactly once, (n1+1)/(N+2) so that it is never 0 or 1. A
// flow's cost is −ln p for a key never seen and −ln(1−p) for a seen one;
// its score is the automaton's log-probability minus the cost. Port keys
// are direction, protocol and destination port (ports from 49152, IANA's
// dynamic range, are one key; protocols without ports have none). Peer
// keys (direction and peer) only say, in reports, whether a root cause's
// peer was ever seen; they do not change scores.
type Novelty struct {
	Ports    map[string]int `json:"ports"`
	Peers    map[string]int `json:"peers"`
	Flows    int            `json:"flows"`
	PNewPort float64        `json:"p_new_port"`
	PNewPeer float64        `json:"p_new_peer"`
}

// PortKey returns a flow's port key, and false for protocols without
// ports.
func PortKey(x *flows.Features) (string, bool) {
	if !x.Proto.HasPorts() {
		return "", false
	}
	p := int(x.DstPort)
	if p >= 49152 {
		p = 49152
	}
	return strconv.Itoa(int(x.Dir)) + "/" + strconv.Itoa(int(x.Proto)) + "/" + strconv.Itoa(p), true
}

// PeerKey returns the peer key of a connection.
func PeerKey(d flows.Direction, peer netip.Addr) string {
	return strconv.Itoa(int(d)) + "/" + peer.String()
}

// GoodTuring returns the probability that the next of n draws brings a
// key never seen before, when n1 keys were seen exactly once.
func GoodTuring(n1, n int) float64 { return float64(n1+1) / float64(n+2) }

// SeenOnce counts the keys of counts seen exactly once.
func SeenOnce(counts map[string]int) int {
	n1 := 0
	for _, c := range counts {
		if c == 1 {
			n1++
		}
	}
	return n1
}

// NewNovelty makes the novelty of a training from its flows' port and peer
// key counts.
func NewNovelty(ports, peers map[string]int, flows int) *Novelty {
	return &Novelty{Ports: ports, Peers: peers, Flows: flows,
		PNewPort: GoodTuring(SeenOnce(ports), flows), PNewPeer: GoodTuring(SeenOnce(peers), flows)}
}

// Cost returns a flow's novelty cost (at least 0) and whether its port key
// was never seen in training. A nil Novelty costs nothing.
func (n *Novelty) Cost(x *flows.Features) (cost float64, newPort bool) {
	if n == nil {
		return 0, false
	}
	k, ok := PortKey(x)
	if !ok {
		return 0, false
	}
	return PortCost(n.PNewPort, n.Ports[k] == 0), n.Ports[k] == 0
}

// PortCost is the cost of a flow whose port key is new or seen, when new
// keys come with probability p.
func PortCost(p float64, isNew bool) float64 {
	if isNew {
		return -math.Log(p)
	}
	return -math.Log1p(-p)
}

// NewPeer reports whether the peer was never seen in training, in either
// direction.
func (n *Novelty) NewPeer(peer netip.Addr) bool {
	if n == nil {
		return false
	}
	return n.Peers[PeerKey(flows.Inbound, peer)] == 0 && n.Peers[PeerKey(flows.Outbound, peer)] == 0
}

// errNovelty reports a novelty whose probabilities are not in (0, 1).
var errNovelty = errors.New("novelty: p_new_port and p_new_peer must be in (0, 1), flows >= 0")

// validate checks a decoded novelty.
func (n *Novelty) validate() error {
	for _, p := range []float64{n.PNewPort, n.PNewPeer} {
		if !(p > 0 && p < 1) {
			return errNovelty
		}
	}
	if n.Flows < 0 {
		return errNovelty
	}
	return nil
}

// PortCounts returns the training's flow count of each of keys.
func (n *Novelty) PortCounts(keys []string) []int {
	c := make([]int, len(keys))
	for i, k := range keys {
		c[i] = n.Ports[k]
	}
	return c
}

// Says reports whether training never saw a flow's port key, and its peer
// (in either direction). A nil Novelty says nothing is new.
func (n *Novelty) Says(peer netip.Addr, x *flows.Features) (newPort, newPeer bool) {
	if n == nil {
		return false, false
	}
	_, newPort = n.Cost(x)
	return newPort, n.NewPeer(peer)
}
