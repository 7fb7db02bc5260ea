package incident

import (
	"fmt"
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
)

// scanPorts is how many distinct ports of one peer make a scan.
const scanPorts = 10

// portScan is one peer reached (or reaching the host) on many ports.
func portScan() Kind {
	type dirPeer struct {
		d flows.Direction
		p netip.Addr
	}
	return Kind{Name: "port scan", Next: func(s Subject) string {
		if s.Outbound() {
			return "Find the process on " + s.Host + " that probed " + s.Peer + " (ss -tp, EDR); if nothing there should scan, isolate " + s.Host + " and look for how it was compromised."
		}
		return "Check whether " + s.Peer + " is a scanner you run; if not, block it and look at " + s.Peer + " as compromised; check which of " + s.Host + "'s ports answered."
	}, Describe: func(c *Incident) (Description, bool) {
		fs, ports, ok := groupBy(c, func(f *Cause) dirPeer { return dirPeer{f.Conn.Direction, f.Conn.Peer} },
			func(f *Cause) uint16 { return f.Conn.Port }, scanPorts)
		if !ok {
			return Description{}, false
		}
		d := Description{Direction: fs[0].Conn.Direction, Peer: fs[0].Conn.Peer, Ports: ports, Peers: 1}
		if d.Direction == flows.Outbound {
			d.Summary = fmt.Sprintf("scan of %s ports of %s", atLeast(c, ports), d.Peer)
		} else {
			d.Summary = fmt.Sprintf("scanned on %s ports by %s", atLeast(c, ports), d.Peer)
		}
		newPorts := 0
		for _, f := range fs {
			if f.NewPort {
				newPorts++
			}
		}
		d.Detail = fmt.Sprintf("%d of its %d flows to ports never seen in training", newPorts, len(fs)) + others(c, fs)
		return d, true
	}}
}
