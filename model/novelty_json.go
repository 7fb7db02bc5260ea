package model

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// noveltyJSON is a Novelty in a model file: the counts, with keys as
// strings ("out/tcp/443", "in/tcp/5432 10.2.7.0/24", "8.8.8.8"); the
// rates are derived again on loading.
type noveltyJSON struct {
	Flows     int                      `json:"flows"`
	Protocols map[string]ProtocolStats `json:"protocols"`
	Ports     map[string]PortStats     `json:"ports"`
	Networks  map[string]NetStats      `json:"networks"`
	Peers     map[string]int           `json:"peers"`
}

// String writes a network key as model files do: "in/tcp/5432
// 10.2.7.0/24".
func (k NetKey) String() string { return k.Place.String() + " " + k.Net.String() }

// MarshalJSON writes the counts (encoding/json sorts map keys, so the
// file is the same for the same training).
func (n *Novelty) MarshalJSON() ([]byte, error) {
	j := noveltyJSON{Flows: n.Flows, Protocols: map[string]ProtocolStats{}, Ports: map[string]PortStats{},
		Networks: map[string]NetStats{}, Peers: map[string]int{}}
	for k, s := range n.Protocols {
		j.Protocols[k.String()] = s
	}
	for k, s := range n.Ports {
		j.Ports[k.String()] = s
	}
	for k, s := range n.Networks {
		j.Networks[k.String()] = s
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
		Ports: make(map[Key]PortStats, len(j.Ports)), Networks: make(map[NetKey]NetStats, len(j.Networks)),
		Peers: make(map[netip.Addr]int, len(j.Peers))}
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
	for s, st := range j.Networks {
		place, net, ok := strings.Cut(s, " ")
		k, err := ParseKey(place)
		p, perr := netip.ParsePrefix(net)
		if !ok || err != nil || perr != nil || p != NetOf(p.Addr()) {
			return fmt.Errorf("novelty: networks: %q is not a place and a network (a /24, or /64 for IPv6)", s)
		}
		n.Networks[NetKey{k, p}] = st
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
	for _, k := range sortedKeys(n.Protocols, compareKeys) {
		s := n.Protocols[k]
		if s.Flows < 1 || s.Peers < 1 || s.Peers > s.Flows ||
			math.IsNaN(s.MaxDuration) || math.IsInf(s.MaxDuration, 0) || s.MaxDuration < 0 {
			return bad("protocols %s: %+v", k, s)
		}
		total += s.Flows
	}
	if total != n.Flows {
		return bad("the protocols hold %d flows, not %d", total, n.Flows)
	}
	perPlace := map[Key]int{}
	for _, k := range sortedKeys(n.Ports, compareKeys) {
		s := n.Ports[k]
		if s.Flows < 1 || s.Peers < 1 || s.Peers > s.Flows {
			return bad("ports %s: %+v", k, s)
		}
		if _, ok := n.Protocols[k.Protocol()]; !ok {
			return bad("ports %s: no protocol %s", k, k.Protocol())
		}
		perPlace[k.Protocol()] += s.Flows
	}
	for _, k := range sortedKeys(n.Protocols, compareKeys) {
		if k.Proto.HasPorts() && perPlace[k] != n.Protocols[k].Flows {
			return bad("the ports of %s hold %d flows, not %d", k, perPlace[k], n.Protocols[k].Flows)
		}
	}
	clear(perPlace)
	for _, k := range sortedKeys(n.Networks, func(a, b NetKey) int { return cmp.Compare(a.String(), b.String()) }) {
		s := n.Networks[k]
		if s.Flows < 1 || s.NewPeers < 0 || s.NewPeers > s.Flows {
			return bad("networks %s: %+v", k, s)
		}
		perPlace[k.Place] += s.Flows
	}
	places := map[Key]int{}
	for k, s := range n.Ports {
		places[k] = s.Flows
	}
	for k, s := range n.Protocols {
		if !k.Proto.HasPorts() {
			places[k] = s.Flows
		}
	}
	for _, k := range sortedKeys(perPlace, compareKeys) {
		if _, ok := places[k]; !ok {
			return bad("networks at %s: no such port or protocol", k)
		}
	}
	for _, k := range sortedKeys(places, compareKeys) {
		if perPlace[k] != places[k] {
			return bad("the networks of %s hold %d flows, not %d", k, perPlace[k], places[k])
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

func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Dir, b.Dir), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port))
}

// sortedKeys returns m's keys in order, for errors that are the same from
// run to run.
func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	return keys
}
