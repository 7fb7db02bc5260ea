package simulate

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/netflow-monitor/monitor/flows"
)

// rec is a flow in the generator's merge heap, or, when stream >= 0, the
// moment that stream's next event is due.
type rec struct {
	start   int64 // Unix nanoseconds
	seq     uint64
	dur     float64 // seconds, to the microsecond
	bytes   uint64
	packets uint64
	src     uint16 // host indexes
	dst     uint16
	sport   uint16
	dport   uint16
	stream  int32 // -1 for a flow
	proto   flows.Protocol
	label   uint8 // 0 normal, 1 + index in Kinds()
}

// newRand returns the random source of a named stream: streams do not share
// sources, so one stream's draws never shift another's.
func newRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// stream produces the events of one connection type (or call chain) in
// time order.
type stream struct {
	name  string
	law   law
	rng   *rand.Rand
	count int // events in the span
	done  int
	next  float64 // the next event's time, seconds from the span's start (not lawList)

	curve *curve // lawPoisson
	order orderStats

	interval, phase, jitter float64 // lawPeriodic

	hops  []hop
	emit  []bool // which hops touch a simulated service
	sport uint16 // source port of a persistent stream, else 0

	list []rec // lawList: the flows, in order

	// Scratch space for one event, one entry per hop.
	start, dur, childEnd, cursor []float64
	bytes, packets               []uint64
	src, dst                     []uint16
}

// newChainStream sets up a Poisson or periodic stream of count events.
func newChainStream(seed uint64, sp *streamSpec, emit []bool, count int, c *curve, span float64) *stream {
	s := &stream{name: sp.name, law: sp.law, rng: newRand(seed, "stream/"+sp.name), count: count,
		hops: sp.hops, emit: emit, jitter: sp.jitter}
	n := len(sp.hops)
	s.start, s.dur, s.childEnd, s.cursor = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	s.src, s.dst = make([]uint16, n), make([]uint16, n)
	s.bytes, s.packets = make([]uint64, n), make([]uint64, n)
	if sp.persistent {
		s.sport = ephemeralPort(s.rng)
	}
	switch sp.law {
	case lawPoisson:
		s.curve = c
		s.order = orderStats{rest: 1, left: count}
	case lawPeriodic:
		s.interval = span / float64(count)
		s.phase = s.interval * (s.jitter + (1-2*s.jitter)*s.rng.Float64())
	}
	s.advance(span)
	return s
}

// advance computes the time of event s.done, if any is left.
func (s *stream) advance(span float64) {
	if s.done >= s.count {
		return
	}
	switch s.law {
	case lawPoisson:
		s.next = s.order.next(s.curve, 1-s.rng.Float64())
	case lawPeriodic:
		s.next = s.phase + float64(s.done)*s.interval + s.interval*s.jitter*(2*s.rng.Float64()-1)
		s.next = min(max(s.next, 0), span)
	}
}

// due returns when the next event is due, in Unix nanoseconds.
func (s *stream) due(startNs int64) int64 {
	if s.law == lawList {
		return s.list[s.done].start
	}
	return startNs + micros(s.next)*1000
}

func ephemeralPort(r *rand.Rand) uint16 { return uint16(32768 + r.IntN(60999-32768+1)) }

// expand draws the flows of the event at t (seconds from the span start)
// and hands those that touch a simulated service to push. Every hop is
// drawn, emitted or not, so that a stream's draws do not depend on which
// services are simulated.
func (s *stream) expand(t float64, n *network, startNs int64, push func(rec)) {
	r := s.rng
	rootCursor := t
	for i := range s.hops {
		hp := &s.hops[i]
		s.src[i] = pick(n, hp.src, r)
		s.dst[i] = pick(n, hp.dst, r)
		s.bytes[i], s.packets[i], s.dur[i] = hp.size.sample(r, hp.proto)
		switch {
		case i == 0:
			s.start[i] = t
		case hp.parent < 0:
			s.start[i] = rootCursor + 0.0002 + r.ExpFloat64()*0.002
		default:
			s.start[i] = s.cursor[hp.parent] + 0.0001 + r.ExpFloat64()*0.0006
		}
		s.childEnd[i] = 0
		s.cursor[i] = s.start[i] + 0.0002 + r.ExpFloat64()*0.0005
		if hp.parent >= 0 {
			s.cursor[hp.parent] = s.start[i] + s.dur[i] // the next sibling waits for this call
		} else {
			rootCursor = s.start[i] + s.dur[i]
		}
	}
	// A parent lasts until its last child is done.
	for i := len(s.hops) - 1; i >= 0; i-- {
		end := s.start[i] + s.dur[i]
		if s.childEnd[i] > end {
			end = s.childEnd[i] + 0.0002 + r.ExpFloat64()*0.0005
			s.dur[i] = end - s.start[i]
		}
		if p := s.hops[i].parent; p >= 0 {
			s.childEnd[p] = max(s.childEnd[p], end)
		}
	}
	for i := range s.hops {
		sport := s.sport
		if sport == 0 {
			sport = ephemeralPort(r)
		}
		if !s.emit[i] {
			continue
		}
		push(rec{
			start: startNs + micros(s.start[i])*1000, dur: roundMicro(s.dur[i]),
			bytes: s.bytes[i], packets: s.packets[i], src: s.src[i], dst: s.dst[i],
			sport: sport, dport: s.hops[i].port, stream: -1, proto: s.hops[i].proto,
		})
	}
}

func pick(n *network, e endpoint, r *rand.Rand) uint16 {
	if e >= 0 {
		return uint16(e)
	}
	p := n.pool(e)
	return uint16(p[r.IntN(len(p))])
}

func micros(sec float64) int64       { return int64(math.Round(sec * 1e6)) }
func roundMicro(sec float64) float64 { return math.Round(sec*1e6) / 1e6 }

// Header sizes, for the least bytes a number of packets can carry.
const (
	tcpHeader = 40
	udpHeader = 28
)

// sample draws one flow's bytes, packets and duration.
func (m *sizeModel) sample(r *rand.Rand, proto flows.Protocol) (bytes, packets uint64, dur float64) {
	if m.fail > 0 && r.Float64() < m.fail {
		// A failed connection: refused (SYN, RST) or timed out (the SYN
		// and its retransmissions).
		p := 1 + r.IntN(3)
		if r.IntN(2) == 0 {
			return uint64(p) * 52, uint64(p), 0.0002 * r.Float64()
		}
		return uint64(p) * 60, uint64(p), float64(p-1)*1.5 + 0.2*r.Float64()
	}
	z := r.NormFloat64()
	b := m.bytes * math.Exp(m.bytesSigma*z)
	p := float64(m.minPkts) + math.Round(b/m.pkt*(0.9+0.2*r.Float64()))
	p = max(p, 2)
	hdr := float64(tcpHeader)
	if proto != flows.ProtoTCP {
		hdr = udpHeader
	}
	b = max(b, p*hdr)
	d := m.dur * math.Exp(m.durSigma*r.NormFloat64()+m.durScale*m.bytesSigma*z)
	return uint64(b), uint64(p), d
}
