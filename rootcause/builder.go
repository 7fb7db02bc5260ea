package rootcause

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/model"
)

// Bounds are how much of a host's alarms its reports keep: a run's
// memory and files are bounded by them, not by the alarms, so that a
// flood (every window an alarm) or a scan (every alarm a new connection)
// costs what normal traffic costs. Where nothing exceeds them the reports
// are exact; where something does, root_cause_left_out.csv says what was
// left out of which file (see LeftOut).
type Bounds struct {
	// StateRows is how many windows each root_cause_<state>_prediction_info.csv
	// holds: the first ones whose root cause is in the state.
	StateRows int
	// Connections is how many connections the ranking
	// (root_cause_connections.csv) keeps, and the per-state connection
	// files together: those with the most evidence (or alarms), kept
	// as they come by the Space-Saving summary (see table).
	Connections int
	// Incidents is how many incidents incidents.csv lists: those with
	// the most evidence.
	Incidents int
}

// DefaultBounds are run's and watch's bounds.
func DefaultBounds() Bounds { return Bounds{StateRows: 1000, Connections: 10000, Incidents: 1000} }

// orDefault fills the bounds left zero with the defaults.
func (b Bounds) orDefault() Bounds {
	d := DefaultBounds()
	b.StateRows = cmp.Or(b.StateRows, d.StateRows)
	b.Connections = cmp.Or(b.Connections, d.Connections)
	b.Incidents = cmp.Or(b.Incidents, d.Incidents)
	return b
}

// Validate refuses negative bounds (zero means the default).
func (b Bounds) Validate() error {
	if b.StateRows < 0 || b.Connections < 0 || b.Incidents < 0 {
		return fmt.Errorf("report bounds %+v: must be >= 0 (0: the default)", b)
	}
	return nil
}

// Builder makes a host's report (see Report) from its windows as they
// come, keeping only what the reports keep (see Bounds): counts of alarms
// per root-cause state, the top connections, the incidents (package
// incident's tracker, whose events it returns, and the closed ones as the
// rows incidents.csv prints), and the rows of the per-state reports,
// which it writes to a store as they come. run feeds it a file's
// windows; watch feeds it a stream's and checkpoints it (see State).
type Builder struct {
	host   string
	bounds Bounds
	gap    int64
	m      *model.Model // the model judging the windows
	novel  Novel
	im     incident.Model
	// windows and anomalies are the windows fed and the alarms.
	windows, anomalies int
	states             map[int32]int // alarms per root-cause state
	rank               *ranking
	pairs              *pairTable // per state, the connections behind its alarms
	tr                 *incident.Tracker
	closed             []IncidentSummary // the closed incidents kept, at most twice the bound
	droppedIncidents   int               // closed incidents past the bound
	droppedWindows     int               // and their windows
	// rows is where the per-state reports' rows go (nil: kept nowhere);
	// rowsSize is what was written to it.
	rows     io.Writer
	rowsSize int64
	rowBuf   []byte
}

// NewBuilder returns the builder of host's report, whose windows m judges
// (id is what alerts say of it, see Judge), grouping alarms into
// incidents with the gap; rows gets the rows of the per-state reports
// (see WriteReports), nil to keep none.
func NewBuilder(host string, m *model.Model, id incident.Model, gap time.Duration, b Bounds, rows io.Writer) *Builder {
	b = b.orDefault()
	bd := &Builder{host: host, bounds: b, gap: int64(gap), states: map[int32]int{}, rank: newRanking(b.Connections),
		pairs: newPairs(b.Connections), tr: incident.NewTracker(host, int64(gap)), rows: rows}
	bd.Judge(m, id)
	return bd
}

// Judge sets the model that judges the windows from now on, with what
// its alerts say of it (id may be empty).
func (b *Builder) Judge(m *model.Model, id incident.Model) {
	b.m, b.novel, b.im = m, NovelOf(m), id
}

// Window takes the host's next window (every window, in order: normal
// ones move the incidents' event time on) and returns the incident events
// it causes.
func (b *Builder) Window(w *detector.Window) ([]incident.Event, error) {
	b.windows++
	if !w.Anomalous {
		return b.closing(b.tr.Advance(w.Start, w.First)), nil
	}
	b.anomalies++
	c := &w.Cause
	b.states[c.State]++
	if b.rows != nil && b.states[c.State] <= b.bounds.StateRows {
		if err := b.writeRow(w); err != nil {
			return nil, err
		}
	}
	var x *flows.Features
	if c.Index < len(w.Flows) {
		x = &w.Flows[c.Index]
	}
	s, scored := 0.0, c.Index < len(w.Score.Scores)
	if scored {
		s = -w.Score.Scores[c.Index]
	}
	b.rank.add(c, x, s, scored, w.First, b.novel)
	addPair(b.pairs, c)
	iw := incidentWindow(w, b.novel, &b.im)
	return b.closing(b.tr.Window(&iw)), nil
}

// Advance closes the incidents no window can join any more (see
// incident.Tracker.Advance) and returns their events.
func (b *Builder) Advance(horizon int64, next int) []incident.Event {
	return b.closing(b.tr.Advance(horizon, next))
}

// End closes every open incident: the host's windows have ended.
func (b *Builder) End() []incident.Event { return b.closing(b.tr.End()) }

// Open returns the number of open incidents.
func (b *Builder) Open() int { return b.tr.Open() }

// Windows returns the number of windows fed, Anomalies the alarms.
func (b *Builder) Windows() int   { return b.windows }
func (b *Builder) Anomalies() int { return b.anomalies }

// RowsSize returns how many bytes were written to the rows store.
func (b *Builder) RowsSize() int64 { return b.rowsSize }

// closing keeps the incidents that events close, and returns the events.
func (b *Builder) closing(evs []incident.Event) []incident.Event {
	for i := range evs {
		if evs[i].Change == incident.Close {
			b.closed = append(b.closed, summarize(&evs[i].Incident))
		}
	}
	if k := b.bounds.Incidents; len(b.closed) > 2*k {
		slices.SortFunc(b.closed, compareIncidents)
		for _, in := range b.closed[k:] {
			b.droppedIncidents++
			b.droppedWindows += in.Windows
		}
		b.closed = slices.Delete(b.closed, k, len(b.closed))
	}
	return evs
}

// incidentWindow is what the incident tracker reads of an anomalous
// window: its number (from 1), span and score, and its root-cause flow
// with what the model says of it (its bytes, surprise and novelty). run
// and watch both make it here, so that the same windows make the same
// incidents in both.
func incidentWindow(w *detector.Window, novel Novel, m *incident.Model) incident.Window {
	c := w.Cause
	cause := incident.Cause{Flow: c.Flow, Conn: c.Conn, Start: c.Start, State: c.State, Why: c.Why}
	if c.Index < len(w.Flows) {
		x := &w.Flows[c.Index]
		cause.Bytes = x.Bytes
		if novel != nil {
			cause.NewPort, cause.NewPeer = novel.Says(c.Conn.Peer, x)
		}
	}
	if c.Index < len(w.Score.Scores) {
		cause.Surprise = -w.Score.Scores[c.Index]
	}
	return incident.Window{Index: w.Index + 1, First: w.First, Flows: len(w.Symbols), Start: w.Start, End: w.End,
		Sum: w.Score.Sum, Anomalous: true, Cause: cause, Model: m}
}

// Report returns the host's report as its windows so far make it, with
// the top `top` root-cause states; the incidents still open are in it as
// they would close now. Its rows are in the store up to RowsSize, which
// the caller gives it to read (Report.Rows).
func (b *Builder) Report(top int) Report {
	r := Report{Host: b.host, Traces: b.windows, Threshold: b.m.Threshold, Anomalies: b.anomalies, RowsSize: b.rowsSize}
	for s, n := range b.states {
		r.States = append(r.States, StateReport{State: s, Alarms: n, Rows: min(n, b.bounds.StateRows)})
	}
	slices.SortFunc(r.States, func(a, b StateReport) int {
		return cmp.Or(cmp.Compare(b.Alarms, a.Alarms), cmp.Compare(a.State, b.State))
	})
	if len(r.States) > top {
		r.States = r.States[:top]
	}
	at := map[int32]int{}
	for i, s := range r.States {
		at[s.State] = i
	}
	b.pairs.each(func(k pairKey, e *pairEntry) {
		if i, ok := at[k.state]; ok {
			r.States[i].Connections = append(r.States[i].Connections, e.ConnectionStat)
		}
	})
	for i := range r.States {
		slices.SortFunc(r.States[i].Connections, compareStats)
	}
	r.Connections = b.rank.ranked()
	r.Incidents = slices.Clone(b.closed)
	for _, c := range b.tr.Incidents() {
		incident.Describe(&c)
		r.Incidents = append(r.Incidents, summarize(&c))
	}
	slices.SortFunc(r.Incidents, compareIncidents)
	droppedIncidents, droppedWindows := b.droppedIncidents, b.droppedWindows
	if k := b.bounds.Incidents; len(r.Incidents) > k {
		for _, in := range r.Incidents[k:] {
			droppedIncidents++
			droppedWindows += in.Windows
		}
		r.Incidents = r.Incidents[:k]
	}
	r.LeftOut = b.leftOut(&r, droppedIncidents, droppedWindows)
	return r
}

// writeRow writes the per-state report's row of an anomalous window to the
// store: its state, its length and the row as the file holds it.
func (b *Builder) writeRow(w *detector.Window) error {
	buf, err := appendRow(b.rowBuf[:0], w, b.m.Encoder)
	if err != nil {
		return err
	}
	b.rowBuf = buf
	n, err := b.rows.Write(buf)
	b.rowsSize += int64(n)
	if err != nil {
		return fmt.Errorf("%s: report rows: %w", b.host, err)
	}
	return nil
}
