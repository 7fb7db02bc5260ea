// Package rootcause explains a host's alarms: it groups the anomalous
// windows by the automaton state in which their root cause (least likely
// flow, see package detector) was read, ranks the states and the
// connections behind them, and writes the CSV reports users read.
package rootcause

import (
	"cmp"
	"slices"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
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

// ConnectionStat is a connection with how often it was the root cause and
// the earliest start of those flows (Unix nanoseconds).
type ConnectionStat struct {
	flows.Connection
	Count     int
	FirstSeen int64
}

// StateReport groups the anomalies whose root cause is in one state.
type StateReport struct {
	State       int32
	Anomalies   []Anomaly
	Connections []ConnectionStat
}

// Report is one host's explanation of its alarms.
type Report struct {
	Host      string
	Traces    int
	Threshold model.Threshold
	Anomalies int
	States    []StateReport // the top root-cause states, most anomalies first
	// Connections are all the connections behind the alarms, ranked by
	// the evidence against them (see Rank); the first is the host's top
	// connection.
	Connections []Ranked
	// Incidents are what the root causes add up to (see Incidents), most
	// evidence first.
	Incidents []incident.Incident
}

// Analyze ranks the connections behind the anomalies (see Rank), groups
// them into incidents (see Incidents) with the given gap, and
// groups the anomalies by root-cause state: states by
// number of anomalies (descending, then state id), keeping the top `top`;
// within a state, connections by count (descending), then first seen (to
// the millisecond, as printed), then direction, peer and port.
func Analyze(host string, traces int, m *model.Model, anomalies []Anomaly, top int, gap time.Duration) Report {
	novel := NovelOf(m)
	r := Report{Host: host, Traces: traces, Threshold: m.Threshold, Anomalies: len(anomalies),
		Connections: Rank(anomalies, novel)}
	im := IncidentModel(m, "")
	r.Incidents = Incidents(host, anomalies, novel, &im, gap)
	byState := map[int32][]Anomaly{}
	for _, a := range anomalies {
		byState[a.Cause.State] = append(byState[a.Cause.State], a)
	}
	for s, as := range byState {
		r.States = append(r.States, StateReport{State: s, Anomalies: as})
	}
	slices.SortFunc(r.States, func(a, b StateReport) int {
		if len(a.Anomalies) != len(b.Anomalies) {
			return len(b.Anomalies) - len(a.Anomalies)
		}
		return int(a.State) - int(b.State)
	})
	if len(r.States) > top {
		r.States = r.States[:top]
	}
	for i := range r.States {
		sr := &r.States[i]
		slices.SortFunc(sr.Anomalies, func(a, b Anomaly) int { return a.Trace - b.Trace })
		stats := map[flows.Connection]*ConnectionStat{}
		for _, a := range sr.Anomalies {
			c := a.Cause
			st := stats[c.Conn]
			if st == nil {
				st = &ConnectionStat{Connection: c.Conn, FirstSeen: c.Start}
				stats[c.Conn] = st
			}
			st.Count++
			st.FirstSeen = min(st.FirstSeen, c.Start)
		}
		for _, st := range stats {
			sr.Connections = append(sr.Connections, *st)
		}
		slices.SortFunc(sr.Connections, compareStats)
	}
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
