// Package rootcause explains a host's alarms. As the host's windows come
// (Builder), it counts the anomalous ones by the automaton state in which
// their root cause (least likely flow, see package detector) was read,
// ranks the connections behind them, follows their incidents (package
// incident) and writes the rows its per-state reports will hold, keeping
// what its reports show and nothing more (Bounds): a flood or a scan
// costs what normal traffic costs. It then writes the CSV reports users
// read, saying what the bounds left out when they did.
package rootcause

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
)

// Anomaly is a flagged window, with copies of what the reports need.
type Anomaly struct {
	Trace int // 0-based window number (row nr − 1)
	Start int // position of the window's first flow in the host's flows
	// StartTime and EndTime are the starts of the window's first and
	// last flows (Unix nanoseconds).
	StartTime, EndTime int64
	Symbols            []int32
	Flows              []flows.Features // of the window's flows, when known
	States             []int32
	Scores             []float64
	Sum                float64
	Mean               float64
	Min                float64
	// Cause is the root cause: its position in the window, the state in
	// which it was scored (-1 when no automaton scored it), and the flow.
	Cause detector.Cause
}

// NewAnomaly records a flagged window.
func NewAnomaly(w *detector.Window) Anomaly {
	p := &w.Score
	return Anomaly{
		Trace: w.Index, Start: w.First, StartTime: w.Start, EndTime: w.End,
		Symbols: slices.Clone(w.Symbols), Flows: slices.Clone(w.Flows), States: slices.Clone(p.States), Scores: slices.Clone(p.Scores),
		Sum: p.Sum, Mean: p.Mean, Min: p.Min, Cause: w.Cause,
	}
}

// window returns the anomaly as the window it was.
func (a *Anomaly) window() detector.Window {
	return detector.Window{Index: a.Trace, First: a.Start, Start: a.StartTime, End: a.EndTime, Symbols: a.Symbols, Flows: a.Flows,
		Score: learner.Prediction{States: a.States, Scores: a.Scores, Sum: a.Sum, Mean: a.Mean, Min: a.Min}, Anomalous: true, Cause: a.Cause}
}

// inOrder returns the anomalies in window order.
func inOrder(anomalies []Anomaly) []Anomaly {
	out := slices.Clone(anomalies)
	slices.SortStableFunc(out, func(a, b Anomaly) int { return cmp.Compare(a.Trace, b.Trace) })
	return out
}

// ConnectionStat is a connection with how often it was the root cause and
// the earliest start of those flows (Unix nanoseconds).
type ConnectionStat struct {
	flows.Connection
	Count     int
	FirstSeen int64
}

// StateReport is a root-cause state of a host's report: its alarms, how
// many of their rows its prediction report holds (the first ones, see
// Bounds), and the connections behind them, most flagged first.
type StateReport struct {
	State       int32
	Alarms      int
	Rows        int
	Connections []ConnectionStat
}

// Report is one host's explanation of its alarms, as a Builder makes it.
type Report struct {
	Host      string
	Traces    int
	Threshold model.Threshold
	Anomalies int
	// Span is when the first and the last of the windows' flows started.
	Span   Span
	States []StateReport // the top root-cause states, most anomalies first
	// Connections are the connections behind the alarms (at most
	// Bounds.Connections), ranked by the evidence against them (see
	// Rank); the first is the host's top connection.
	Connections []Ranked
	// Incidents are what the root causes add up to (see package
	// incident), most evidence first, at most Bounds.Incidents.
	Incidents []IncidentSummary
	// LeftOut says what the bounds left out of which file; empty when
	// the reports hold everything.
	LeftOut []LeftOut
	// Rows is the store of the per-state reports' rows (see Builder),
	// read up to RowsSize bytes.
	Rows     io.ReaderAt
	RowsSize int64
}

// Analyze makes the report of a host's anomalies (judged by m, with
// traces windows in all) as a Builder fed them does, keeping the top
// `top` root-cause states and grouping alarms into incidents with the
// gap: connections ranked by evidence (see Rank), states by number of
// anomalies (descending, then state id); within a state, connections by
// count (descending), then first seen (to the millisecond, as printed),
// then direction, peer and port. Its rows are kept in memory.
func Analyze(host string, traces int, m *model.Model, anomalies []Anomaly, top int, gap time.Duration) Report {
	var rows bytes.Buffer
	b := NewBuilder(host, m, IncidentModel(m, ""), gap, Bounds{}, &rows)
	for _, a := range inOrder(anomalies) {
		w := a.window()
		b.Window(&w) // the rows go to memory: no error
	}
	b.End()
	r := b.Report(top)
	r.Traces = traces
	r.Rows = bytes.NewReader(rows.Bytes())
	return r
}

// compareStats orders connections by count (descending), then first seen
// as reports print it (to the millisecond, so that a report's rows are in
// the order its columns say), then direction, IP and port.
func compareStats(a, b ConnectionStat) int {
	switch {
	case a.Count != b.Count:
		return b.Count - a.Count
	case printedMillis(a.FirstSeen) != printedMillis(b.FirstSeen):
		return cmp.Compare(printedMillis(a.FirstSeen), printedMillis(b.FirstSeen))
	}
	return a.Connection.Compare(b.Connection)
}

// printedMillis is Unix nanoseconds ns to the millisecond, rounded down as
// TimeLayout prints it (also before 1970).
func printedMillis(ns int64) int64 {
	ms := ns / 1e6
	if ns%1e6 < 0 {
		ms--
	}
	return ms
}

// NovelOf returns what m's training says is new (nil when it says
// nothing).
func NovelOf(m *model.Model) Novel {
	if m.Novelty == nil {
		return nil
	}
	return m.Novelty
}
