package rootcause

import "github.com/netflow-monitor/monitor/flows"

// Names names symbols as every report of a unit writes them (the
// predictions files of run and watch, the root-cause reports): by the
// encoder's names, each computed once, and a symbol never seen in training
// by what its flow was, "unseen:out/tcp/s01/d2/p:wk".
type Names struct {
	enc   flows.Encoder
	cache []string
	// unseen are the names of the unseen flows named lately: a flow is
	// in as many windows as a window has flows, and a flood's or a scan's
	// are all unseen. Emptied (its room kept) when it holds maxUnseen.
	unseen map[flows.Features]string
}

// maxUnseen bounds the unseen flows' names a Names keeps.
const maxUnseen = 1 << 10

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
	if s, ok := n.unseen[*x]; ok {
		return s
	}
	if n.unseen == nil {
		n.unseen = make(map[flows.Features]string)
	} else if len(n.unseen) >= maxUnseen {
		clear(n.unseen)
	}
	s := "unseen:" + n.enc.FlowName(x)
	n.unseen[*x] = s
	return s
}
