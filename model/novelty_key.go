package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/flows"
)

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
