package incident

import (
	"fmt"
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
)

// fanOutPeers is how many distinct peers on one port make a fan-out.
const fanOutPeers = 10

// fanOut is one port on which many peers are reached (or reach the host):
// spam, a worm, a DDoS.
func fanOut() Kind {
	type dirPort struct {
		d flows.Direction
		p uint16
	}
	return Kind{Name: "fan-out", Next: func(s Subject) string {
		if s.Outbound() {
			return "Find what on " + s.Host + " reached so many hosts on port " + s.Port + " (spam, a worm); block outbound " + s.Port + " from " + s.Host + " unless it is its job."
		}
		return "Many hosts reached " + s.Host + " on port " + s.Port + ": check for a new client rollout or a flood; rate-limit or block the sources if not."
	}, Describe: func(c *Incident) (Description, bool) {
		fs, peers, ok := groupBy(c, func(f *Cause) dirPort { return dirPort{f.Conn.Direction, f.Conn.Port} },
			func(f *Cause) netip.Addr { return f.Conn.Peer }, fanOutPeers)
		if !ok {
			return Description{}, false
		}
		d := Description{Direction: fs[0].Conn.Direction, Port: fs[0].Conn.Port, Ports: 1, Peers: peers}
		what := portWords(d.Port)
		if d.Direction == flows.Outbound {
			d.Summary = fmt.Sprintf("%s to %s hosts", what, atLeast(c, peers))
		} else {
			d.Summary = fmt.Sprintf("%s from %s hosts", what, atLeast(c, peers))
		}
		newPeers := 0
		for _, f := range fs {
			if f.NewPeer {
				newPeers++
			}
		}
		d.Detail = fmt.Sprintf("%d of its %d flows to peers never seen in training", newPeers, len(fs)) + others(c, fs)
		return d, true
	}}
}
