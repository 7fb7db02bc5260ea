package pipeline

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
)

// hostSeq is one host's flows in time order, with their directions as seen
// from the host.
type hostSeq struct {
	host  netip.Addr
	flows []flows.Flow
	dirs  []flows.Direction
}

// readFlows reads a flow file with the configured format.
func readFlows(path string, c *Config) ([]flows.Flow, int, error) {
	format := c.Format
	if format == "" {
		format = "auto"
	}
	fl, skipped, err := flows.ReadAll(path, format, flows.DecodeOptions{SkipBadRows: c.SkipBadRows})
	if err != nil {
		return nil, 0, err
	}
	return fl, skipped, nil
}

// splitHosts gives each host the flows it sent or received, sorted by start
// time (stable, so equal times keep file order). A flow between two of the
// hosts belongs to both. foreign counts flows that involve none of them.
func splitHosts(all []flows.Flow, hosts []netip.Addr) (seqs []hostSeq, foreign int) {
	if len(hosts) == 1 {
		// The common case, a service's own file: no copy.
		h := hosts[0]
		kept := all[:0]
		for _, f := range all {
			if f.Src == h || f.Dst == h {
				kept = append(kept, f)
			} else {
				foreign++
			}
		}
		return []hostSeq{newHostSeq(h, kept)}, foreign
	}
	for _, h := range hosts {
		var fl []flows.Flow
		for _, f := range all {
			if f.Src == h || f.Dst == h {
				fl = append(fl, f)
			}
		}
		seqs = append(seqs, newHostSeq(h, fl))
	}
	for _, f := range all {
		if !slices.ContainsFunc(hosts, func(h netip.Addr) bool { return f.Src == h || f.Dst == h }) {
			foreign++
		}
	}
	return seqs, foreign
}

func newHostSeq(h netip.Addr, fl []flows.Flow) hostSeq {
	if !slices.IsSortedFunc(fl, byStart) {
		slices.SortStableFunc(fl, byStart)
	}
	dirs := make([]flows.Direction, len(fl))
	for i := range fl {
		dirs[i], _ = fl[i].DirectionFrom(h)
	}
	return hostSeq{host: h, flows: fl, dirs: dirs}
}

func byStart(a, b flows.Flow) int { return cmp.Compare(a.Start, b.Start) }

// encode maps a host's flows to symbols.
func encode(enc flows.Encoder, s hostSeq, dst []int32) []int32 {
	for i := range s.flows {
		dst = append(dst, enc.Encode(&s.flows[i], s.dirs[i]))
	}
	return dst
}

// windowSpans returns the sliding windows over consecutive segments of a
// symbol slice (one segment per host): windows never span two segments.
func windowSpans(segments []int, window, stride int) []learner.Span {
	var spans []learner.Span
	off := 0
	for _, n := range segments {
		spans = learner.AppendWindows(spans, off, n, window, stride)
		off += n
	}
	return spans
}
