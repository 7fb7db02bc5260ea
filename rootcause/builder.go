package rootcause

import (
	"cmp"
	"fmt"
	"io"
	"net/netip"
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
	// (root_cause_connections.csv) keeps: those with the most evidence,
	// kept as they come by the Space-Saving summary (see table). The
	// per-state connection files list those of them with alarms in the
	// state.
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
	addr   netip.Addr // the host, for the words of its root causes
	bounds Bounds
	gap    int64
	m      *model.Model // the model judging the windows
	names  *Names       // its symbols' names
	im     incident.Model
	// windows and anomalies are the windows fed and the alarms.
	windows, anomalies int
	span               Span          // of the windows' flows
	states             map[int32]int // alarms per root-cause state
	rank               *ranking
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
	addr, _ := netip.ParseAddr(host)
	bd := &Builder{host: host, addr: addr, bounds: b, gap: int64(gap), states: map[int32]int{}, rank: newRanking(b.Connections),
		tr: incident.NewTracker(host, int64(gap)), rows: rows}
	bd.Judge(m, id)
	return bd
}

// Judge sets the model that judges the windows from now on, with what
// its alerts say of it (id may be empty).
func (b *Builder) Judge(m *model.Model, id incident.Model) {
	b.m, b.im, b.names = m, id, NewNames(m.Encoder)
}

// Window takes the host's next window (every window, in order: normal
// ones move the incidents' event time on) and returns the incident events
// it causes.
func (b *Builder) Window(w *detector.Window) ([]incident.Event, error) {
	b.windows++
	b.span.add(w.Start, w.End)
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
	nw := b.newness(w)
	b.rank.add(c, x, s, scored, w.First, nw, b.why(w, nw))
	iw := incidentWindow(w, nw, &b.im)
	iw.Explain = func() []string { return detector.Explain(b.m, b.addr, w) }
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

// newness returns what training never saw of w's root cause (see
// model.Novelty.Facts), found once for all that ask.
func (b *Builder) newness(w *detector.Window) newness {
	c := &w.Cause
	if c.Index >= len(w.Flows) || b.m.Novelty == nil {
		return newness{}
	}
	f := b.m.Novelty.Facts(&w.Flows[c.Index], c.Conn.Peer)
	return newness{port: f.NewPort || f.NewProtocol, peer: f.NewPeer, any: f.NewProtocol || f.NewPort || f.NewPeer || f.Larger || f.Longer}
}

// why returns what the ranking keeps of the words of w's root cause, of
// newness nw: none when nothing is new, else how to write them should
// the ranking report them.
func (b *Builder) why(w *detector.Window, nw newness) whyOf {
	c := &w.Cause
	if c.Why != nil || !nw.any {
		return whyOf{words: c.Why}
	}
	x := w.Flows[c.Index]
	m, addr, conn := b.m, b.addr, c.Conn
	return whyOf{lazy: func() []string {
		one := detector.Window{Flows: []flows.Features{x}, Cause: detector.Cause{Conn: conn}}
		return detector.Explain(m, addr, &one)
	}}
}

// incidentWindow is what the incident tracker reads of an anomalous
// window: its number (from 1), span and score, and its root-cause flow
// with what the model says of it (its bytes, surprise and novelty). run
// and watch both make it here, so that the same windows make the same
// incidents in both.
func incidentWindow(w *detector.Window, nw newness, m *incident.Model) incident.Window {
	c := w.Cause
	cause := incident.Cause{Flow: c.Flow, Conn: c.Conn, Start: c.Start, State: c.State, Why: c.Why, NewPort: nw.port, NewPeer: nw.peer}
	if c.Index < len(w.Flows) {
		cause.Bytes = w.Flows[c.Index].Bytes
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
	r := Report{Host: b.host, Traces: b.windows, Threshold: b.m.Threshold, Anomalies: b.anomalies, RowsSize: b.rowsSize, Span: b.span}
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
	// A state's connections are those of the ranking with alarms read
	// in it (all of them, below the bound).
	b.rank.t.each(func(_ flows.Connection, e *rankEntry) {
		for _, k := range e.States {
			if i, ok := at[k.State]; ok {
				r.States[i].Connections = append(r.States[i].Connections, ConnectionStat{Connection: e.Connection, Count: int(k.N), FirstSeen: k.FirstSeen})
			}
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
	buf, err := appendRow(b.rowBuf[:0], w, b.m.Encoder, b.names)
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
