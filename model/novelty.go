package model

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
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
//     rate at which new peers came on the flow's port (for a protocol
//     without ports, on its protocol): a new peer on a port where new
//     peers come all the time costs little, on a port that always meets
//     the same peers a lot. On a new port, or with a new protocol, it
//     costs at least what it costs on the protocol's (the direction's)
//     most peer-stable port, and at least what the unit's rate of new
//     peers says;
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
	// Peers counts the training flows of each peer, in either direction.
	Peers map[netip.Addr]int

	// Derived by prepare: the rates of new things.
	pPeer      float64
	dirs       [2]dirRates // by direction
	protoRates map[Key]protoRates
	portRates  map[Key]float64 // new peers, per port key
}

// dirRates are what a new protocol in one direction costs: the rate of new
// protocols in that direction, the lowest rate of new ports of its
// protocols, the cost of a new peer on the direction's most peer-stable
// port or protocol, and the largest bytes and duration of its flows.
type dirRates struct {
	proto, port float64
	peerCost    float64
	largest     ProtocolStats
}

// protoRates are a protocol key's rate of new ports, and the cost of a new
// peer on a new port: that of its most peer-stable port (for a protocol
// without ports, of the protocol itself).
type protoRates struct {
	port     float64
	peerCost float64
}

// ProtocolStats is what training saw of one direction and protocol.
type ProtocolStats struct {
	Flows int `json:"flows"`
	// Peers is the number of distinct peers, NewPeers the number of
	// flows whose peer has no other flow in the whole training.
	Peers    int `json:"peers"`
	NewPeers int `json:"new_peers"`
	// MaxBytes and MaxDuration are the largest flow's bytes and the
	// longest flow's duration (seconds).
	MaxBytes    uint64  `json:"max_bytes"`
	MaxDuration float64 `json:"max_duration"`
}

// PortStats is what training saw of one port key.
type PortStats struct {
	Flows    int `json:"flows"`
	Peers    int `json:"peers"`
	NewPeers int `json:"new_peers"`
}

// Key is where a flow goes, as novelty sees it: its direction, protocol
// and destination port. Port is NoPort for protocols without ports and
// for the key of a protocol (see Protocol); ports from 49152 are 49152.
type Key struct {
	Dir   flows.Direction
	Proto flows.Protocol
	Port  int32
}

// NoPort is the Port of a Key without one.
const NoPort = -1

// dynamicPorts is where IANA's dynamic range starts: every port from it on
// is one port key.
const dynamicPorts = 49152

// KeyOf returns the key of a flow's features.
func KeyOf(x *flows.Features) Key {
	k := Key{Dir: x.Dir, Proto: x.Proto, Port: NoPort}
	if x.Proto.HasPorts() {
		k.Port = int32(min(int(x.DstPort), dynamicPorts))
	}
	return k
}

// Protocol returns the key of k's direction and protocol.
func (k Key) Protocol() Key { return Key{Dir: k.Dir, Proto: k.Proto, Port: NoPort} }

// HasPort reports whether k names a port.
func (k Key) HasPort() bool { return k.Port != NoPort }

// String writes k as model files do: "out/tcp/443", "in/icmp",
// "out/udp/49152+".
func (k Key) String() string {
	s := dirShort(k.Dir) + "/" + k.Proto.String()
	switch {
	case k.Port == NoPort:
	case k.Port >= dynamicPorts:
		s += "/" + strconv.Itoa(dynamicPorts) + "+"
	default:
		s += "/" + strconv.Itoa(int(k.Port))
	}
	return s
}

// ParseKey reads a key written by Key.String.
func ParseKey(s string) (Key, error) {
	parts := strings.Split(s, "/")
	bad := func(why string) (Key, error) { return Key{}, fmt.Errorf("key %q: %s", s, why) }
	if len(parts) < 2 || len(parts) > 3 {
		return bad(`want direction/protocol[/port], like "out/tcp/443"`)
	}
	k := Key{Port: NoPort}
	switch parts[0] {
	case "in":
		k.Dir = flows.Inbound
	case "out":
		k.Dir = flows.Outbound
	default:
		return bad(`direction must be "in" or "out"`)
	}
	p, ok := flows.ParseProtocol(parts[1])
	if !ok {
		return bad("unknown protocol")
	}
	k.Proto = p
	if len(parts) == 3 {
		if !p.HasPorts() {
			return bad("a protocol without ports has no port")
		}
		switch n, err := strconv.ParseUint(parts[2], 10, 16); {
		case parts[2] == strconv.Itoa(dynamicPorts)+"+":
			k.Port = dynamicPorts
		case err != nil || n >= dynamicPorts:
			return bad("port must be 0 to 49151, or 49152+")
		default:
			k.Port = int32(n)
		}
	}
	return k, nil
}

func dirShort(d flows.Direction) string {
	if d == flows.Outbound {
		return "out"
	}
	return "in"
}

// GoodTuring returns the probability that the next of n draws brings a
// key never seen before, when n1 keys were seen exactly once:
// (n1 + 1) / (n + 2), and at most 1/2, so that a new key never costs
// less than a seen one.
func GoodTuring(n1, n int) float64 { return min(float64(n1+1)/float64(n+2), 0.5) }

// NoveltyCounter counts what a training sees, one flow at a time; Novelty
// returns the model's Novelty of the flows counted.
type NoveltyCounter struct {
	flows     int
	protocols map[Key]*ProtocolStats
	ports     map[Key]*PortStats
	peers     map[netip.Addr]peerSeen
	pairs     map[keyPeer]struct{} // distinct (port or protocol key, peer)
}

// peerSeen is a peer's flow count and the key of its first flow.
type peerSeen struct {
	flows int
	key   Key
}

type keyPeer struct {
	key  Key
	peer netip.Addr
}

// NewNoveltyCounter returns an empty counter.
func NewNoveltyCounter() *NoveltyCounter {
	return &NoveltyCounter{protocols: map[Key]*ProtocolStats{}, ports: map[Key]*PortStats{},
		peers: map[netip.Addr]peerSeen{}, pairs: map[keyPeer]struct{}{}}
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
	if k.HasPort() {
		pt := c.ports[k]
		if pt == nil {
			pt = &PortStats{}
			c.ports[k] = pt
		}
		pt.Flows++
	}
	s := c.peers[peer]
	if s.flows == 0 {
		s.key = k
	}
	s.flows++
	c.peers[peer] = s
	for _, key := range []Key{pk, k} {
		kp := keyPeer{key, peer}
		if _, ok := c.pairs[kp]; !ok {
			c.pairs[kp] = struct{}{}
			if key == pk {
				ps.Peers++
			}
			if key.HasPort() {
				c.ports[key].Peers++
			}
		}
		if !k.HasPort() {
			break
		}
	}
}

// Novelty returns the Novelty of the flows counted so far.
func (c *NoveltyCounter) Novelty() *Novelty {
	n := &Novelty{Flows: c.flows, Protocols: make(map[Key]ProtocolStats, len(c.protocols)),
		Ports: make(map[Key]PortStats, len(c.ports)), Peers: make(map[netip.Addr]int, len(c.peers))}
	for p, s := range c.peers {
		n.Peers[p] = s.flows
		if s.flows == 1 {
			c.protocols[s.key.Protocol()].NewPeers++
			if s.key.HasPort() {
				c.ports[s.key].NewPeers++
			}
		}
	}
	for k, s := range c.protocols {
		n.Protocols[k] = *s
	}
	for k, s := range c.ports {
		n.Ports[k] = *s
	}
	// Undo the singleton counts, so that counting can go on.
	for _, s := range c.peers {
		if s.flows == 1 {
			c.protocols[s.key.Protocol()].NewPeers--
			if s.key.HasPort() {
				c.ports[s.key].NewPeers--
			}
		}
	}
	n.prepare()
	return n
}

// prepare derives the rates of new things from the counts.
func (n *Novelty) prepare() {
	type acc struct{ flows, once int }
	var dirProtos, dirPorts [2]acc
	perProto := map[Key]acc{}
	n.portRates = make(map[Key]float64, len(n.Ports))
	peerCost := map[Key]float64{} // per protocol: its most peer-stable port's
	for k, s := range n.Ports {
		a := perProto[k.Protocol()]
		a.flows += s.Flows
		dirPorts[k.Dir&1].flows += s.Flows
		if s.Flows == 1 {
			a.once++
			dirPorts[k.Dir&1].once++
		}
		perProto[k.Protocol()] = a
		r := GoodTuring(s.NewPeers, s.Flows)
		n.portRates[k] = r
		peerCost[k.Protocol()] = max(peerCost[k.Protocol()], -math.Log(r))
	}
	for k, s := range n.Protocols {
		dirProtos[k.Dir&1].flows += s.Flows
		if s.Flows == 1 {
			dirProtos[k.Dir&1].once++
		}
	}
	for d := range n.dirs {
		n.dirs[d] = dirRates{proto: GoodTuring(dirProtos[d].once, dirProtos[d].flows),
			port: GoodTuring(dirPorts[d].once, dirPorts[d].flows)}
	}
	n.protoRates = make(map[Key]protoRates, len(n.Protocols))
	for k, s := range n.Protocols {
		r := protoRates{peerCost: peerCost[k]}
		if !k.Proto.HasPorts() {
			r.peerCost = -math.Log(GoodTuring(s.NewPeers, s.Flows))
		}
		d := &n.dirs[k.Dir&1]
		if a, ok := perProto[k]; ok {
			r.port = GoodTuring(a.once, a.flows)
			d.port = min(d.port, r.port)
		}
		n.protoRates[k] = r
		d.peerCost = max(d.peerCost, r.peerCost)
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
	n.pPeer = GoodTuring(once, n.Flows)
}

// Facts are what is new about a flow, and its cost.
type Facts struct {
	NewProtocol, NewPort, NewPeer bool
	// Larger and Longer: the flow's bytes or duration are beyond the
	// largest of its protocol in training (of any protocol, for a new
	// one).
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
	// peerCost is what a new peer costs here: the rate of new peers on the
	// flow's port (for a protocol without ports, on its protocol); on a
	// new port or protocol, at least what it costs on the most
	// peer-stable port of the protocol or direction, so that a new port
	// or protocol never makes a new peer cheaper.
	peerCost := -math.Log(n.pPeer)
	if ps, ok := n.Protocols[pk]; !ok {
		f.NewProtocol = true
		f.Cost -= math.Log(dir.proto)
		if k.HasPort() {
			f.NewPort = true
			f.Cost -= math.Log(dir.port)
		}
		peerCost = max(peerCost, dir.peerCost)
	} else {
		r := n.protoRates[pk]
		largest = ps
		switch p, ok := n.portRates[k]; {
		case !k.HasPort():
			peerCost = r.peerCost
		case ok:
			peerCost = -math.Log(p)
		default:
			f.NewPort = true
			f.Cost -= math.Log(r.port)
			peerCost = max(peerCost, r.peerCost)
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

// Explain says in words what is new about a flow, as an analyst would put
// it: "first outbound TCP connection of this host", "new peer
// 66.85.157.90 on 443 (15 peers in training, all on UDP)", "duration 12
// h, longest outbound UDP flow in training 3 s". who names the unit
// ("this host", "group web"). Nothing new gives nil.
func (n *Novelty) Explain(x *flows.Features, peer netip.Addr, who string) []string {
	f := n.Facts(x, peer)
	if n == nil {
		return nil
	}
	k := KeyOf(x)
	pk := k.Protocol()
	proto := strings.ToUpper(x.Proto.String())
	dirProto := dirName(x.Dir) + " " + proto
	var out []string
	switch {
	case f.NewProtocol && x.Dir == flows.Outbound:
		out = append(out, "first "+proto+" connection of "+who)
	case f.NewProtocol:
		out = append(out, "first "+dirProto+" connection to "+who)
	case f.NewPort:
		used := 0
		for pt := range n.Ports {
			if pt.Protocol() == pk {
				used++
			}
		}
		out = append(out, fmt.Sprintf("first %s flow to port %d (%s used %s in training)", dirProto, x.DstPort, who, plural(used, dirProto+" port")))
	}
	if f.NewPeer {
		s := "new peer " + peer.String()
		if k.HasPort() {
			s += " on " + strconv.Itoa(int(x.DstPort))
		}
		out = append(out, s+" ("+n.peerContext(pk, who)+")")
	}
	what := dirProto + " flow"
	if f.NewProtocol {
		what = dirName(x.Dir) + " flow"
	}
	largest := n.dirs[x.Dir&1].largest
	if ps, ok := n.Protocols[pk]; ok {
		largest = ps
	}
	if f.Larger {
		out = append(out, fmt.Sprintf("%s, largest %s in training %s", flows.HumanBytes(float64(x.Bytes)), what, flows.HumanBytes(float64(largest.MaxBytes))))
	}
	if f.Longer {
		out = append(out, fmt.Sprintf("duration %s, longest %s in training %s", flows.HumanDuration(x.Duration), what, flows.HumanDuration(largest.MaxDuration)))
	}
	return out
}

// peerContext says how many peers training saw, and on what: "15 peers
// in training, all on UDP", "212 peers in training, 40 on outbound TCP".
func (n *Novelty) peerContext(pk Key, who string) string {
	s := fmt.Sprintf("%s contacted %s in training", who, plural(len(n.Peers), "peer"))
	protos := map[flows.Protocol]bool{}
	for k := range n.Protocols {
		protos[k.Proto] = true
	}
	switch ps, ok := n.Protocols[pk]; {
	case len(protos) == 1 && !protos[pk.Proto]:
		for p := range protos {
			s += ", all on " + strings.ToUpper(p.String())
		}
	case !ok:
		s += ", none on " + dirName(pk.Dir) + " " + strings.ToUpper(pk.Proto.String())
	default:
		s += fmt.Sprintf(", %d on %s %s", ps.Peers, dirName(pk.Dir), strings.ToUpper(pk.Proto.String()))
	}
	return s
}

func dirName(d flows.Direction) string {
	if d == flows.Outbound {
		return "outbound"
	}
	return "inbound"
}

// plural writes "1 port", "2 ports".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// NewPeer reports whether the peer was never seen in training, in either
// direction.
func (n *Novelty) NewPeer(peer netip.Addr) bool { return n != nil && n.Peers[peer] == 0 }

// noveltyJSON is a Novelty in a model file: the counts, with keys as
// strings; the rates are derived again on loading.
type noveltyJSON struct {
	Flows     int                      `json:"flows"`
	Protocols map[string]ProtocolStats `json:"protocols"`
	Ports     map[string]PortStats     `json:"ports"`
	Peers     map[string]int           `json:"peers"`
}

// MarshalJSON writes the counts (encoding/json sorts map keys, so the
// file is the same for the same training).
func (n *Novelty) MarshalJSON() ([]byte, error) {
	j := noveltyJSON{Flows: n.Flows, Protocols: map[string]ProtocolStats{}, Ports: map[string]PortStats{}, Peers: map[string]int{}}
	for k, s := range n.Protocols {
		j.Protocols[k.String()] = s
	}
	for k, s := range n.Ports {
		j.Ports[k.String()] = s
	}
	for p, c := range n.Peers {
		j.Peers[p.String()] = c
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads and checks the counts and derives the rates.
func (n *Novelty) UnmarshalJSON(b []byte) error {
	var j noveltyJSON
	if err := input.DecodeJSON(b, &j); err != nil {
		return err
	}
	*n = Novelty{Flows: j.Flows, Protocols: make(map[Key]ProtocolStats, len(j.Protocols)),
		Ports: make(map[Key]PortStats, len(j.Ports)), Peers: make(map[netip.Addr]int, len(j.Peers))}
	for s, st := range j.Protocols {
		k, err := ParseKey(s)
		if err != nil || k.HasPort() {
			return fmt.Errorf("novelty: protocols: %q is not a direction/protocol key", s)
		}
		n.Protocols[k] = st
	}
	for s, st := range j.Ports {
		k, err := ParseKey(s)
		if err != nil || !k.HasPort() {
			return fmt.Errorf("novelty: ports: %q is not a direction/protocol/port key", s)
		}
		n.Ports[k] = st
	}
	for s, c := range j.Peers {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("novelty: peers: %q is not an IP address", s)
		}
		n.Peers[a] = c
	}
	if err := n.validate(); err != nil {
		return err
	}
	n.prepare()
	return nil
}

// errNovelty prefixes the errors of a novelty whose counts do not agree.
var errNovelty = errors.New("novelty")

// validate checks that the counts of a decoded novelty agree with each
// other.
func (n *Novelty) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s (the counts do not agree: train again)", errNovelty, fmt.Sprintf(format, a...))
	}
	if n.Flows < 0 {
		return bad("flows %d", n.Flows)
	}
	total := 0
	for _, k := range sortedKeys(n.Protocols) {
		s := n.Protocols[k]
		if s.Flows < 1 || s.Peers < 1 || s.Peers > s.Flows || s.NewPeers < 0 || s.NewPeers > s.Flows ||
			math.IsNaN(s.MaxDuration) || math.IsInf(s.MaxDuration, 0) || s.MaxDuration < 0 {
			return bad("protocols %s: %+v", k, s)
		}
		total += s.Flows
	}
	if total != n.Flows {
		return bad("the protocols hold %d flows, not %d", total, n.Flows)
	}
	perProto := map[Key]int{}
	for _, k := range sortedKeys(n.Ports) {
		s := n.Ports[k]
		if s.Flows < 1 || s.Peers < 1 || s.Peers > s.Flows || s.NewPeers < 0 || s.NewPeers > s.Flows {
			return bad("ports %s: %+v", k, s)
		}
		if _, ok := n.Protocols[k.Protocol()]; !ok {
			return bad("ports %s: no protocol %s", k, k.Protocol())
		}
		perProto[k.Protocol()] += s.Flows
	}
	for _, k := range sortedKeys(n.Protocols) {
		if k.Proto.HasPorts() && perProto[k] != n.Protocols[k].Flows {
			return bad("the ports of %s hold %d flows, not %d", k, perProto[k], n.Protocols[k].Flows)
		}
	}
	total = 0
	for p, c := range n.Peers {
		if c < 1 {
			return bad("peers %s: %d flows", p, c)
		}
		total += c
	}
	if total != n.Flows {
		return bad("the peers hold %d flows, not %d", total, n.Flows)
	}
	return nil
}

// sortedKeys returns m's keys in order, for errors that are the same from
// run to run.
func sortedKeys[V any](m map[Key]V) []Key {
	keys := make([]Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Dir, b.Dir), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port))
	})
	return keys
}

// Says reports whether training never saw a flow's port (or its protocol:
// then the port is new too) and its peer. A nil Novelty says nothing is
// new.
func (n *Novelty) Says(peer netip.Addr, x *flows.Features) (newPort, newPeer bool) {
	f := n.Facts(x, peer)
	return f.NewPort || f.NewProtocol, f.NewPeer
}
