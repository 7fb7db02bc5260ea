package simulate

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"

	"github.com/netflow-monitor/monitor/flows"
)

// instance is one injected anomaly: flows between one source and one
// destination, all labelled with its kind.
type instance struct {
	kind     Kind
	src, dst endpoint
	target   int    // a port scan's target role
	port     uint16 // destination port; 0 for a port scan
	call     unusualCall
	flows    []rec
}

// unusualCall is a connection a service never makes in normal traffic.
type unusualCall struct {
	src, dst   int // roles
	port       uint16
	size       sizeModel
	minN, maxN int
}

// candidates lists, per kind, who injects it (roles, in the injection's
// cell), in order of preference: the j-th injection of a kind takes the
// j-th candidate whose source is simulated (cycling when there are fewer).
// Every list has entries from the frontend, the first role of every cell.
type candidates struct {
	exfil   []int    // source roles
	scan    [][2]int // source, target roles
	beacon  []int    // source roles
	unusual []unusualCall
}

func anomalyCandidates() candidates {
	bulk := sizeModel{bytes: 2.5e6, bytesSigma: 0.5, pkt: 1400, minPkts: 5, dur: 3, durSigma: 0.4, durScale: 0.6}
	ssh := sizeModel{bytes: 40e3, bytesSigma: 0.8, pkt: 90, minPkts: 20, dur: 120, durSigma: 0.6, durScale: 0.2}
	mgmt := sizeModel{bytes: 30e3, bytesSigma: 0.5, pkt: 800, minPkts: 5, dur: 0.3, durSigma: 0.4, durScale: 0.2}
	dump := sizeModel{bytes: 3e6, bytesSigma: 0.4, pkt: 1400, minPkts: 5, dur: 1.5, durSigma: 0.4, durScale: 0.6}
	return candidates{
		exfil: []int{rDB, rAPI, rAuth, rFrontend, rCache, rMQ, rWorker, rSearch},
		scan: [][2]int{{rFrontend, rDB}, {rMQ, rAPI}, {rAPI, rCache}, {rWorker, rDB}, {rSearch, rAuth},
			{rCache, rFrontend}, {rAuth, rMQ}, {rDB, rSearch}, {rFrontend, rAuth}},
		beacon: []int{rAuth, rCache, rWorker, rFrontend, rAPI, rDB, rMQ, rSearch},
		unusual: []unusualCall{
			{rFrontend, rDB, 5432, bulk, 6, 12},   // the web tier querying the database directly
			{rAPI, rDB, 22, ssh, 3, 6},            // SSH sessions to the database host
			{rCache, rDB, 5432, bulk, 6, 12},      // the cache host reading the database
			{rMQ, rDB, 5432, bulk, 6, 12},         // the broker reading the database
			{rWorker, rAuth, 22, ssh, 3, 6},       // SSH to the auth host
			{rSearch, rDB, 5432, bulk, 6, 12},     // search reading the database directly
			{rAuth, rMQ, 15672, mgmt, 8, 16},      // auth on the broker's management API
			{rDB, rCache, 6379, dump, 4, 8},       // the database host dumping the cache
			{rFrontend, rCache, 6379, dump, 4, 8}, // the web tier dumping the cache
		},
	}
}

// nth returns the j-th usable entry of list (cycling), usable meaning its
// source role is simulated.
func nth[T any](list []T, j, services int, src func(T) int) T {
	var ok []T
	for _, c := range list {
		if src(c) < services {
			ok = append(ok, c)
		}
	}
	return ok[j%len(ok)]
}

// planAnomalies builds the injections of cfg over the monitoring period,
// which starts train seconds into the span and lasts monitor seconds. It
// adds the anomalies' unknown peers to the network.
func planAnomalies(cfg Config, n *network, startNs int64, train, monitor float64) []*instance {
	var out []*instance
	var rngs []*rand.Rand
	cand := anomalyCandidates()
	// Injection k of all goes to cell k·cells/total, so that they spread
	// over the cells; the first cell takes them all when it is the only one.
	cells, total := len(n.svc), len(cfg.Anomalies)*cfg.PerKind
	for ki, k := range cfg.Anomalies {
		for j := range cfg.PerKind {
			r := newRand(cfg.Seed, fmt.Sprintf("anomaly/%s/%d", k, j))
			cell := (ki*cfg.PerKind + j) * cells / total
			simulated := min(cellSize, cfg.Services-cell*cellSize)
			svc := n.svc[cell]
			in := &instance{kind: k}
			switch k {
			case Exfiltration:
				in.src = svc[nth(cand.exfil, j, simulated, func(c int) int { return c })]
				in.dst = n.addHost(netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + r.IntN(240))}))
				in.port = 443
			case PortScan:
				c := nth(cand.scan, j, simulated, func(c [2]int) int { return c[0] })
				in.src, in.dst, in.target = svc[c[0]], svc[c[1]], c[1]
			case Beaconing:
				in.src = svc[nth(cand.beacon, j, simulated, func(c int) int { return c })]
				in.dst = n.addHost(netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + r.IntN(240))}))
				in.port = 443
			case UnusualPort:
				c := nth(cand.unusual, j, simulated, func(c unusualCall) int { return c.src })
				in.src, in.dst, in.port, in.call = svc[c.src], svc[c.dst], c.port, c
			}
			out = append(out, in)
			rngs = append(rngs, r)
		}
	}
	if len(out) == 0 {
		return nil
	}
	// Each injection gets its own slice of the monitoring period, in a
	// random order, and starts early in it.
	slot := monitor / float64(len(out))
	perm := newRand(cfg.Seed, "anomaly/slots").Perm(len(out))
	for i, in := range out {
		r := rngs[i]
		at := train + float64(perm[i])*slot + slot*(0.05+0.35*r.Float64())
		in.generate(r, cfg, startNs, at, 0.5*slot)
	}
	slices.SortStableFunc(out, func(a, b *instance) int { return cmp.Compare(a.flows[0].start, b.flows[0].start) })
	return out
}

// commonPorts are the ports a scanner tries first.
func commonPorts() []uint16 {
	return []uint16{21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 389, 443, 445, 465, 587, 636,
		993, 995, 1433, 1521, 2049, 2379, 3000, 3306, 3389, 5000, 5432, 5672, 5900, 6379, 8000,
		8080, 8443, 8888, 9000, 9090, 9092, 9100, 9200, 9300, 11211, 15672, 27017}
}

// generate draws the injection's flows, starting at (seconds from the
// span's start) and lasting at most budget seconds.
func (in *instance) generate(r *rand.Rand, cfg Config, startNs int64, at, budget float64) {
	label := uint8(slices.Index(Kinds(), in.kind) + 1)
	var offs []float64
	// spread draws n offsets with the given gaps and squeezes them into
	// the budget.
	spread := func(n int, gap func() float64) {
		offs = make([]float64, n)
		for i := 1; i < n; i++ {
			offs[i] = offs[i-1] + gap()
		}
		if last := offs[n-1]; last > budget {
			for i := range offs {
				offs[i] *= budget / last
			}
		}
	}
	add := func(off, dur float64, bytes, packets uint64, sport, dport uint16) {
		in.flows = append(in.flows, rec{
			start: startNs + micros(at+off)*1000, dur: roundMicro(dur), bytes: bytes, packets: packets,
			src: uint16(in.src), dst: uint16(in.dst), sport: sport, dport: dport,
			stream: -1, proto: flows.ProtoTCP, label: label,
		})
	}
	switch in.kind {
	case Exfiltration:
		// Uploads of 8-60 MB, throttled to stay under the radar (0.1-0.4
		// MB/s, so minutes long), a few at a time.
		spread(12+r.IntN(13), func() float64 { return 5 + 25*r.ExpFloat64() })
		for _, off := range offs {
			b := min(max(20e6*math.Exp(0.4*r.NormFloat64()), 8e6), 60e6)
			rate := 0.1e6 + 0.3e6*r.Float64()
			p := 5 + math.Round(b/1448*1.5)
			add(off, b/rate, uint64(b), uint64(p), ephemeralPort(r), in.port)
		}
	case PortScan:
		// A SYN scan from one source port: closed ports reset, open ones
		// answer, filtered ones drop the SYN, which is sent twice.
		n := 150 + r.IntN(151)
		ports := portList(r, n)
		target := Roles()[in.target]
		spread(n, func() float64 { return 0.015 * r.ExpFloat64() })
		sport := ephemeralPort(r)
		for i, off := range offs {
			port := ports[i]
			switch {
			case port == target.Port || port == 22 || port == 9100:
				add(off, 0.0002+0.0008*r.Float64(), 128, 3, sport, port)
			case r.Float64() < 0.1:
				add(off, 1+0.01*r.Float64(), 88, 2, sport, port)
			default:
				add(off, 0.0001+0.0003*r.Float64(), 84, 2, sport, port)
			}
		}
	case Beaconing:
		// Small check-ins at a fixed interval, with well under 1 % jitter.
		n := 48 + r.IntN(25)
		interval := min(300, budget/float64(n))
		offs = make([]float64, n)
		for i := range offs {
			offs[i] = float64(i)*interval + interval*0.004*(2*r.Float64()-1)
		}
		offs[0] = max(offs[0], 0)
		for _, off := range offs {
			b := 520 * math.Exp(0.06*r.NormFloat64())
			add(off, 0.15*math.Exp(0.15*r.NormFloat64()), uint64(b), uint64(6+r.IntN(2)), ephemeralPort(r), in.port)
		}
	case UnusualPort:
		c := in.call
		spread(c.minN+r.IntN(c.maxN-c.minN+1), func() float64 { return 240 * r.ExpFloat64() })
		for _, off := range offs {
			b, p, d := c.size.sample(r, flows.ProtoTCP)
			add(off, d, b, p, ephemeralPort(r), in.port)
		}
	}
}

// portList returns n distinct ports, the common ones first, in a random
// order.
func portList(r *rand.Rand, n int) []uint16 {
	ports := commonPorts()
	seen := make(map[uint16]bool, n)
	for _, p := range ports {
		seen[p] = true
	}
	for len(ports) < n {
		p := uint16(1 + r.IntN(9999))
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	ports = ports[:n]
	r.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	return ports
}
