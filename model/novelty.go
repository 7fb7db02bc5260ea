package model

import (
	"math"
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
)

// Novelty is what a unit's training saw of protocols, ports and peers, and
// of the sizes and durations of its flows: it prices what is new in a
// flow, so that a flow's score says how surprising it is for this unit
// and not only for the automaton, which sees every never-seen symbol
// alike.
//
// A flow's novelty cost is a sum of parts that go from the general to the
// specific, each −ln of the probability, estimated from the training, that
// the next flow brings something new at that level:
//
//   - protocol: the flow's protocol was never seen in its direction,
//     priced at the rate at which new protocols came in that direction;
//   - port: its destination port was never used with that direction and
//     protocol (ports from 49152, IANA's dynamic range, are one port; a
//     protocol without ports has none), priced at the rate at which new
//     ports came with that protocol, or, for a new protocol, at the lowest
//     rate of the direction's protocols;
//   - peer: its peer was never seen, in either direction, priced at the
//     rate at which new peers came from the peer's network (its /24, or
//     /64 for IPv6) on the flow's port (for a protocol without ports, on
//     its protocol), or, from a network never seen there, at the rate at
//     which new networks came on that port: a new web server of a
//     workstation, or a new pod of a database's clients, costs little; a
//     new host in a network whose hosts are always the same costs a lot.
//     On a new port, or with a new protocol, it costs at least what it
//     would on any of the protocol's (the direction's) ports, and at least
//     what the unit's rate of new peers says;
//   - size and duration: ln(value / largest in training) for a flow larger
//     or longer than any of its direction and protocol in training (for a
//     new protocol, than any of its direction's), weighed by N / (N + 1000)
//     for a largest taken from N flows: the largest of a few flows says
//     little of what is beyond it.
//
// A rate is Good and Turing's: the share of training flows whose key (or
// peer) occurs exactly once, (n1 + 1) / (N + 2), and at most 1/2. What was
// seen costs nothing, so every part is at least 0; and a flow whose
// protocol, port or peer is never seen never costs less than the same flow
// with a seen one.
type Novelty struct {
	// Flows is the number of training flows.
	Flows int
	// Protocols holds, per direction and protocol, what training saw.
	Protocols map[Key]ProtocolStats
	// Ports holds, per port key of a protocol with ports, what training
	// saw.
	Ports map[Key]PortStats
	// Networks holds, per place (a port key, or the key of a protocol
	// without ports) and network of peers, what training saw.
	Networks map[NetKey]NetStats
	// Peers counts the training flows of each peer, in either direction.
	Peers map[netip.Addr]int

	// Derived by prepare: the rates of new things, as costs.
	peerCost   float64     // a new peer, at the unit's rate
	dirs       [2]dirRates // by direction
	protoRates map[Key]protoRates
	places     map[Key]float64    // a new network at a place
	nets       map[NetKey]float64 // a new peer of a network at a place
	netFloors  map[NetKey]float64 // per protocol (and per direction) and network: the highest of its places
	// For the words (see Explain): the port keys of each protocol, and
	// the protocols (without direction).
	portsOf map[Key]int
	protos  map[flows.Protocol]bool
}

// dirRates are what a new protocol in one direction costs: new protocols,
// new ports (the lowest rate of the direction's protocols), a new peer at
// least (the highest cost at any of its places), and the largest bytes and
// duration of its flows.
type dirRates struct {
	proto, port float64 // costs
	peerFloor   float64
	largest     ProtocolStats
}

// protoRates are what a new port of a protocol costs, and a new peer on
// it at least: the highest cost of a new network at any of its places.
type protoRates struct {
	port, peerFloor float64
}

// ProtocolStats is what training saw of one direction and protocol.
type ProtocolStats struct {
	Flows int `json:"flows"`
	// Peers is the number of distinct peers.
	Peers int `json:"peers"`
	// MaxBytes and MaxDuration are the largest flow's bytes and the
	// longest flow's duration (seconds).
	MaxBytes    uint64  `json:"max_bytes"`
	MaxDuration float64 `json:"max_duration"`
}

// PortStats is what training saw of one port key.
type PortStats struct {
	Flows int `json:"flows"`
	Peers int `json:"peers"`
}

// NetStats is what training saw of one network at one place: its flows,
// and how many of them came from a peer with no other flow in the whole
// training.
type NetStats struct {
	Flows    int `json:"flows"`
	NewPeers int `json:"new_peers"`
}

// NetKey is a network of peers at a place.
type NetKey struct {
	Place Key
	Net   netip.Prefix
}

// NetOf returns the network of a peer: its /24, or /64 for IPv6.
func NetOf(peer netip.Addr) netip.Prefix {
	peer = peer.Unmap()
	bits := 64
	if peer.Is4() {
		bits = 24
	}
	p, _ := peer.Prefix(bits)
	return p
}

// GoodTuring returns the probability that the next of n draws brings a
// key never seen before, when n1 keys were seen exactly once:
// (n1 + 1) / (n + 2), and at most 1/2, so that a new key never costs
// less than a seen one.
func GoodTuring(n1, n int) float64 { return min(float64(n1+1)/float64(n+2), 0.5) }

// gtCost is −ln of GoodTuring.
func gtCost(n1, n int) float64 { return -math.Log(GoodTuring(n1, n)) }

// prepare derives the costs of new things from the counts.
func (n *Novelty) prepare() {
	type acc struct{ flows, once int }
	var dirProtos, dirPorts [2]acc
	perProto := map[Key]acc{}
	n.portsOf = map[Key]int{}
	for k, s := range n.Ports {
		n.portsOf[k.Protocol()]++
		a := perProto[k.Protocol()]
		a.flows += s.Flows
		dirPorts[k.Dir&1].flows += s.Flows
		if s.Flows == 1 {
			a.once++
			dirPorts[k.Dir&1].once++
		}
		perProto[k.Protocol()] = a
	}
	n.protos = map[flows.Protocol]bool{}
	for k, s := range n.Protocols {
		n.protos[k.Proto] = true
		dirProtos[k.Dir&1].flows += s.Flows
		if s.Flows == 1 {
			dirProtos[k.Dir&1].once++
		}
	}
	// Places: their flows and networks seen once.
	places := map[Key]acc{}
	for k, s := range n.Networks {
		a := places[k.Place]
		a.flows += s.Flows
		if s.Flows == 1 {
			a.once++
		}
		places[k.Place] = a
	}
	n.places = make(map[Key]float64, len(places))
	for k, a := range places {
		n.places[k] = gtCost(a.once, a.flows)
	}
	n.nets = make(map[NetKey]float64, len(n.Networks))
	n.netFloors = map[NetKey]float64{}
	for k, s := range n.Networks {
		c := gtCost(s.NewPeers, s.Flows)
		n.nets[k] = c
		for _, f := range []NetKey{{k.Place.Protocol(), k.Net}, {dirKey(k.Place.Dir), k.Net}} {
			n.netFloors[f] = max(n.netFloors[f], c)
		}
	}
	for d := range n.dirs {
		n.dirs[d] = dirRates{proto: gtCost(dirProtos[d].once, dirProtos[d].flows),
			port: gtCost(dirPorts[d].once, dirPorts[d].flows)}
	}
	n.protoRates = make(map[Key]protoRates, len(n.Protocols))
	for k, s := range n.Protocols {
		var r protoRates
		if a, ok := perProto[k]; ok {
			r.port = gtCost(a.once, a.flows)
		}
		for place, c := range n.places {
			if place.Protocol() == k {
				r.peerFloor = max(r.peerFloor, c)
			}
		}
		n.protoRates[k] = r
		d := &n.dirs[k.Dir&1]
		d.port = max(d.port, r.port)
		d.peerFloor = max(d.peerFloor, r.peerFloor)
		d.largest.Flows += s.Flows
		d.largest.MaxBytes = max(d.largest.MaxBytes, s.MaxBytes)
		d.largest.MaxDuration = max(d.largest.MaxDuration, s.MaxDuration)
	}
	once := 0
	for _, c := range n.Peers {
		if c == 1 {
			once++
		}
	}
	n.peerCost = gtCost(once, n.Flows)
}

// dirKey is the key standing for a whole direction in netFloors.
func dirKey(d flows.Direction) Key { return Key{Dir: d, Proto: 255, Port: NoPort - 1} }

// Facts are what is new about a flow, and its cost.
type Facts struct {
	NewProtocol, NewPort, NewPeer bool
	// Larger and Longer: the flow's bytes or duration are beyond the
	// largest of its protocol in training (of its direction's, for a new
	// protocol).
	Larger, Longer bool
	// Cost is the flow's novelty cost, the sum of the parts.
	Cost float64
}

// Cost returns a flow's novelty cost (see Novelty). A nil Novelty costs
// nothing.
func (n *Novelty) Cost(x *flows.Features, peer netip.Addr) float64 {
	return n.Facts(x, peer).Cost
}

// Facts returns what is new about a flow with features x and peer, and
// its cost. A nil Novelty says nothing is new.
func (n *Novelty) Facts(x *flows.Features, peer netip.Addr) Facts {
	var f Facts
	if n == nil {
		return f
	}
	k := KeyOf(x)
	pk := k.Protocol()
	dir := &n.dirs[x.Dir&1]
	largest := dir.largest
	net := NetOf(peer)
	// peerCost is what a new peer costs here: at its network at the
	// flow's place, or at a network new there; on a new port or protocol
	// at least what it costs at any place of the protocol or direction,
	// so that a new port or protocol never makes a new peer cheaper.
	peerCost := n.peerCost
	if ps, ok := n.Protocols[pk]; !ok {
		f.NewProtocol = true
		f.Cost += dir.proto
		if k.HasPort() {
			f.NewPort = true
			f.Cost += dir.port
		}
		peerCost = max(peerCost, dir.peerFloor, n.netFloors[NetKey{dirKey(x.Dir), net}])
	} else {
		largest = ps
		if c, ok := n.places[k]; ok {
			peerCost = c
			if c, ok := n.nets[NetKey{k, net}]; ok {
				peerCost = c
			}
		} else {
			f.NewPort = true
			f.Cost += n.protoRates[pk].port
			peerCost = max(peerCost, n.protoRates[pk].peerFloor, n.netFloors[NetKey{pk, net}])
		}
	}
	if n.Peers[peer] == 0 {
		f.NewPeer = true
		f.Cost += peerCost
	}
	if largest.Flows == 0 { // nothing seen in this direction to compare with
		return f
	}
	// The fewer flows the largest is taken from, the less it says.
	weight := float64(largest.Flows) / float64(largest.Flows+rangeFlows)
	if c := beyond(float64(x.Bytes), float64(largest.MaxBytes), 1); c > 0 {
		f.Larger = true
		f.Cost += weight * c
	}
	if c := beyond(x.Duration, largest.MaxDuration, minDuration); c > 0 {
		f.Longer = true
		f.Cost += weight * c
	}
	return f
}

// rangeFlows weighs the size-and-duration part by how many flows the
// largest was taken from: N / (N + rangeFlows), a half at 1,000 flows.
const rangeFlows = 1000

// minDuration is the shortest duration the size-and-duration part tells
// apart: a longest training flow shorter than it counts as that long.
const minDuration = 0.001

// beyond is the cost of a value v beyond the largest seen, most: ln(v /
// max(most, floor)), and 0 for a value not beyond it.
func beyond(v, most, floor float64) float64 {
	most = max(most, floor)
	if !(v > most) {
		return 0
	}
	return math.Log(v / most)
}

// NewPeer reports whether the peer was never seen in training, in either
// direction.
func (n *Novelty) NewPeer(peer netip.Addr) bool { return n != nil && n.Peers[peer] == 0 }

// Says reports whether training never saw a flow's port (or its protocol:
// then the port is new too) and its peer. A nil Novelty says nothing is
// new.
func (n *Novelty) Says(peer netip.Addr, x *flows.Features) (newPort, newPeer bool) {
	f := n.Facts(x, peer)
	return f.NewPort || f.NewProtocol, f.NewPeer
}
