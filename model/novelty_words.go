package model

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/flows"
)

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
		out = append(out, fmt.Sprintf("first %s flow to port %d (%s used %s in training)", dirProto, x.DstPort, who, plural(n.portsOf[pk], dirProto+" port")))
	}
	if f.NewPeer {
		s, at := "new peer "+peer.String(), ""
		if k.HasPort() {
			at = " on " + strconv.Itoa(int(x.DstPort))
			s += at
		}
		s += " (" + n.peerContext(pk, who)
		if _, ok := n.places[k]; ok && !f.NewPort {
			net := NetOf(peer)
			if ns, ok := n.Networks[NetKey{k, net}]; ok {
				s += fmt.Sprintf("; %s brought %s in %s%s", net, plural(ns.NewPeers, "new peer"), plural(ns.Flows, "flow"), at)
			} else {
				s += fmt.Sprintf("; %s never seen%s", net, at)
			}
		}
		out = append(out, s+")")
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
	protos := n.protos
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
