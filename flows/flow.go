// Package flows reads flow records from collectors' files, encodes each flow
// as a symbol and cuts a service's flow sequence into sliding-window traces.
//
// The data path is: a Format decodes rows into Flow values (one reader per
// file format, picked by name or by header detection), an Encoder fitted on
// training flows maps each Flow to an integer symbol, and Windows turns the
// symbol sequence of one host into overlapping traces for the learner.
package flows

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Protocol is an IANA protocol number (6 TCP, 17 UDP, 1 ICMP, ...).
type Protocol uint8

// Well-known protocol numbers.
const (
	ProtoICMP   Protocol = 1
	ProtoTCP    Protocol = 6
	ProtoUDP    Protocol = 17
	ProtoICMPv6 Protocol = 58
	ProtoSCTP   Protocol = 132
)

// protocolNames maps the names collectors print to protocol numbers.
var protocolNames = map[string]Protocol{
	"icmp": ProtoICMP, "tcp": ProtoTCP, "udp": ProtoUDP,
	"ipv6-icmp": ProtoICMPv6, "icmp6": ProtoICMPv6, "icmpv6": ProtoICMPv6,
	"sctp": ProtoSCTP, "igmp": 2, "gre": 47, "esp": 50, "ah": 51,
	"ipv6": 41, "pim": 103, "ospf": 89, "vrrp": 112, "ipip": 4,
	// Argus names some UDP-borne protocols by their application.
	"rtp": ProtoUDP, "rtcp": ProtoUDP, "udt": ProtoUDP,
}

// String returns the lower-case protocol name ("tcp") or the number.
func (p Protocol) String() string {
	switch p {
	case ProtoICMP:
		return "icmp"
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMPv6:
		return "ipv6-icmp"
	case ProtoSCTP:
		return "sctp"
	}
	return strconv.Itoa(int(p))
}

// ParseProtocol accepts a protocol name (case-insensitive: tcp, UDP, icmp,
// ipv6-icmp, ...) or a decimal number from 0 to 255.
func ParseProtocol(s string) (Protocol, bool) {
	switch s { // the common cases, before trimming and folding
	case "tcp":
		return ProtoTCP, true
	case "udp":
		return ProtoUDP, true
	case "icmp":
		return ProtoICMP, true
	}
	s = strings.TrimSpace(s)
	if p, ok := protocolNames[strings.ToLower(s)]; ok {
		return p, true
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, false
	}
	return Protocol(n), true
}

// Flow is one flow record, normalised from whatever format it came in.
// Times are UTC. Ports are zero when the protocol has none (ICMP).
type Flow struct {
	// Start is the flow's first-seen time in Unix nanoseconds, UTC.
	Start int64
	// Duration is the flow's length in seconds.
	Duration float64
	Src      netip.Addr
	Dst      netip.Addr
	SrcPort  uint16
	DstPort  uint16
	Proto    Protocol
	// Bytes and Packets are totals over both directions where the format
	// has them (Argus TotBytes), else what the format reports.
	Bytes   uint64
	Packets uint64
	// ID is the collector's flow identifier, when it has one.
	ID string
	// Label is the ground-truth label carried by labelled data sets
	// (CTU-13 "flow=From-Botnet-..."), empty when there is none.
	Label string
}

// Time returns the flow's start as a time.Time in UTC.
func (f *Flow) Time() time.Time { return time.Unix(0, f.Start).UTC() }

// Direction says which way a flow goes as seen from one host.
type Direction uint8

// Directions. Outbound: the host is the source; inbound: the destination.
const (
	Inbound Direction = iota
	Outbound
)

// String returns "inbound" or "outbound".
func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// ParseDirection accepts "inbound" or "outbound".
func ParseDirection(s string) (Direction, bool) {
	switch s {
	case "inbound":
		return Inbound, true
	case "outbound":
		return Outbound, true
	}
	return Inbound, false
}

// DirectionFrom returns the flow's direction as seen from host, and false
// when host is neither its source nor its destination. A flow from a host
// to itself counts as outbound.
func (f *Flow) DirectionFrom(host netip.Addr) (Direction, bool) {
	switch host {
	case f.Src:
		return Outbound, true
	case f.Dst:
		return Inbound, true
	}
	return Inbound, false
}

// Peer returns the other end of the flow as seen from a host in direction d.
func (f *Flow) Peer(d Direction) netip.Addr {
	if d == Outbound {
		return f.Dst
	}
	return f.Src
}

// Features are what an encoder reads of a flow seen from one host: 32
// bytes, so that training keeps millions of them.
type Features struct {
	Bytes    uint64
	Packets  uint64
	Duration float64 // seconds
	DstPort  uint16
	Proto    Protocol
	Dir      Direction
}

// Features returns the features of f seen from a host in direction d.
func (f *Flow) Features(d Direction) Features {
	return Features{Bytes: f.Bytes, Packets: f.Packets, Duration: f.Duration, DstPort: f.DstPort, Proto: f.Proto, Dir: d}
}

// Connection is a flow as a host sees it, reduced to what names it to an
// operator: the direction, the peer, and the destination port.
type Connection struct {
	Direction Direction
	Peer      netip.Addr
	Port      uint16
}

// ConnectionFrom returns the connection of f seen from a host in
// direction d.
func (f *Flow) ConnectionFrom(d Direction) Connection {
	return Connection{Direction: d, Peer: f.Peer(d), Port: f.DstPort}
}

// Compare orders connections by direction, peer, then port.
func (c Connection) Compare(o Connection) int {
	switch {
	case c.Direction != o.Direction:
		return int(c.Direction) - int(o.Direction)
	case c.Peer != o.Peer:
		return c.Peer.Compare(o.Peer)
	}
	return int(c.Port) - int(o.Port)
}
