package rootcause

import (
	"math"

	"github.com/netflow-monitor/monitor/flows"
)

// Names names symbols as every report of a unit writes them (the
// predictions files of run and watch, the root-cause reports): by the
// encoder's names, each computed once, and a symbol never seen in training
// by what its flow was, "unseen:out/tcp/s01/d2/p:wk".
type Names struct {
	enc   flows.Encoder
	cache []string
	// unseen are the names of unseen flows named lately, each in the
	// slot its features hash to: a flow is in as many windows as a window
	// has flows, and a flood's or a scan's are all unseen.
	unseen *[unseenSlots]unseenName
}

// unseenSlots is how many names of unseen flows a Names keeps.
const (
	unseenBits  = 10
	unseenSlots = 1 << unseenBits
)

type unseenName struct {
	x    flows.Features
	name string
}

// NewNames returns the names of enc's symbols.
func NewNames(enc flows.Encoder) *Names { return &Names{enc: enc} }

// Symbol returns the name of a symbol of the alphabet.
func (n *Names) Symbol(sym int32) string {
	if sym < 0 || sym >= 1<<16 {
		return n.enc.SymbolName(sym)
	}
	if int(sym) >= len(n.cache) {
		n.cache = append(n.cache, make([]string, int(sym)+1-len(n.cache))...)
	}
	if n.cache[sym] == "" {
		n.cache[sym] = n.enc.SymbolName(sym)
	}
	return n.cache[sym]
}

// Of returns the namer of a window's symbols (by position) whose flows
// are fl (nil when unknown: an unseen symbol is then named as the
// encoder names it).
func (n *Names) Of(fl []flows.Features) func(i int, sym int32) string {
	return func(i int, sym int32) string {
		if sym == flows.Unknown && i < len(fl) {
			return n.flow(&fl[i])
		}
		return n.Symbol(sym)
	}
}

// flow returns the name of an unseen flow x.
func (n *Names) flow(x *flows.Features) string {
	if n.unseen == nil {
		n.unseen = new([unseenSlots]unseenName)
	}
	h := x.Bytes*0x9e3779b97f4a7c15 ^ x.Packets*0xbf58476d1ce4e5b9 ^ math.Float64bits(x.Duration)*0x94d049bb133111eb ^
		(uint64(x.DstPort)<<16|uint64(x.Proto)<<8|uint64(x.Dir))*0xd6e8feb86659fd93
	slot := &n.unseen[(h*0x9e3779b97f4a7c15)>>(64-unseenBits)]
	if slot.name == "" || slot.x != *x {
		slot.x, slot.name = *x, "unseen:"+n.enc.FlowName(x)
	}
	return slot.name
}
