package rootcause

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gocarina/gocsv"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/model"
)

// IncidentsFile is a host's incidents, in its monitor folder.
const IncidentsFile = "incidents.csv"

// IncidentModel is what the incident tracker knows of the model that
// judged a host's windows (id is the model file's, when known).
func IncidentModel(m *model.Model, id string) incident.Model {
	t := m.Threshold
	return incident.Model{Unit: m.Unit, ID: id, Threshold: t.Value, Mean: t.Mean, SD: t.SD, K: t.K, BytesOutP99: m.Training.BytesOutP99}
}

// IncidentWindow is what the incident tracker reads of an anomalous
// window: its number (from 1), span and score, and its root-cause flow with
// what the model says of it (its bytes, surprise and novelty). run and
// watch both make it here, so that the same windows make the same
// incidents in both.
func IncidentWindow(a *Anomaly, novel Novel, m *incident.Model) incident.Window {
	c := a.Cause
	cause := incident.Cause{Flow: c.Flow, Conn: c.Conn, Start: c.Start, State: c.State, Why: c.Why}
	if c.Index < len(a.Flows) {
		x := &a.Flows[c.Index]
		cause.Bytes = x.Bytes
		if novel != nil {
			cause.NewPort, cause.NewPeer = novel.Says(c.Conn.Peer, x)
		}
	}
	if c.Index < len(a.Scores) {
		cause.Surprise = -a.Scores[c.Index]
	}
	return incident.Window{Index: a.Trace + 1, First: a.Start, Flows: len(a.Symbols), Start: a.StartTime, End: a.EndTime,
		Sum: a.Sum, Anomalous: true, Cause: cause, Model: m}
}

// Incidents groups a host's anomalies (in window order) into incidents,
// as watch's tracker does as they come (see package incident), with the
// gap of event time within which windows join one; most evidence first.
func Incidents(unit string, anomalies []Anomaly, novel Novel, m *incident.Model, gap time.Duration) []incident.Incident {
	tr := incident.NewTracker(unit, int64(gap))
	var out []incident.Incident
	keep := func(evs []incident.Event) {
		for _, ev := range evs {
			if ev.Change == incident.Close {
				out = append(out, ev.Incident)
			}
		}
	}
	order := make([]int, len(anomalies)) // windows in the order they came
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(anomalies[a].Trace, anomalies[b].Trace) })
	for _, i := range order {
		w := IncidentWindow(&anomalies[i], novel, m)
		keep(tr.Window(&w))
	}
	keep(tr.End())
	slices.SortStableFunc(out, func(a, b incident.Incident) int {
		return cmp.Or(cmp.Compare(b.Evidence, a.Evidence), cmp.Compare(len(b.Windows), len(a.Windows)), cmp.Compare(a.FirstSeen, b.FirstSeen))
	})
	return out
}

// IncidentRow is one row of IncidentsFile, as WriteReports writes it and
// ReadIncidents reads it.
type IncidentRow struct {
	Kind      string  `csv:"kind"`
	Summary   string  `csv:"summary"`
	Direction string  `csv:"direction"`
	Peer      string  `csv:"peer"`
	Port      string  `csv:"port"`
	FirstSeen string  `csv:"first seen"`
	LastSeen  string  `csv:"last seen"`
	Flows     int     `csv:"flows"`
	Windows   int     `csv:"windows"`
	Rows      string  `csv:"rows"`
	Evidence  float64 `csv:"evidence"`
	Detail    string  `csv:"detail"`
	Why       string  `csv:"what is new"`
	// ID is the incident's name-based UUID (see package incident): the
	// same windows give the same id in run and watch, and tags and
	// silences name incidents by it.
	ID string `csv:"id"`
}

// writeIncidents writes a host's IncidentsFile into dir.
func writeIncidents(dir string, ins []incident.Incident) error {
	out := make([]IncidentRow, 0, len(ins))
	for _, in := range ins {
		d := &in.Description
		out = append(out, IncidentRow{Kind: d.Kind, Summary: d.Summary, Direction: d.Direction.String(), Peer: d.PeerText(), Port: d.PortText(),
			FirstSeen: isoTime(in.FirstSeen), LastSeen: isoTime(in.LastSeen), Flows: in.Flows(), Windows: len(in.Windows),
			Rows: incident.Rows(in.Windows), Evidence: math.Round(in.Evidence*1000) / 1000, Detail: d.Detail,
			Why: strings.Join(in.Why(), "; "), ID: in.ID})
	}
	return WriteCSV(filepath.Join(dir, IncidentsFile), &out)
}

// ReadIncidents reads a host's IncidentsFile. A file of an earlier version
// without some columns (id) reads with those empty.
func ReadIncidents(path string) ([]IncidentRow, error) {
	var rows []IncidentRow
	return rows, readCSV(path, &rows)
}

// ReadRanking reads a host's ConnectionsFile.
func ReadRanking(path string) ([]RankRow, error) {
	var rows []RankRow
	return rows, readCSV(path, &rows)
}

// readCSV reads a ';'-separated report into rows (a pointer to a slice of
// gocsv-tagged structs).
func readCSV(path string, rows any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	if err := gocsv.UnmarshalCSV(r, rows); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
