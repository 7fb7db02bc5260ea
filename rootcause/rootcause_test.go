package rootcause

import (
	"cmp"
	"context"
	"flag"
	"fmt"
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

var update = flag.Bool("update", false, "rewrite the golden files")

// fixture is a host 10.0.0.1 with eight flows, one per minute from
// 2024-03-01T12:00:00Z, and four anomalies (traces of 3 flows).
func fixture() (anomalies []Anomaly) {
	var fl []flows.Flow
	var dirs []flows.Direction
	host := netip.MustParseAddr("10.0.0.1")
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	peers := []struct {
		out  bool
		peer string
		port uint16
	}{
		{false, "10.0.0.9", 443}, {true, "192.0.2.7", 25}, {true, "192.0.2.7", 25}, {false, "10.0.0.9", 443},
		{true, "198.51.100.1", 8080}, {true, "192.0.2.7", 25}, {false, "10.0.0.8", 443}, {true, "198.51.100.1", 8080},
	}
	for i, p := range peers {
		f := flows.Flow{Start: t0 + int64(i)*int64(time.Minute), Proto: flows.ProtoTCP, Bytes: 100, Packets: 2, Duration: 0.5}
		peer := netip.MustParseAddr(p.peer)
		if p.out {
			f.Src, f.Dst, f.SrcPort, f.DstPort = host, peer, 40000+uint16(i), p.port
			dirs = append(dirs, flows.Outbound)
		} else {
			f.Src, f.Dst, f.SrcPort, f.DstPort = peer, host, 50000+uint16(i), p.port
			dirs = append(dirs, flows.Inbound)
		}
		fl = append(fl, f)
	}
	// trace i covers flows i..i+2; the root cause is the minimum score.
	mk := func(trace int, states []int32, scores []float64) Anomaly {
		w := &detector.Window{Index: trace, First: trace, Symbols: []int32{int32(trace), int32(trace + 1), int32(trace + 2)},
			Score: learner.Prediction{States: states, Scores: scores}, Anomalous: true}
		if trace == 4 {
			w.Symbols[2] = flows.Unknown // flow 6 was never seen in training
		}
		for k := trace; k < trace+3; k++ {
			w.Flows = append(w.Flows, fl[k].Features(dirs[k]))
		}
		for _, s := range scores {
			w.Score.Sum += s
		}
		w.Score.Mean, w.Score.Min = w.Score.Sum/float64(len(scores)), slices.Min(scores)
		i := detector.CausePosition(scores, 3)
		j := trace + i
		w.Cause = detector.Cause{Index: i, State: states[i], Flow: j, Start: fl[j].Start, Conn: fl[j].ConnectionFrom(dirs[j])}
		return NewAnomaly(w)
	}
	anomalies = []Anomaly{
		mk(5, []int32{0, 2, 3}, []float64{-9, -1, -1}),   // flow 5: out 192.0.2.7:25, state 0
		mk(1, []int32{0, 2, 3}, []float64{-8, -1, -1}),   // flow 1: out 192.0.2.7:25, state 0
		mk(2, []int32{1, 3, 3}, []float64{-1, -1, -7}),   // flow 4: out 198.51.100.1:8080, state 3
		mk(0, []int32{0, 1, 0}, []float64{-2, -6, -6}),   // flow 1 (first of the tie): state 1
		mk(4, []int32{0, 3, 2}, []float64{-1, -1.5, -9}), // flow 6: in 10.0.0.8:443, state 2
		mk(3, []int32{0, 2, 2}, []float64{-7, -1, -1}),   // flow 3: in 10.0.0.9:443, state 0
	}
	return anomalies
}

func TestAnalyze(t *testing.T) {
	anomalies := fixture()
	thr := model.Threshold{Value: -5}
	r := Analyze("10.0.0.1", 6, &model.Model{Threshold: thr, Encoder: testEncoder{}}, anomalies, 3, incident.DefaultGap)
	if r.Anomalies != 6 || r.Traces != 6 {
		t.Fatalf("anomalies %d traces %d", r.Anomalies, r.Traces)
	}
	// state 0 explains 3; states 1, 2, 3 one each: ties by state id, top 3.
	var states []int32
	for _, s := range r.States {
		states = append(states, s.State)
	}
	if !slices.Equal(states, []int32{0, 1, 2}) {
		t.Fatalf("states %v, want [0 1 2]", states)
	}
	rows := stateRows(t, &r)
	if got := rows[0]; !slices.Equal(got, []string{"2", "4", "6"}) || r.States[0].Alarms != 3 || r.States[0].Rows != 3 {
		t.Errorf("state 0 rows %v (%d alarms, %d rows), want rows 2, 4, 6 (windows 1, 3, 5)", got, r.States[0].Alarms, r.States[0].Rows)
	}
	want := []string{
		"outbound 192.0.2.7 25 x2 2024-03-01T12:01:00.000Z",
		"inbound 10.0.0.9 443 x1 2024-03-01T12:03:00.000Z",
	}
	var got []string
	for _, c := range r.States[0].Connections {
		got = append(got, fmt.Sprintf("%s %s %d x%d %s", c.Direction, c.Peer, c.Port, c.Count, isoTime(c.FirstSeen)))
	}
	if !slices.Equal(got, want) {
		t.Errorf("state 0 connections\n got %q\nwant %q", got, want)
	}
	if rows := rows[1]; len(rows) != 1 || rows[0] != "1" {
		t.Errorf("state 1 rows %v, want the tie's window (row 1)", rows)
	}
	if len(r.LeftOut) != 0 {
		t.Errorf("left out %+v, want nothing", r.LeftOut)
	}
}

// stateRows returns, per state, the row numbers of the rows r's store
// holds, in order.
func stateRows(t *testing.T, r *Report) map[int32][]string {
	t.Helper()
	out := map[int32][]string{}
	err := eachRow(context.Background(), r.Rows, r.RowsSize, func(state int32, row []byte) error {
		nr, _, _ := strings.Cut(string(row), ";")
		out[state] = append(out[state], nr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// TestReportsGolden writes the reports of the fixture and compares them
// with testdata/golden (go test ./rootcause -update rewrites them).
func TestReportsGolden(t *testing.T) {
	anomalies := fixture()
	thr, err := model.NewThreshold([]float64{-10, -12, -14, -16}, 7)
	if err != nil {
		t.Fatal(err)
	}
	r := Analyze("10.0.0.1", 6, &model.Model{Threshold: thr, Encoder: testEncoder{}}, anomalies, 10, incident.DefaultGap)
	dir := t.TempDir()
	// A report of an earlier run, for a state this run does not have, and
	// a file that is not a report: the first goes, the second stays.
	for _, name := range []string{"root_cause_77_connection_info.csv", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteReports(context.Background(), dir, r); err != nil {
		t.Fatal(err)
	}
	rows := []SummaryRow{
		{Service: "10.0.0.1", Model: "10.0.0.1", Traces: 6, Anomalies: 6, Threshold: thr.Value, TopState: "0", TopConnection: r.States[0].Connections[0]},
		{Service: "10.0.0.2", Model: "web", Error: "10.0.0.2: no monitor data"},
	}
	if err := WriteSummary(filepath.Join(dir, "summary.csv"), rows); err != nil {
		t.Fatal(err)
	}
	got := readDir(t, dir)
	if _, ok := got["root_cause_77_connection_info.csv"]; ok {
		t.Error("stale report of an earlier run left in place")
	}
	if got["notes.txt"] != "old\n" {
		t.Error("a file that is not a report was touched")
	}
	delete(got, "notes.txt")
	golden := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(golden, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, text := range got {
			if err := os.WriteFile(filepath.Join(golden, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := readDir(t, golden)
	for name, text := range want {
		if got[name] != text {
			t.Errorf("%s differs from the golden file\n got:\n%s\nwant:\n%s", name, got[name], text)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s written but has no golden file", name)
		}
	}
	// Files are readable by others, like any report.
	st, err := os.Stat(filepath.Join(dir, "summary.csv"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("summary.csv mode %v (%v), want 0644", st.Mode().Perm(), err)
	}
}

func TestWriteCSVLeavesNothingOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.csv")
	if err := WriteCSV(path, 42); err == nil { // not a slice of structs
		t.Fatal("no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	if err := WriteCSV(filepath.Join(dir, "missing", "x.csv"), &[]connectionInfo{}); err == nil {
		t.Error("write into a missing folder: no error")
	}
}

// TestCompareStats: connections by count, then first seen as printed (to
// the millisecond), then direction, IP and port; so two connections first
// seen within one printed millisecond are in key order, as a reader of the
// report would sort them.
func TestCompareStats(t *testing.T) {
	ms := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	conn := func(dir flows.Direction, ip string, port uint16, count int, first string) ConnectionStat {
		return ConnectionStat{Connection: flows.Connection{Direction: dir, Peer: netip.MustParseAddr(ip), Port: port}, Count: count, FirstSeen: ms(first)}
	}
	tests := []struct {
		name string
		a, b ConnectionStat
		want int // sign
	}{
		{"more flagged first", conn(flows.Outbound, "10.0.0.9", 80, 3, "2024-01-01T00:00:09Z"), conn(flows.Inbound, "10.0.0.1", 22, 2, "2024-01-01T00:00:00Z"), -1},
		{"earlier millisecond first", conn(flows.Outbound, "10.0.0.9", 80, 1, "2024-01-01T00:00:00.001Z"), conn(flows.Inbound, "10.0.0.1", 22, 1, "2024-01-01T00:00:00.002Z"), -1},
		{"same printed millisecond: key order", conn(flows.Outbound, "10.0.0.9", 6357, 1, "2024-01-06T00:00:31.849206Z"), conn(flows.Outbound, "10.0.0.2", 5303, 1, "2024-01-06T00:00:31.849691Z"), 1},
		{"same millisecond before 1970", conn(flows.Outbound, "10.0.0.9", 1, 1, "1969-12-31T23:59:59.9991Z"), conn(flows.Outbound, "10.0.0.2", 1, 1, "1969-12-31T23:59:59.9999Z"), 1},
		{"millisecond before 1970 is earlier", conn(flows.Outbound, "10.0.0.9", 1, 1, "1969-12-31T23:59:59.9989Z"), conn(flows.Outbound, "10.0.0.2", 1, 1, "1969-12-31T23:59:59.9991Z"), -1},
		{"inbound before outbound", conn(flows.Inbound, "10.0.0.9", 1, 1, "2024-01-01T00:00:00Z"), conn(flows.Outbound, "10.0.0.2", 1, 1, "2024-01-01T00:00:00Z"), cmp.Compare(int(flows.Inbound), int(flows.Outbound))},
		{"then port", conn(flows.Outbound, "10.0.0.2", 22, 1, "2024-01-01T00:00:00Z"), conn(flows.Outbound, "10.0.0.2", 80, 1, "2024-01-01T00:00:00Z"), -1},
		{"equal", conn(flows.Outbound, "10.0.0.2", 22, 1, "2024-01-01T00:00:00Z"), conn(flows.Outbound, "10.0.0.2", 22, 1, "2024-01-01T00:00:00.0004Z"), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cmp.Compare(compareStats(tc.a, tc.b), 0); got != tc.want {
				t.Errorf("compareStats = %d, want sign %d", got, tc.want)
			}
			if got := cmp.Compare(compareStats(tc.b, tc.a), 0); got != -tc.want {
				t.Errorf("reversed: compareStats = %d, want sign %d", got, -tc.want)
			}
			if (printedMillis(tc.a.FirstSeen) == printedMillis(tc.b.FirstSeen)) != (isoTime(tc.a.FirstSeen) == isoTime(tc.b.FirstSeen)) {
				t.Errorf("printedMillis disagrees with the printed times %s, %s", isoTime(tc.a.FirstSeen), isoTime(tc.b.FirstSeen))
			}
		})
	}
}

// testEncoder names symbol s "sym<s>" and describes a flow by its port.
type testEncoder struct{}

func (testEncoder) Kind() string                      { return "test" }
func (testEncoder) Encode(*flows.Features) int32      { return 0 }
func (testEncoder) AlphabetSize() int                 { return 8 }
func (testEncoder) Describe(s int32) string           { return fmt.Sprintf("symbol %d", s) }
func (testEncoder) SymbolName(s int32) string         { return fmt.Sprintf("sym%d", s) }
func (testEncoder) FlowName(x *flows.Features) string { return fmt.Sprintf("port%d", x.DstPort) }
func (testEncoder) Words(x *flows.Features) string {
	return fmt.Sprintf("%s port %d, %d bytes", x.Dir, x.DstPort, x.Bytes)
}

// TestReadStates: the reports read back summarise each state, most alarms
// first, with its top connection.
func TestReadStates(t *testing.T) {
	got, err := ReadStates(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	want := []StateSummary{
		{0, 3, "outbound:192.0.2.7:25 (2)"},
		{1, 1, ""}, {2, 1, ""}, {3, 1, ""},
	}
	if len(got) != len(want) || got[0].State != 0 || got[0].Alarms != 3 || !strings.Contains(got[0].Top, "192.0.2.7:25 (2)") {
		t.Fatalf("states %+v, want %+v", got, want)
	}
	if n := got[0].Note(); n != "root cause of 3 alarms: outbound 192.0.2.7:25 (2)" {
		t.Errorf("note %q", n)
	}
	if _, err := ReadStates(filepath.Join("testdata", "missing")); err == nil {
		t.Error("a missing folder: no error")
	}
}

// novelAbove says a port at or above 8000 is new, and peers in
// 198.51.100.0/24 are.
type novelAbove struct{}

func (novelAbove) Says(peer netip.Addr, x *flows.Features) (bool, bool) {
	return x.DstPort >= 8000, netip.MustParsePrefix("198.51.100.0/24").Contains(peer)
}

// TestRank: connections merged across states, ranked by evidence (each
// distinct root-cause flow once), then alarms; the first is the top.
func TestRank(t *testing.T) {
	anomalies := fixture()
	got := Rank(anomalies, novelAbove{})
	var lines []string
	for _, r := range got {
		lines = append(lines, fmt.Sprintf("%s %s:%d alarms %d flows %d evidence %g max %g new %v/%v state %d",
			r.Direction, r.Peer, r.Port, r.Alarms, r.Flows, r.Evidence, r.Max, r.NewPort, r.NewPeer, r.State))
	}
	want := []string{
		// flow 1 is the cause of two windows (scores 8 and 6) but counts once;
		// flow 5 adds 9: 8 + 9 = 17.
		"outbound 192.0.2.7:25 alarms 3 flows 2 evidence 17 max 9 new false/false state 0",
		"inbound 10.0.0.8:443 alarms 1 flows 1 evidence 9 max 9 new false/false state 2",
		// a tie on evidence and alarms: the earlier first
		"inbound 10.0.0.9:443 alarms 1 flows 1 evidence 7 max 7 new false/false state 0",
		"outbound 198.51.100.1:8080 alarms 1 flows 1 evidence 7 max 7 new true/true state 3",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("ranking\n got %q\nwant %q", lines, want)
	}
	rep := Report{Connections: got}
	if c, state, ok := rep.Top(); !ok || c.Peer.String() != "192.0.2.7" || c.Count != 3 || state != 0 {
		t.Errorf("top %+v state %d", c, state)
	}
	if _, _, ok := (&Report{}).Top(); ok {
		t.Error("a report without alarms has a top connection")
	}
}

// TestNamesUnseenFlows: an unseen symbol is named by its flow, the same
// name however often the flow comes (a flow is in many windows) and past
// the names kept (flows that share a slot included); other symbols by the
// encoder's names.
func TestNamesUnseenFlows(t *testing.T) {
	names := NewNames(testEncoder{})
	for round := range 2 {
		for p := range 3 * unseenSlots {
			fl := []flows.Features{{DstPort: uint16(p)}, {DstPort: 9}}
			name := names.Of(fl)
			if got, want := name(0, flows.Unknown), fmt.Sprintf("unseen:port%d", p); got != want {
				t.Fatalf("round %d: flow %d named %q, want %q", round, p, got, want)
			}
			if got := name(1, 3); got != "sym3" {
				t.Fatalf("symbol 3 named %q", got)
			}
		}
	}
}
