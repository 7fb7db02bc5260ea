package rootcause

import (
	"io"
	"time"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/model"
)

// BuilderState is a Builder as a checkpoint holds it: everything its
// report goes on from, bounded as the builder is (see Bounds).
type BuilderState struct {
	Windows, Anomalies int
	States             map[int32]int `json:",omitempty"`
	Ranking            []rankEntry   `json:",omitempty"`
	RankingEvicted     int           `json:",omitempty"`
	Recent             []int         `json:",omitempty"`
	// Open are the open incidents (see incident.Tracker.Incidents).
	Open   []incident.Incident `json:",omitempty"`
	Closed []IncidentSummary   `json:",omitempty"`
	// DroppedIncidents and DroppedWindows count the closed incidents
	// past the bound, and their windows.
	DroppedIncidents int `json:",omitempty"`
	DroppedWindows   int `json:",omitempty"`
	// RowsSize is what the rows store held.
	RowsSize int64 `json:",omitempty"`
	// Span is the windows' span so far.
	Span Span `json:",omitzero"`
}

// State returns the builder's state, for a checkpoint.
func (b *Builder) State() BuilderState {
	st := BuilderState{Windows: b.windows, Anomalies: b.anomalies, States: b.states, RankingEvicted: b.rank.t.evicted,
		Recent: b.rank.recent, Open: b.tr.Incidents(), Closed: b.closed,
		DroppedIncidents: b.droppedIncidents, DroppedWindows: b.droppedWindows, RowsSize: b.rowsSize, Span: b.span}
	b.rank.t.each(func(_ flows.Connection, e *rankEntry) {
		e.words()
		st.Ranking = append(st.Ranking, *e)
	})
	return st
}

// RestoreBuilder returns a builder that goes on from st, a State of one
// with the same host, gap and bounds; rows is its rows store, holding
// st.RowsSize bytes (and no more).
func RestoreBuilder(host string, m *model.Model, id incident.Model, gap time.Duration, bounds Bounds, rows io.Writer, st *BuilderState) *Builder {
	b := NewBuilder(host, m, id, gap, bounds, rows)
	b.windows, b.anomalies, b.rowsSize, b.span = st.Windows, st.Anomalies, st.RowsSize, st.Span
	for s, n := range st.States {
		b.states[s] = n
	}
	for _, e := range st.Ranking {
		e.why = whyOf{words: e.Why}
		*b.rank.t.add(e.Connection, func() rankEntry { return e }) = e
		b.rank.t.fixed(e.Connection)
	}
	b.rank.t.evicted, b.rank.recent = st.RankingEvicted, append([]int(nil), st.Recent...)
	b.tr = incident.RestoreTracker(host, int64(gap), st.Open)
	b.closed = append([]IncidentSummary(nil), st.Closed...)
	b.droppedIncidents, b.droppedWindows = st.DroppedIncidents, st.DroppedWindows
	return b
}
