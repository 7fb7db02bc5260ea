package rootcause

import (
	"cmp"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

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

// Rank ranks the connections behind a host's anomalies, merged across
// states: by evidence, then alarms, first seen, direction, peer and port.
// novel may be nil (nothing is new).
func Rank(anomalies []Anomaly, novel Novel) []Ranked {
	byConn := map[flows.Connection]*Ranked{}
	states := map[flows.Connection]map[int32]int{}
	flowSeen := map[int]bool{}
	for _, a := range anomalies {
		c := a.Cause
		r := byConn[c.Conn]
		if r == nil {
			r = &Ranked{Connection: c.Conn, FirstSeen: c.Start}
			if novel != nil && c.Index < len(a.Flows) {
				r.NewPort, r.NewPeer = novel.Says(c.Conn.Peer, &a.Flows[c.Index])
			}
			byConn[c.Conn] = r
			states[c.Conn] = map[int32]int{}
		}
		r.Alarms++
		r.FirstSeen = min(r.FirstSeen, c.Start)
		states[c.Conn][c.State]++
		if c.Index >= len(a.Scores) {
			continue
		}
		s := -a.Scores[c.Index]
		if s > r.Max || r.Why == nil {
			r.Why = c.Why
		}
		r.Max = math.Max(r.Max, s)
		if !flowSeen[c.Flow] {
			flowSeen[c.Flow] = true
			r.Flows++
			r.Evidence += s
		}
	}
	out := make([]Ranked, 0, len(byConn))
	for conn, r := range byConn {
		best := int32(-1)
		for s, n := range states[conn] {
			if b := states[conn][best]; best < 0 || n > b || (n == b && s < best) {
				best = s
			}
		}
		r.State = best
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(b.Evidence, a.Evidence), cmp.Compare(b.Alarms, a.Alarms),
			cmp.Compare(printedMillis(a.FirstSeen), printedMillis(b.FirstSeen)), a.Connection.Compare(b.Connection))
	})
	return out
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
