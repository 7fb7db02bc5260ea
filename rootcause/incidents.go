package rootcause

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/flows"
)

// IncidentsFile is a host's incidents, in its monitor folder.
const IncidentsFile = "incidents.csv"

// Incident kinds, as an analyst names what the root causes of a host's
// alarms add up to.
const (
	KindPortScan    = "port scan"    // one peer on many ports
	KindFanOut      = "fan-out"      // one port to (or from) many peers
	KindBeaconing   = "beaconing"    // one peer and port, at a steady period
	KindExfil       = "exfiltration" // transfers beyond any of the training's
	KindUnusualPort = "unusual port" // a port never seen in training
	KindNewPeer     = "new peer"     // a peer never seen in training
	KindConnection  = "connection"   // a connection, seen before
)

// Thresholds of the grouping: they say what a scan, a fan-out and a beacon
// are, not what any data set holds.
const (
	scanPorts   = 10               // distinct ports of one peer that make a scan
	fanOutPeers = 10               // distinct peers on one port that make a fan-out
	episodeGap  = 30 * time.Minute // a scan's or fan-out's flows come closer than this
	beaconFlows = 4                // flows a beacon needs for its period to mean anything
	// beaconJitter is how far a gap between a beacon's flows may be from a
	// whole number of periods (a flow that was not a root cause leaves a
	// gap of two periods), as a share of the period; beaconRegular is the
	// share of gaps that must be so.
	beaconJitter  = 0.1
	beaconRegular = 0.8
	// A transfer is exfiltration when it is beyond exfilTimes the 99th
	// percentile of what the host sends, and at least exfilBytes.
	exfilTimes = 10
	exfilBytes = 1 << 20
)

// Incident is what the root causes of some of a host's alarms add up to:
// a kind, in plain words, the connection or connections behind it, and
// the evidence.
type Incident struct {
	Kind    string
	Summary string // "scan of 199 ports of 10.1.0.13", "SMTP to 1,057 hosts"
	// Direction, Peer and Port describe the connections: a scan has no
	// single port (0, Ports > 1), a fan-out no single peer (invalid).
	Direction flows.Direction
	Peer      netip.Addr
	Port      uint16
	Ports     int // distinct ports
	Peers     int // distinct peers
	First     int64
	Last      int64
	Flows     int   // distinct root-cause flows
	Windows   []int // the alarm windows (row numbers, 1-based), ascending
	Evidence  float64
	Detail    string // the kind's own evidence: the period, the bytes, what is new
	// Why says what training never saw of its most surprising root-cause
	// flow (see detector.Cause).
	Why []string
}

// causeFlow is one distinct root-cause flow and the windows it explains.
type causeFlow struct {
	conn     flows.Connection
	start    int64
	bytes    uint64
	surprise float64
	newPort  bool
	newPeer  bool
	why      []string
	windows  []int
}

// Incidents groups the root causes of a host's anomalies into incidents,
// most evidence first: a peer reached (or reaching) on many ports is a
// port scan; a port on which many peers are reached is a fan-out; what is
// left is one incident per connection, named beaconing when its flows come
// at a steady period, exfiltration when a transfer is far beyond what the
// host sends (bytesOutP99, the 99th percentile of its training's outbound
// flows; 0: unknown), else by what training never saw of it. Scans and
// fan-outs are bursts: their flows are grouped in episodes, apart where
// more than episodeGap passes without one.
func Incidents(anomalies []Anomaly, novel Novel, bytesOutP99 uint64) []Incident {
	byFlow := map[int]*causeFlow{}
	var order []int
	for _, a := range anomalies {
		c := a.Cause
		cf := byFlow[c.Flow]
		if cf == nil {
			cf = &causeFlow{conn: c.Conn, start: c.Start, why: c.Why}
			if c.Index < len(a.Flows) {
				x := &a.Flows[c.Index]
				cf.bytes = x.Bytes
				if novel != nil {
					cf.newPort, cf.newPeer = novel.Says(c.Conn.Peer, x)
				}
			}
			if c.Index < len(a.Scores) {
				cf.surprise = -a.Scores[c.Index]
			}
			byFlow[c.Flow] = cf
			order = append(order, c.Flow)
		}
		cf.windows = append(cf.windows, a.Trace+1)
	}
	slices.Sort(order)
	var all []*causeFlow
	for _, f := range order {
		all = append(all, byFlow[f])
	}

	var out []Incident
	used := make([]bool, len(all))
	group := func(key func(*causeFlow) any, distinct func(*causeFlow) any, least int, episodes bool, make func(fs []*causeFlow) Incident) {
		members := map[any][]int{}
		var keys []any
		for i, cf := range all {
			if used[i] {
				continue
			}
			k := key(cf)
			if _, ok := members[k]; !ok {
				keys = append(keys, k)
			}
			members[k] = append(members[k], i)
		}
		for _, k := range keys {
			for _, idx := range split(all, members[k], episodes) {
				seen := map[any]bool{}
				for _, i := range idx {
					seen[distinct(all[i])] = true
				}
				if len(seen) < least {
					continue
				}
				var fs []*causeFlow
				for _, i := range idx {
					used[i] = true
					fs = append(fs, all[i])
				}
				out = append(out, make(fs))
			}
		}
	}
	type dirPeer struct {
		d flows.Direction
		p netip.Addr
	}
	type dirPort struct {
		d flows.Direction
		p uint16
	}
	group(func(cf *causeFlow) any { return dirPeer{cf.conn.Direction, cf.conn.Peer} },
		func(cf *causeFlow) any { return cf.conn.Port }, scanPorts, true, portScan)
	group(func(cf *causeFlow) any { return dirPort{cf.conn.Direction, cf.conn.Port} },
		func(cf *causeFlow) any { return cf.conn.Peer }, fanOutPeers, true, fanOut)
	group(func(cf *causeFlow) any { return cf.conn }, func(cf *causeFlow) any { return cf.conn }, 1, false,
		func(fs []*causeFlow) Incident { return connection(fs, bytesOutP99) })
	slices.SortFunc(out, func(a, b Incident) int {
		return cmp.Or(cmp.Compare(b.Evidence, a.Evidence), cmp.Compare(len(b.Windows), len(a.Windows)), cmp.Compare(a.First, b.First))
	})
	return out
}

// split cuts a group of flows (indices into all, in time order) into
// episodes, apart where more than episodeGap passes without a flow; with
// episodes false it is one.
func split(all []*causeFlow, idx []int, episodes bool) [][]int {
	if !episodes {
		return [][]int{idx}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(all[a].start, all[b].start) })
	var out [][]int
	from := 0
	for i := 1; i <= len(idx); i++ {
		if i == len(idx) || all[idx[i]].start-all[idx[i-1]].start > int64(episodeGap) {
			out = append(out, idx[from:i])
			from = i
		}
	}
	return out
}

// base fills what every incident has from its flows.
func base(kind string, fs []*causeFlow) Incident {
	in := Incident{Kind: kind, Direction: fs[0].conn.Direction, Peer: fs[0].conn.Peer, Port: fs[0].conn.Port,
		First: math.MaxInt64, Last: math.MinInt64, Flows: len(fs)}
	ports, peers := map[uint16]bool{}, map[netip.Addr]bool{}
	for _, cf := range fs {
		in.First, in.Last = min(in.First, cf.start), max(in.Last, cf.start)
		in.Evidence += cf.surprise
		in.Windows = append(in.Windows, cf.windows...)
		ports[cf.conn.Port], peers[cf.conn.Peer] = true, true
	}
	in.Ports, in.Peers = len(ports), len(peers)
	most := -1.0
	for _, cf := range fs {
		if cf.surprise > most {
			most, in.Why = cf.surprise, cf.why
		}
	}
	slices.Sort(in.Windows)
	in.Windows = slices.Compact(in.Windows)
	return in
}

func portScan(fs []*causeFlow) Incident {
	in := base(KindPortScan, fs)
	in.Port = 0
	newPorts := 0
	for _, cf := range fs {
		if cf.newPort {
			newPorts++
		}
	}
	if in.Direction == flows.Outbound {
		in.Summary = fmt.Sprintf("scan of %s ports of %s", thousands(in.Ports), in.Peer)
	} else {
		in.Summary = fmt.Sprintf("scanned on %s ports by %s", thousands(in.Ports), in.Peer)
	}
	in.Detail = fmt.Sprintf("%d of its %d flows to ports never seen in training", newPorts, in.Flows)
	return in
}

func fanOut(fs []*causeFlow) Incident {
	in := base(KindFanOut, fs)
	in.Peer = netip.Addr{}
	what := portWords(in.Port)
	if in.Direction == flows.Outbound {
		in.Summary = fmt.Sprintf("%s to %s hosts", what, thousands(in.Peers))
	} else {
		in.Summary = fmt.Sprintf("%s from %s hosts", what, thousands(in.Peers))
	}
	newPeers := 0
	for _, cf := range fs {
		if cf.newPeer {
			newPeers++
		}
	}
	in.Detail = fmt.Sprintf("%d of its %d flows to peers never seen in training", newPeers, in.Flows)
	return in
}

// connection makes the incident of one connection's root-cause flows.
func connection(fs []*causeFlow, bytesOutP99 uint64) Incident {
	in := base(KindConnection, fs)
	c := flows.Connection{Direction: in.Direction, Peer: in.Peer, Port: in.Port}
	var total, largest uint64
	for _, cf := range fs {
		total += cf.bytes
		largest = max(largest, cf.bytes)
	}
	newPort, newPeer := fs[0].newPort, fs[0].newPeer
	// A large transfer out of the network is exfiltration when it is far
	// beyond what the host sends, or goes to a peer it never talked to; a
	// new port of a peer the host knows is an unusual port, whatever its
	// size.
	exfil := in.Direction == flows.Outbound && largest >= exfilBytes && isOutside(in.Peer) &&
		((bytesOutP99 > 0 && largest > exfilTimes*bytesOutP99) || newPeer)
	switch period, spread, ok := beacon(fs); {
	case ok:
		in.Kind = KindBeaconing
		in.Summary = fmt.Sprintf("beaconing %s every %s", connWords(c), period)
		in.Detail = fmt.Sprintf("%d flows, period %s ± %s", in.Flows, period, spread)
	case newPort && !newPeer:
		in.Kind = KindUnusualPort
		in.Summary = fmt.Sprintf("unusual port: %s", connWords(c))
		in.Detail = "a peer seen in training, on a port never seen"
	case exfil:
		in.Kind = KindExfil
		in.Summary = fmt.Sprintf("exfiltration: %s %s in %d transfers", bytesWords(total), connWords(c), in.Flows)
		in.Detail = fmt.Sprintf("largest transfer %s; 99 %% of the host's transfers in training were below %s", bytesWords(largest), bytesWords(bytesOutP99))
	case newPort:
		in.Kind = KindUnusualPort
		in.Summary = fmt.Sprintf("unusual port: %s", connWords(c))
		in.Detail = "its port never seen in training"
	case newPeer:
		in.Kind = KindNewPeer
		in.Summary = fmt.Sprintf("new peer: %s", connWords(c))
		in.Detail = "its peer never seen in training"
	default:
		in.Summary = connWords(c)
		in.Detail = "unlikely where it came"
	}
	if in.Kind != KindUnusualPort && in.Kind != KindNewPeer {
		var novel []string
		if newPeer {
			novel = append(novel, "new peer")
		}
		if newPort {
			novel = append(novel, "new port")
		}
		if len(novel) > 0 {
			in.Detail += "; " + strings.Join(novel, ", ")
		}
	}
	return in
}

// beacon reports whether flows come at a steady period: at least
// beaconFlows of them, and beaconRegular of the gaps between them within
// beaconJitter of a whole number of periods (the period taken as the lower
// quartile of the gaps). It returns the period and the spread of the
// regular gaps around it.
func beacon(fs []*causeFlow) (period, spread time.Duration, ok bool) {
	if len(fs) < beaconFlows {
		return 0, 0, false
	}
	starts := make([]int64, len(fs))
	for i, cf := range fs {
		starts[i] = cf.start
	}
	slices.Sort(starts)
	gaps := make([]float64, 0, len(starts)-1)
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, float64(starts[i]-starts[i-1]))
	}
	sorted := slices.Sorted(slices.Values(gaps))
	p := sorted[len(sorted)/4]
	if p <= 0 {
		return 0, 0, false
	}
	var per []float64 // each regular gap over its number of periods
	for _, g := range gaps {
		k := math.Round(g / p)
		if k >= 1 && math.Abs(g-k*p) <= beaconJitter*p {
			per = append(per, g/k)
		}
	}
	if float64(len(per)) < beaconRegular*float64(len(gaps)) {
		return 0, 0, false
	}
	var sum, sq float64
	for _, v := range per {
		sum += v
		sq += v * v
	}
	mean := sum / float64(len(per))
	sd := math.Sqrt(math.Max(sq/float64(len(per))-mean*mean, 0))
	return time.Duration(mean).Round(time.Second), time.Duration(sd).Round(time.Second), true
}

// isOutside reports whether an address is outside the networks hosts
// share (not private, loopback, link-local or multicast).
func isOutside(a netip.Addr) bool {
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate()
}

// connWords names a connection: "to 192.0.2.14:443 (HTTPS)", "from
// 10.0.0.9:22 (SSH)".
func connWords(c flows.Connection) string {
	dir := "to"
	if c.Direction == flows.Inbound {
		dir = "from"
	}
	s := fmt.Sprintf("%s %s", dir, netip.AddrPortFrom(c.Peer, c.Port))
	if n := flows.PortName(c.Port); n != "" {
		s += " (" + n + ")"
	}
	return s
}

// portWords names a port by its service, or its number.
func portWords(p uint16) string {
	if n := flows.PortName(p); n != "" {
		return n
	}
	return "port " + strconv.Itoa(int(p))
}

// bytesWords prints bytes as people read them.
func bytesWords(b uint64) string {
	v, units := float64(b), []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", b)
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// thousands prints n with a comma between thousands: 1,057.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// rows prints window row numbers as ranges: "34-38 41-42 131".
func rows(ws []int) string {
	var b strings.Builder
	for i := 0; i < len(ws); {
		j := i
		for j+1 < len(ws) && ws[j+1] == ws[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(ws[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(ws[j]))
		}
		i = j + 1
	}
	return b.String()
}

// incidentRow is one row of IncidentsFile.
type incidentRow struct {
	Kind      string  `csv:"kind"`
	Summary   string  `csv:"summary"`
	Direction string  `csv:"direction"`
	Peer      string  `csv:"peer"`
	Port      string  `csv:"port"`
	FirstSeen string  `csv:"first seen"`
	LastSeen  string  `csv:"last seen"`
	Flows     int     `csv:"flows"`
	Windows   int     `csv:"windows"`
	Rows      string  `csv:"rows"`
	Evidence  float64 `csv:"evidence"`
	Detail    string  `csv:"detail"`
	Why       string  `csv:"what is new"`
}

// writeIncidents writes a host's IncidentsFile into dir.
func writeIncidents(dir string, ins []Incident) error {
	out := make([]incidentRow, 0, len(ins))
	for _, in := range ins {
		r := incidentRow{Kind: in.Kind, Summary: in.Summary, Direction: in.Direction.String(), Peer: "*", Port: "*",
			FirstSeen: isoTime(in.First), LastSeen: isoTime(in.Last), Flows: in.Flows, Windows: len(in.Windows),
			Rows: rows(in.Windows), Evidence: math.Round(in.Evidence*1000) / 1000, Detail: in.Detail, Why: strings.Join(in.Why, "; ")}
		if in.Peer.IsValid() {
			r.Peer = in.Peer.String()
		}
		if in.Ports <= 1 {
			r.Port = strconv.Itoa(int(in.Port))
		}
		out = append(out, r)
	}
	return WriteCSV(filepath.Join(dir, IncidentsFile), &out)
}
