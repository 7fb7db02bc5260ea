package rootcause

import (
	"cmp"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
)

// ConnectionsFile is a host's one ranking of the connections behind its
// alarms, over all root-cause states.
const ConnectionsFile = "root_cause_connections.csv"

// Ranked is a connection behind a host's alarms, with the evidence against
// it.
type Ranked struct {
	flows.Connection
	Alarms int // anomalous windows it is the root cause of
	Flows  int // its distinct root-cause flows
	// Evidence is the sum, over its distinct root-cause flows, of how
	// unlikely each was (−score, in nats): each flow counts once, however
	// many windows it is the root cause of.
	Evidence float64
	Max      float64 // its least likely flow's −score
	// NewPeer and NewPort: training never saw the peer (in either
	// direction), or the direction, protocol and port.
	NewPeer, NewPort bool
	FirstSeen        int64 // the earliest of its root-cause flows
	State            int32 // the state most of its alarms were read in
	// Why says what training never saw of its least likely flow (see
	// detector.Cause).
	Why []string
}

// Novel says what of a root-cause flow (its peer and features) the
// training never saw (model.Novelty is one).
type Novel interface {
	Says(peer netip.Addr, x *flows.Features) (newPort, newPeer bool)
}

// Rank ranks the connections behind a host's anomalies (in window
// order), merged across states: by evidence, then alarms, first seen,
// direction, peer and port. novel may be nil (nothing is new).
func Rank(anomalies []Anomaly, novel Novel) []Ranked {
	r := newRanking(len(anomalies) + 1)
	for i := range anomalies {
		a := &anomalies[i]
		var x *flows.Features
		if a.Cause.Index < len(a.Flows) {
			x = &a.Flows[a.Cause.Index]
		}
		s, scored := 0.0, a.Cause.Index < len(a.Scores)
		if scored {
			s = -a.Scores[a.Cause.Index]
		}
		r.add(&a.Cause, x, s, scored, a.Start, newnessOf(novel, &a.Cause, x), whyOf{words: a.Cause.Why})
	}
	return r.ranked()
}

// ranking is the connections behind a host's alarms as they come, at
// most a bound of them (see table): exact while there are no more.
type ranking struct {
	t *table[flows.Connection, rankEntry]
	// recent are the root-cause flows of the latest windows: a flow
	// blamed by several windows brings its evidence once.
	recent []int
}

// rankEntry is a connection of the ranking: its counts since it was
// taken in, and the rank it started from (see table).
type rankEntry struct {
	Ranked
	BaseEvidence float64      `json:",omitempty"`
	BaseAlarms   int          `json:",omitempty"`
	States       []stateCount // how many of its alarms were read in each state
	// why are the words of its least likely flow until they are written
	// into Why (see words).
	why whyOf
}

// whyOf is the words of a root cause (see detector.Cause.Why): known, or
// written when asked for (lazy), or none (both nil).
type whyOf struct {
	words []string
	lazy  func() []string
}

func (w whyOf) none() bool { return w.words == nil && w.lazy == nil }

// words writes the entry's words into Why, once.
func (e *rankEntry) words() {
	if e.why.lazy != nil {
		e.why = whyOf{words: e.why.lazy()}
	}
	e.Why = e.why.words
}

// stateCount is how many of a connection's alarms were read in a state,
// and the earliest of their root-cause flows.
type stateCount struct {
	State, N  int32
	FirstSeen int64
}

func newRanking(max int) *ranking {
	return &ranking{t: newTable[flows.Connection](max, rankBelow, func(e, from *rankEntry) {
		e.BaseEvidence, e.BaseAlarms = from.Evidence+from.BaseEvidence, from.Alarms+from.BaseAlarms
	})}
}

// rankBelow orders entries by evidence, then alarms (each with the rank
// it started from), first seen as printed, then connection: the lowest
// first, the order of the ranking reversed.
func rankBelow(a, b *rankEntry) bool {
	if x, y := a.Evidence+a.BaseEvidence, b.Evidence+b.BaseEvidence; x != y {
		return x < y
	}
	if x, y := a.Alarms+a.BaseAlarms, b.Alarms+b.BaseAlarms; x != y {
		return x < y
	}
	if x, y := printedMillis(a.FirstSeen), printedMillis(b.FirstSeen); x != y {
		return x > y
	}
	return b.Connection.Compare(a.Connection) < 0
}

// newness is what training never saw of a root-cause flow: its port (or
// protocol), its peer, anything at all (then there are words for it).
type newness struct{ port, peer, any bool }

// newnessOf asks novel (nil: nothing is new) about the flow x (nil when
// not known) of root cause c.
func newnessOf(novel Novel, c *detector.Cause, x *flows.Features) newness {
	if novel == nil || x == nil {
		return newness{}
	}
	port, peer := novel.Says(c.Conn.Peer, x)
	return newness{port: port, peer: peer, any: port || peer}
}

// add counts one alarm whose root cause is c, the flow x (nil when not
// known), of surprise s when scored, what is new nw and words why; first
// is the window's first flow.
func (r *ranking) add(c *detector.Cause, x *flows.Features, s float64, scored bool, first int, nw newness, why whyOf) {
	e := r.t.add(c.Conn, func() rankEntry {
		e := rankEntry{Ranked: Ranked{Connection: c.Conn, FirstSeen: c.Start}}
		if x != nil {
			e.NewPort, e.NewPeer = nw.port, nw.peer
		}
		return e
	})
	e.Alarms++
	e.FirstSeen = min(e.FirstSeen, c.Start)
	if i := slices.IndexFunc(e.States, func(k stateCount) bool { return k.State == c.State }); i >= 0 {
		e.States[i].N++
		e.States[i].FirstSeen = min(e.States[i].FirstSeen, c.Start)
	} else {
		e.States = append(e.States, stateCount{c.State, 1, c.Start})
	}
	if scored {
		if s > e.Max || e.why.none() {
			e.why = why
		}
		e.Max = math.Max(e.Max, s)
		if !r.seen(c.Flow, first) {
			e.Flows++
			e.Evidence += s
		}
	}
	r.t.fixed(c.Conn)
}

// seen reports whether flow was the root cause of an earlier window, and
// notes it: only the latest windows can share a flow with the window
// whose first flow is first, so only their root causes are kept.
func (r *ranking) seen(flow, first int) bool {
	drop := 0
	for drop < len(r.recent) && r.recent[drop] < first {
		drop++
	}
	r.recent = append(r.recent[:0], r.recent[drop:]...)
	if slices.Contains(r.recent, flow) {
		return true
	}
	r.recent = append(r.recent, flow)
	return false
}

// ranked returns the connections kept, ranked.
func (r *ranking) ranked() []Ranked {
	out := make([]Ranked, 0, r.t.len())
	r.t.each(func(_ flows.Connection, e *rankEntry) {
		e.words()
		rk := e.Ranked
		rk.State = mostAlarms(e.States)
		out = append(out, rk)
	})
	slices.SortFunc(out, compareRanked)
	return out
}

// mostAlarms returns the state most alarms were read in, the lowest on a
// tie (-1 for none).
func mostAlarms(states []stateCount) int32 {
	best := -1
	for i, k := range states {
		if b := best; b < 0 || k.N > states[b].N || (k.N == states[b].N && k.State < states[b].State) {
			best = i
		}
	}
	if best < 0 {
		return -1
	}
	return states[best].State
}

// compareRanked orders the ranking: by evidence, then alarms, first seen
// as printed, direction, peer and port.
func compareRanked(a, b Ranked) int {
	return cmp.Or(cmp.Compare(b.Evidence, a.Evidence), cmp.Compare(b.Alarms, a.Alarms),
		cmp.Compare(printedMillis(a.FirstSeen), printedMillis(b.FirstSeen)), a.Connection.Compare(b.Connection))
}

// RankRow is one row of ConnectionsFile: the per-state connection
// report's columns, then the evidence; WriteReports writes it and
// ReadRanking reads it.
type RankRow struct {
	Direction string  `csv:"direction"`
	IP        string  `csv:"ip"`
	Port      uint16  `csv:"port"`
	Count     int     `csv:"number of times flagged as root cause"`
	FirstSeen string  `csv:"first time seen"`
	Flows     int     `csv:"root-cause flows"`
	Evidence  float64 `csv:"evidence"`
	Max       float64 `csv:"max surprise"`
	NewPeer   bool    `csv:"new peer"`
	NewPort   bool    `csv:"new port"`
	State     int32   `csv:"root cause state"`
	Why       string  `csv:"what is new"`
}

// writeRanking writes a host's ConnectionsFile into dir.
func writeRanking(dir string, rs []Ranked) error {
	rows := make([]RankRow, 0, len(rs))
	round := func(x float64) float64 { return math.Round(x*1000) / 1000 }
	for _, r := range rs {
		rows = append(rows, RankRow{r.Direction.String(), r.Peer.String(), r.Port, r.Alarms, isoTime(r.FirstSeen),
			r.Flows, round(r.Evidence), round(r.Max), r.NewPeer, r.NewPort, r.State, strings.Join(r.Why, "; ")})
	}
	return WriteCSV(filepath.Join(dir, ConnectionsFile), &rows)
}

// Top returns a host's top connection (the first of its ranking), with how
// often it was flagged and since when, and the state most of its alarms
// were read in; false when the host had no alarm.
func (r *Report) Top() (ConnectionStat, int32, bool) {
	if len(r.Connections) == 0 {
		return ConnectionStat{}, 0, false
	}
	c := r.Connections[0]
	return ConnectionStat{Connection: c.Connection, Count: c.Alarms, FirstSeen: c.FirstSeen}, c.State, true
}
