package model

import "net/netip"

// NoveltyCounter counts what a training sees, one flow at a time; Novelty
// returns the model's Novelty of the flows counted.
type NoveltyCounter struct {
	flows     int
	protocols map[Key]*ProtocolStats
	ports     map[Key]*PortStats
	networks  map[NetKey]*NetStats
	peers     map[netip.Addr]peerSeen
	pairs     map[keyPeer]struct{} // distinct (port or protocol key, peer)
}

// peerSeen is a peer's flow count and the place of its first flow.
type peerSeen struct {
	flows int
	place Key
}

type keyPeer struct {
	key  Key
	peer netip.Addr
}

// NewNoveltyCounter returns an empty counter.
func NewNoveltyCounter() *NoveltyCounter {
	return &NoveltyCounter{protocols: map[Key]*ProtocolStats{}, ports: map[Key]*PortStats{},
		networks: map[NetKey]*NetStats{}, peers: map[netip.Addr]peerSeen{}, pairs: map[keyPeer]struct{}{}}
}

// Add counts one training flow of key k (see KeyOf), with its peer, bytes
// and duration.
func (c *NoveltyCounter) Add(k Key, peer netip.Addr, bytes uint64, duration float64) {
	c.flows++
	pk := k.Protocol()
	ps := c.protocols[pk]
	if ps == nil {
		ps = &ProtocolStats{}
		c.protocols[pk] = ps
	}
	ps.Flows++
	ps.MaxBytes = max(ps.MaxBytes, bytes)
	if duration > ps.MaxDuration { // NaN never is
		ps.MaxDuration = duration
	}
	if c.distinct(pk, peer) {
		ps.Peers++
	}
	if k.HasPort() {
		pt := c.ports[k]
		if pt == nil {
			pt = &PortStats{}
			c.ports[k] = pt
		}
		pt.Flows++
		if c.distinct(k, peer) {
			pt.Peers++
		}
	}
	nk := NetKey{k, NetOf(peer)}
	ns := c.networks[nk]
	if ns == nil {
		ns = &NetStats{}
		c.networks[nk] = ns
	}
	ns.Flows++
	s := c.peers[peer]
	if s.flows == 0 {
		s.place = k
	}
	s.flows++
	c.peers[peer] = s
}

// distinct reports whether peer is new at key k, and remembers it.
func (c *NoveltyCounter) distinct(k Key, peer netip.Addr) bool {
	kp := keyPeer{k, peer}
	if _, ok := c.pairs[kp]; ok {
		return false
	}
	c.pairs[kp] = struct{}{}
	return true
}

// Novelty returns the Novelty of the flows counted so far.
func (c *NoveltyCounter) Novelty() *Novelty {
	n := &Novelty{Flows: c.flows, Protocols: make(map[Key]ProtocolStats, len(c.protocols)),
		Ports: make(map[Key]PortStats, len(c.ports)), Networks: make(map[NetKey]NetStats, len(c.networks)),
		Peers: make(map[netip.Addr]int, len(c.peers))}
	for k, s := range c.protocols {
		n.Protocols[k] = *s
	}
	for k, s := range c.ports {
		n.Ports[k] = *s
	}
	for k, s := range c.networks {
		n.Networks[k] = *s
	}
	for p, s := range c.peers {
		n.Peers[p] = s.flows
		if s.flows == 1 {
			k := NetKey{s.place, NetOf(p)}
			ns := n.Networks[k]
			ns.NewPeers++
			n.Networks[k] = ns
		}
	}
	n.prepare()
	return n
}
