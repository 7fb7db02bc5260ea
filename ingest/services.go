package ingest

import (
	"context"
	"math"
	"net/netip"
	"slices"
	"sort"

	"github.com/netflow-monitor/monitor/flows"
)

// maxTrackedPorts bounds the destination ports tracked per host: a host
// reached on more distinct ports is not "a few ports" anyway.
const maxTrackedPorts = 64

// hostStats is what the first pass learns about a host.
type hostStats struct {
	flows   int
	inbound int
	peers   map[netip.Addr]struct{} // inbound peers, up to the criteria's minimum
	ports   map[uint16]int          // inbound flows per destination port
	tooMany bool                    // more than maxTrackedPorts ports
}

// captureStats is the first pass over the inputs.
type captureStats struct {
	first, last int64
	hosts       map[netip.Addr]*hostStats
}

func scanStats(ctx context.Context, c SplitConfig) (*captureStats, error) {
	st := &captureStats{first: math.MaxInt64, last: math.MinInt64, hosts: map[netip.Addr]*hostStats{}}
	minPeers := max(c.Criteria.MinPeers, 1)
	host := func(a netip.Addr) *hostStats {
		h := st.hosts[a]
		if h == nil {
			h = &hostStats{}
			st.hosts[a] = h
		}
		return h
	}
	_, err := eachFlow(ctx, c, func(f *flows.Flow) error {
		st.first = min(st.first, f.Start)
		st.last = max(st.last, f.Start)
		if !c.AutoServices {
			return nil
		}
		host(f.Src).flows++
		d := host(f.Dst)
		d.flows++
		d.inbound++
		if d.peers == nil {
			d.peers = map[netip.Addr]struct{}{}
			d.ports = map[uint16]int{}
		}
		if len(d.peers) < minPeers {
			d.peers[f.Src] = struct{}{}
		}
		if _, ok := d.ports[f.DstPort]; ok || len(d.ports) < maxTrackedPorts {
			d.ports[f.DstPort]++
		} else {
			d.tooMany = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if st.first > st.last {
		st.first, st.last = 0, 0
	}
	return st, nil
}

// services returns the hosts that meet the criteria, sorted by address.
//
// Addresses that are not one host are left out, however busy: multicast
// (224.0.0.0/4, ff00::/8), the unspecified address, IPv4's limited
// broadcast 255.255.255.255, and an IPv4 address ending in .255 that never
// sent a flow. Without the netmask a .255 address cannot be told to be a
// subnet's broadcast: it is the broadcast address of every subnet from /24
// to /30 that holds it (the usual LAN sizes), but an ordinary host in a /23
// or larger (CTU-13 has web servers at such addresses). A broadcast
// address is never a flow's source, so a .255 address that sent one is a
// host and is kept; one that only received is taken for a broadcast (in
// bidirectional flow data, Argus or Zeek, a server at .255 may only
// receive: name it with --services, which this does not filter).
func (st *captureStats) services(cr ServiceCriteria) []netip.Addr {
	var out []netip.Addr
	for a, h := range st.hosts {
		if h.flows < cr.MinFlows || len(h.peers) < cr.MinPeers || h.tooMany || h.inbound == 0 {
			continue
		}
		if u := a.Unmap(); u.IsMulticast() || u.IsUnspecified() ||
			u.Is4() && u.As4()[3] == 255 && (u == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || h.flows == h.inbound) {
			continue
		}
		counts := make([]int, 0, len(h.ports))
		for _, n := range h.ports {
			counts = append(counts, n)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(counts)))
		top := 0
		for i := 0; i < len(counts) && i < cr.TopPorts; i++ {
			top += counts[i]
		}
		if float64(top) >= cr.PortShare*float64(h.inbound) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}
