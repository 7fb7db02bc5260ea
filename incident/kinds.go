package incident

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/flows"
)

// Description is what an incident is, in an analyst's words: its kind,
// a summary ("scan of 199 ports of 10.1.0.13", "SMTP to 1,057 hosts",
// "beaconing to 192.0.2.14:443 (HTTPS) every 2m34s"), the connections it
// is about, and the kind's own evidence (the period, the bytes, what is
// new).
type Description struct {
	Kind    string
	Summary string
	// Direction, Peer and Port describe the connections: a scan has no
	// single port (0, Ports > 1), a fan-out no single peer (invalid).
	Direction flows.Direction
	Peer      netip.Addr
	Port      uint16
	Ports     int // distinct ports of those connections
	Peers     int // distinct peers
	Detail    string
}

// Kind is a kind of incident: its name, and how its root causes are
// recognised as one.
type Kind struct {
	Name string
	// Describe describes an incident whose root causes are of this
	// kind, and reports whether they are.
	Describe func(c *Incident) (Description, bool)
	// Next says what an analyst would do next about an incident of this
	// kind: what to look at, what to block.
	Next func(s Subject) string
}

// Subject is an incident as its row in incidents.csv gives it, for words
// about it: the host, the direction ("outbound", "inbound"), the peer
// ("*" for a fan-out's many) and the port ("*" for a scan's many).
type Subject struct {
	Host, Direction, Peer, Port string
}

// Outbound reports whether the host made the connections.
func (s Subject) Outbound() bool { return s.Direction == flows.Outbound.String() }

// role names the peer by what it is to the host.
func (s Subject) role() string {
	if s.Outbound() {
		return "server"
	}
	return "client"
}

// NextStep says what an analyst would do next about an incident of the
// named kind; "" for a kind that is not in Kinds.
func NextStep(kind string, s Subject) string {
	for _, k := range Kinds() {
		if k.Name == kind && k.Next != nil {
			return k.Next(s)
		}
	}
	return ""
}

// Kinds returns the kinds of incidents, in the order they are tried: the
// first whose Describe recognises an incident's root causes names it.
// Adding a kind is one file with its Describe and one line here.
func Kinds() []Kind {
	return []Kind{
		portScan(),
		fanOut(),
		beaconing(),
		unusualPortOfKnownPeer(),
		exfiltration(),
		unusualPort(),
		newPeer(),
		connection(),
	}
}

// describe sets the incident's description from its root causes.
func (c *Incident) describe() {
	if len(c.Causes) == 0 {
		return
	}
	for _, k := range Kinds() {
		if d, ok := k.Describe(c); ok {
			d.Kind = k.Name
			c.Description = d
			return
		}
	}
}

// Describe sets the incident's description from its root causes, as the
// tracker does at each event.
func Describe(c *Incident) { c.describe() }

// subject is the connection an incident is mostly about: the one whose
// root-cause flows bring the most evidence (then the most flows, then the
// earliest), with those flows in time order.
func subject(c *Incident) (flows.Connection, []*Cause) {
	by := map[flows.Connection][]*Cause{}
	var order []flows.Connection
	for i := range c.Causes {
		k := &c.Causes[i]
		if _, ok := by[k.Conn]; !ok {
			order = append(order, k.Conn)
		}
		by[k.Conn] = append(by[k.Conn], k)
	}
	best := order[0]
	for _, conn := range order[1:] {
		if compareGroups(by[conn], by[best]) < 0 {
			best = conn
		}
	}
	fs := by[best]
	slices.SortStableFunc(fs, func(a, b *Cause) int { return cmp.Compare(a.Start, b.Start) })
	return best, fs
}

// compareGroups orders groups of root-cause flows: most evidence first,
// then most flows, then earliest.
func compareGroups(a, b []*Cause) int {
	ea, eb := evidence(a), evidence(b)
	return cmp.Or(cmp.Compare(eb, ea), cmp.Compare(len(b), len(a)), cmp.Compare(earliest(a), earliest(b)))
}

func evidence(fs []*Cause) float64 {
	s := 0.0
	for _, f := range fs {
		s += f.Surprise
	}
	return s
}

func earliest(fs []*Cause) int64 {
	e := fs[0].Start
	for _, f := range fs[1:] {
		e = min(e, f.Start)
	}
	return e
}

// groupBy returns the incident's root-cause flows grouped by key, the
// group with the most distinct values of distinct first (see
// compareGroups on ties), if it has at least least of them.
func groupBy[K comparable, D comparable](c *Incident, key func(*Cause) K, distinct func(*Cause) D, least int) ([]*Cause, int, bool) {
	groups := map[K][]*Cause{}
	var order []K
	for i := range c.Causes {
		k := key(&c.Causes[i])
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], &c.Causes[i])
	}
	var best []*Cause
	bestN := 0
	for _, k := range order {
		seen := map[D]bool{}
		for _, f := range groups[k] {
			seen[distinct(f)] = true
		}
		if n := len(seen); n >= least && (best == nil || n > bestN || n == bestN && compareGroups(groups[k], best) < 0) {
			best, bestN = groups[k], n
		}
	}
	return best, bestN, best != nil
}

// maxWhy bounds the words of novelty an incident's detail quotes: a
// scan's every flow is new in its own words, so the first few say what
// they are and the rest are counted.
const maxWhy = 4

// others says how many connections of the incident its description
// leaves out, and why its main flows are unlikely (the first maxWhy
// reasons), when the scoring says.
func others(c *Incident, in []*Cause) string {
	conns := map[flows.Connection]bool{}
	for _, f := range in {
		conns[f.Conn] = true
	}
	out := map[flows.Connection]bool{}
	for i := range c.Causes {
		if !conns[c.Causes[i].Conn] {
			out[c.Causes[i].Conn] = true
		}
	}
	var s []string
	var why []string
	seen := map[string]bool{}
	more := 0
	for _, f := range in {
		for _, w := range f.Why {
			switch {
			case seen[w]:
			case len(why) == maxWhy:
				seen[w] = true
				more++
			default:
				seen[w] = true
				why = append(why, w)
			}
		}
	}
	if more > 0 {
		why = append(why, fmt.Sprintf("and %d more", more))
	}
	if len(why) > 0 {
		s = append(s, strings.Join(why, ", "))
	}
	switch n := len(out); {
	case n == 1:
		s = append(s, "1 other connection")
	case n > 1:
		s = append(s, fmt.Sprintf("%d other connections", n))
	}
	if len(s) == 0 {
		return ""
	}
	return "; " + strings.Join(s, "; ")
}

// novelty says what of a connection training never saw: "; new peer, new
// port", or "".
func novelty(f *Cause) string {
	var s []string
	if f.NewPeer {
		s = append(s, "new peer")
	}
	if f.NewPort {
		s = append(s, "new port")
	}
	if len(s) == 0 {
		return ""
	}
	return "; " + strings.Join(s, ", ")
}

func connDescription(conn flows.Connection) Description {
	return Description{Direction: conn.Direction, Peer: conn.Peer, Port: conn.Port, Ports: 1, Peers: 1}
}
