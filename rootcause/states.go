package rootcause

import (
	"cmp"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
)

// pairKey is a connection behind the alarms of one root-cause state.
type pairKey struct {
	state int32
	conn  flows.Connection
}

// pairEntry is what a state's connection report says of a connection: how
// often it was the root cause there and since when (its own counts since
// it was taken in, see table), and the count it started from.
type pairEntry struct {
	ConnectionStat
	State     int32
	BaseCount int `json:",omitempty"`
}

// pairTable is the table of the connections behind each state's alarms.
type pairTable = table[pairKey, pairEntry]

// newPairs returns the table of the connections behind each state's
// alarms, at most max of them over all states.
func newPairs(max int) *pairTable {
	return newTable[pairKey](max, pairBelow, func(e, from *pairEntry) { e.BaseCount = from.Count + from.BaseCount })
}

// pairBelow orders entries as the connection reports do (see
// compareStats), by their counts with the one they started from, the
// lowest first; then by state.
func pairBelow(a, b *pairEntry) bool {
	x, y := a.ConnectionStat, b.ConnectionStat
	x.Count += a.BaseCount
	y.Count += b.BaseCount
	return cmp.Or(compareStats(y, x), cmp.Compare(b.State, a.State)) < 0
}

// addPair counts an alarm whose root cause is c in its state.
func addPair(t *pairTable, c *detector.Cause) {
	k := pairKey{c.State, c.Conn}
	e := t.add(k, func() pairEntry {
		return pairEntry{ConnectionStat: ConnectionStat{Connection: c.Conn, FirstSeen: c.Start}, State: c.State}
	})
	e.Count++
	e.FirstSeen = min(e.FirstSeen, c.Start)
	t.fixed(k)
}
