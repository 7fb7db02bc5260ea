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
	"github.com/netflow-monitor/monitor/flows"
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

// IncidentSummary is what incidents.csv says of an incident: what a
// report keeps of it once it is closed (its root causes are not kept).
type IncidentSummary struct {
	Kind, Summary         string
	Direction, Peer, Port string // as incidents.csv prints them ("*" for many)
	FirstSeen, LastSeen   int64  // its earliest and latest root-cause flows
	Flows, Windows        int
	First                 int    // its first window
	Rows                  string // its windows, as incidents.csv prints them
	Evidence              float64
	Detail                string
	Why                   []string `json:",omitempty"`
	// ID is the incident's name-based UUID (see package incident).
	ID string `json:",omitempty"`
}

// summarize returns what incidents.csv says of an incident.
func summarize(in *incident.Incident) IncidentSummary {
	d := &in.Description
	return IncidentSummary{Kind: d.Kind, Summary: d.Summary, Direction: d.Direction.String(), Peer: d.PeerText(), Port: d.PortText(),
		FirstSeen: in.FirstSeen, LastSeen: in.LastSeen, Flows: in.Flows(), Windows: in.Windows.N, First: in.Windows.First(),
		Rows: in.Windows.String(), Evidence: in.Evidence, Detail: d.Detail, Why: in.Why(), ID: in.ID}
}

// compareIncidents orders incidents as incidents.csv lists them: most
// evidence first, then most windows, the earliest root cause, and the
// earliest first window.
func compareIncidents(a, b IncidentSummary) int {
	return cmp.Or(cmp.Compare(b.Evidence, a.Evidence), cmp.Compare(b.Windows, a.Windows), cmp.Compare(a.FirstSeen, b.FirstSeen), cmp.Compare(a.First, b.First))
}

// Incidents groups a host's anomalies (in window order) into incidents,
// as watch's tracker does as they come (see package incident), with the
// gap of event time within which windows join one; most evidence first.
func Incidents(unit string, anomalies []Anomaly, novel Novel, m *incident.Model, gap time.Duration) []IncidentSummary {
	b := &Builder{host: unit, bounds: DefaultBounds(), tr: incident.NewTracker(unit, int64(gap)), im: *m}
	for _, a := range inOrder(anomalies) {
		w := a.window()
		var x *flows.Features
		if a.Cause.Index < len(a.Flows) {
			x = &a.Flows[a.Cause.Index]
		}
		iw := incidentWindow(&w, newnessOf(novel, &a.Cause, x), m)
		b.closing(b.tr.Window(&iw))
	}
	b.closing(b.tr.End())
	out := b.closed
	slices.SortFunc(out, compareIncidents)
	return out[:min(len(out), b.bounds.Incidents)]
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
func writeIncidents(dir string, ins []IncidentSummary) error {
	out := make([]IncidentRow, 0, len(ins))
	for _, in := range ins {
		out = append(out, IncidentRow{Kind: in.Kind, Summary: in.Summary, Direction: in.Direction, Peer: in.Peer, Port: in.Port,
			FirstSeen: isoTime(in.FirstSeen), LastSeen: isoTime(in.LastSeen), Flows: in.Flows, Windows: in.Windows,
			Rows: in.Rows, Evidence: math.Round(in.Evidence*1000) / 1000, Detail: in.Detail, Why: strings.Join(in.Why, "; "), ID: in.ID})
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
