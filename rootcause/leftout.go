package rootcause

import (
	"fmt"
	"path/filepath"
)

// LeftOutFile says, in a host's folder, what the bounds (see Bounds) left
// out of which report: it is written only when something was.
const LeftOutFile = "root_cause_left_out.csv"

// LeftOut is what the bounds left out of one report file: the rows it
// holds and the alarms (anomalous windows) they account for, the alarms
// it leaves out, and which rows it holds, in words.
type LeftOut struct {
	File          string `csv:"file"`
	Rows          int    `csv:"rows"`
	Alarms        int    `csv:"alarms in rows"`
	AlarmsLeftOut int    `csv:"alarms left out"`
	Kept          string `csv:"which rows"`
}

// leftOut returns what the bounds leave out of r's files.
func (b *Builder) leftOut(r *Report, droppedIncidents, droppedWindows int) []LeftOut {
	var out []LeftOut
	spaceSaving := fmt.Sprintf("kept as they came in a table of %d entries (Space-Saving: once it was full, a new one took the place of the one ranked lowest, and counts its alarms from then on)", b.bounds.Connections)
	for _, s := range r.States {
		if s.Alarms > s.Rows {
			out = append(out, LeftOut{File: predictionInfoFile(s.State), Rows: s.Rows, Alarms: s.Rows, AlarmsLeftOut: s.Alarms - s.Rows,
				Kept: fmt.Sprintf("the first %d windows whose root cause is in state %d", s.Rows, s.State)})
		}
		n := 0
		for _, c := range s.Connections {
			n += c.Count
		}
		if n < s.Alarms {
			out = append(out, LeftOut{File: connectionInfoFile(s.State), Rows: len(s.Connections), Alarms: n, AlarmsLeftOut: s.Alarms - n,
				Kept: fmt.Sprintf("the connections of %s with alarms in state %d", ConnectionsFile, s.State)})
		}
	}
	n := 0
	for _, c := range r.Connections {
		n += c.Alarms
	}
	if n < r.Anomalies {
		out = append(out, LeftOut{File: ConnectionsFile, Rows: len(r.Connections), Alarms: n, AlarmsLeftOut: r.Anomalies - n,
			Kept: "the connections with the most evidence, " + spaceSaving})
	}
	if droppedIncidents > 0 {
		n := 0
		for _, in := range r.Incidents {
			n += in.Windows
		}
		out = append(out, LeftOut{File: IncidentsFile, Rows: len(r.Incidents), Alarms: n, AlarmsLeftOut: droppedWindows,
			Kept: fmt.Sprintf("the %d incidents with the most evidence; %d more were left out", len(r.Incidents), droppedIncidents)})
	}
	return out
}

// writeLeftOut writes a host's LeftOutFile into dir.
func writeLeftOut(dir string, l []LeftOut) error {
	return WriteCSV(filepath.Join(dir, LeftOutFile), &l)
}
