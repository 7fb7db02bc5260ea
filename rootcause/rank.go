package rootcause

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/learner"
)

// Anomaly is a flagged trace, with copies of what the reports need.
type Anomaly struct {
	Trace   int // 0-based trace number (row nr − 1)
	Start   int // index of the trace's first flow in the host's time-sorted flows
	Symbols []int32
	States  []int32
	Scores  []float64
	Sum     float64
	Mean    float64
	Min     float64
	Index   int   // root-cause position in the trace
	State   int32 // the state in which the root-cause flow was scored
}

// NewAnomaly records a flagged trace of the given symbols.
func NewAnomaly(trace, start int, symbols []int32, p *learner.Prediction) Anomaly {
	i := Position(p, len(symbols))
	return Anomaly{
		Trace: trace, Start: start,
		Symbols: slices.Clone(symbols), States: slices.Clone(p.States), Scores: slices.Clone(p.Scores),
		Sum: p.Sum, Mean: p.Mean, Min: p.Min, Index: i, State: p.States[i],
	}
}

// Connection is what a root-cause flow is blamed on: its direction as seen
// from the host, the peer, and the destination port.
type Connection struct {
	Direction flows.Direction
	IP        netip.Addr
	Port      uint16
}

// ConnectionStat is a connection with how often it was the root cause and
// the earliest start of those flows (Unix nanoseconds).
type ConnectionStat struct {
	Connection
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
	Threshold Threshold
	Anomalies int
	States    []StateReport // the top root-cause states, most anomalies first
}

// Analyze groups anomalies by root-cause state and ranks them: states by
// number of anomalies (descending, then state id), keeping the top `top`;
// within a state, connections by count (descending), then first seen (to
// the millisecond, as printed), then direction, IP and port. fl are the
// host's flows in time order and dirs their directions; anomaly a's
// root-cause flow is fl[a.Start+a.Index].
func Analyze(host string, traces int, thr Threshold, anomalies []Anomaly, fl []flows.Flow, dirs []flows.Direction, top int) Report {
	r := Report{Host: host, Traces: traces, Threshold: thr, Anomalies: len(anomalies)}
	byState := map[int32][]Anomaly{}
	for _, a := range anomalies {
		byState[a.State] = append(byState[a.State], a)
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
		stats := map[Connection]*ConnectionStat{}
		for _, a := range sr.Anomalies {
			j := a.Start + a.Index
			if j < 0 || j >= len(fl) {
				continue
			}
			f := &fl[j]
			c := Connection{dirs[j], f.Peer(dirs[j]), f.DstPort}
			st := stats[c]
			if st == nil {
				st = &ConnectionStat{Connection: c, FirstSeen: f.Start}
				stats[c] = st
			}
			st.Count++
			st.FirstSeen = min(st.FirstSeen, f.Start)
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
	case a.Direction != b.Direction:
		return int(a.Direction) - int(b.Direction)
	case a.IP != b.IP:
		return a.IP.Compare(b.IP)
	}
	return int(a.Port) - int(b.Port)
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
