package rootcause

import (
	"bytes"
	"context"
	"encoding/json"

	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
)

// hostile is a host's windows: a scan of `scan` ports of 10.0.0.5 (a new
// connection blamed in each window), then a flood of `flood` windows all
// blamed on one connection, with its flows less surprising than the
// scan's, interleaved with more of the scan.
func hostile(scan, flood int) []detector.Window {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	var ws []detector.Window
	add := func(c flows.Connection, state int32, score float64) {
		i := len(ws)
		x := flows.Features{Bytes: 60, Packets: 1, DstPort: c.Port, Proto: flows.ProtoTCP, Dir: c.Direction}
		w := detector.Window{Index: i, First: i, Start: t0 + int64(i)*int64(time.Millisecond), Symbols: []int32{int32(i % 5), 1},
			Flows: []flows.Features{x, x}, Anomalous: true,
			Score: learner.Prediction{States: []int32{state, 0}, Scores: []float64{score, -1}, Sum: score - 1, Mean: (score - 1) / 2, Min: score}}
		w.End = w.Start
		w.Cause = detector.Cause{Index: 0, State: state, Flow: i, Start: w.Start, Conn: c}
		ws = append(ws, w)
	}
	out := flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("10.0.0.5")}
	for p := range scan {
		out.Port = uint16(1000 + p)
		add(out, int32(p%3), -30)
	}
	heavy := flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("203.0.113.9"), Port: 4444}
	for i := range flood {
		add(heavy, 7, -20)
		out.Port = uint16(5000 + i)
		add(out, int32(i%3), -30)
	}
	return ws
}

func testModel() *model.Model {
	thr, _ := model.NewThreshold([]float64{-10, -12, -14, -16}, 7)
	return &model.Model{Unit: "10.0.0.1", Threshold: thr, Encoder: testEncoder{}}
}

// build feeds ws to a builder with bounds b, checkpointing it (its state
// through JSON, as watch does) before window restoreAt (-1: never), and
// writes its reports into a new folder.
func build(t *testing.T, ws []detector.Window, b Bounds, restoreAt int) (string, Report) {
	t.Helper()
	m := testModel()
	var rows bytes.Buffer
	bd := NewBuilder("10.0.0.1", m, IncidentModel(m, ""), incident.DefaultGap, b, &rows)
	for i := range ws {
		if i == restoreAt {
			j, err := json.Marshal(bd.State())
			if err != nil {
				t.Fatal(err)
			}
			var st BuilderState
			if err := json.Unmarshal(j, &st); err != nil {
				t.Fatal(err)
			}
			bd = RestoreBuilder("10.0.0.1", m, IncidentModel(m, ""), incident.DefaultGap, b, &rows, &st)
		}
		if _, err := bd.Window(&ws[i]); err != nil {
			t.Fatal(err)
		}
	}
	bd.End()
	r := bd.Report(10)
	r.Rows = bytes.NewReader(rows.Bytes())
	dir := t.TempDir()
	if err := WriteReports(context.Background(), dir, r); err != nil {
		t.Fatal(err)
	}
	return dir, r
}

// TestBounds: past its bounds a report keeps the first rows of each state,
// the connections with the most evidence (a flood that comes after a scan
// filled the table is first), the incidents with the most evidence, and
// says in root_cause_left_out.csv what it left out; the alarms it counts
// are all of them.
func TestBounds(t *testing.T) {
	ws := hostile(300, 200)
	b := Bounds{StateRows: 5, Connections: 50, Incidents: 1}
	dir, r := build(t, ws, b, -1)
	if r.Anomalies != len(ws) || r.Traces != len(ws) {
		t.Errorf("%d anomalies of %d windows, want %d", r.Anomalies, r.Traces, len(ws))
	}
	if c := r.Connections[0]; c.Peer.String() != "203.0.113.9" || len(r.Connections) != 50 {
		t.Errorf("top connection %v of %d, want the flood's first of 50", c.Connection, len(r.Connections))
	}
	if c := r.Connections[0]; c.Alarms > 200 || c.Alarms < 150 {
		t.Errorf("the flood's connection: %d alarms since it was taken in, want most of its 200", c.Alarms)
	}
	for _, s := range r.States {
		rows := csvRows(t, filepath.Join(dir, predictionInfoFile(s.State)))
		if len(rows) != 1+b.StateRows || s.Rows != b.StateRows {
			t.Errorf("state %d: %d rows, want %d", s.State, len(rows)-1, b.StateRows)
		}
	}
	// State 7 (the flood) has its first 5 windows: rows 301, 303, ...
	rows := csvRows(t, filepath.Join(dir, predictionInfoFile(7)))
	var nrs []string
	for _, row := range rows[1:] {
		nrs = append(nrs, row[0])
	}
	if !slices.Equal(nrs, []string{"301", "303", "305", "307", "309"}) {
		t.Errorf("state 7 rows %v", nrs)
	}
	left := csvRows(t, filepath.Join(dir, LeftOutFile))
	files := map[string][]string{}
	for _, row := range left[1:] {
		files[row[0]] = row
	}
	if row := files[predictionInfoFile(7)]; row == nil || row[1] != "5" || row[3] != "195" {
		t.Errorf("left out of state 7's rows: %q\n%v", row, left)
	}
	if row := files[ConnectionsFile]; row == nil || row[1] != "50" || !strings.Contains(row[4], "Space-Saving") {
		t.Errorf("left out of the ranking: %q", row)
	}
	if row := files[IncidentsFile]; row == nil || row[1] != "1" || row[3] != "200" {
		t.Errorf("left out of the incidents: %q", row)
	}
	if got := csvRows(t, filepath.Join(dir, IncidentsFile)); len(got) != 2 || got[1][0] != "port scan" {
		t.Errorf("incidents.csv: %q, want the scan alone", got)
	}
	// Alarms counted in full, in the files and in what model dot reads.
	states, err := ReadStates(dir)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range states {
		total += s.Alarms
	}
	if total != len(ws) {
		t.Errorf("ReadStates counts %d alarms, want %d", total, len(ws))
	}

	// Within the bounds nothing is left out, and there is no such file.
	dir, r = build(t, hostile(20, 5), DefaultBounds(), -1)
	if _, err := os.Stat(filepath.Join(dir, LeftOutFile)); err == nil || len(r.LeftOut) != 0 {
		t.Errorf("%s written within the bounds: %+v", LeftOutFile, r.LeftOut)
	}
}

// TestBuilderRestore: a builder checkpointed and restored at any point
// writes the reports of one that never stopped, past its bounds too, and
// spans the same flows.
func TestBuilderRestore(t *testing.T) {
	ws := hostile(120, 60)
	b := Bounds{StateRows: 5, Connections: 30, Incidents: 1}
	want, wr := build(t, ws, b, -1)
	if sp := (Span{First: ws[0].Start, Last: ws[len(ws)-1].End, N: len(ws)}); wr.Span != sp {
		t.Errorf("span %+v, want %+v", wr.Span, sp)
	}
	for _, at := range []int{0, 1, 29, 119, 121, 200, len(ws) - 1} {
		got, gr := build(t, ws, b, at)
		if gr.Span != wr.Span {
			t.Errorf("restored before window %d: span %+v, want %+v", at, gr.Span, wr.Span)
		}
		for _, name := range filesOf(t, want) {
			a, _ := os.ReadFile(filepath.Join(want, name))
			g, _ := os.ReadFile(filepath.Join(got, name))
			if !bytes.Equal(a, g) {
				t.Errorf("restored before window %d: %s differs", at, name)
			}
		}
	}
}

func filesOf(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	if len(out) < 5 {
		t.Fatalf("only %v in %s", out, dir)
	}
	return out
}

func csvRows(t *testing.T, path string) [][]string {
	t.Helper()
	rows, err := readRows(path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
