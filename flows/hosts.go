package flows

import (
	"cmp"
	"net/netip"
	"slices"
)

// HostFlows is one host's flows in time order, with their directions as
// seen from the host.
type HostFlows struct {
	Host  netip.Addr
	Flows []Flow
	Dirs  []Direction
}

// SplitByHost gives each host the flows it sent or received, sorted by
// start time (stably, so that flows of the same time keep their order in
// all). A flow between two of the hosts belongs to both. foreign counts the
// flows that involve none of them. With one host, its flows are all's
// own memory, filtered in place.
func SplitByHost(all []Flow, hosts []netip.Addr) (seqs []HostFlows, foreign int) {
	if len(hosts) == 1 {
		h := hosts[0]
		kept := all[:0]
		for _, f := range all {
			if f.Src == h || f.Dst == h {
				kept = append(kept, f)
			} else {
				foreign++
			}
		}
		return []HostFlows{newHostFlows(h, kept)}, foreign
	}
	for _, h := range hosts {
		var fl []Flow
		for _, f := range all {
			if f.Src == h || f.Dst == h {
				fl = append(fl, f)
			}
		}
		seqs = append(seqs, newHostFlows(h, fl))
	}
	for _, f := range all {
		if !slices.ContainsFunc(hosts, func(h netip.Addr) bool { return f.Src == h || f.Dst == h }) {
			foreign++
		}
	}
	return seqs, foreign
}

func newHostFlows(h netip.Addr, fl []Flow) HostFlows {
	SortByStart(fl)
	dirs := make([]Direction, len(fl))
	for i := range fl {
		dirs[i], _ = fl[i].DirectionFrom(h)
	}
	return HostFlows{Host: h, Flows: fl, Dirs: dirs}
}

// SortByStart sorts flows by start time, stably: flows of the same time
// keep their order.
func SortByStart(fl []Flow) {
	if !slices.IsSortedFunc(fl, byStart) {
		slices.SortStableFunc(fl, byStart)
	}
}

func byStart(a, b Flow) int { return cmp.Compare(a.Start, b.Start) }
