package incident

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
)

func TestConfidence(t *testing.T) {
	m := &Model{Threshold: -40, SD: 2}
	tests := []struct {
		sum  float64
		want int
	}{{-30, 0}, {-40, 0}, {-40.0001, 50}, {-42, 82}, {-46, 98}, {-1000, 100}}
	for _, tc := range tests {
		if got := Confidence(tc.sum, m); got != tc.want {
			t.Errorf("Confidence(%v) = %d, want %d", tc.sum, got, tc.want)
		}
	}
	if got := Confidence(-41, &Model{Threshold: -40}); got != 82 {
		t.Errorf("no sd: %d, want 82 (z in nats)", got)
	}
}

var (
	beaconC = flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("192.0.2.14"), Port: 443}
	scanC   = flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("192.0.2.14"), Port: 22}
	otherC  = flows.Connection{Direction: flows.Inbound, Peer: netip.MustParseAddr("203.0.113.5"), Port: 8443}
	freshC  = flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("203.0.113.9"), Port: 25}
)

// win is window i (numbered from 1) of a unit with one flow a second
// (window of 10, stride 1), anomalous with its last flow as the cause, or
// normal when conn is nil.
func win(i int, conn *flows.Connection) *Window {
	w := &Window{Index: i, First: i - 1, Flows: 10, Start: int64(i-1) * 1e9, End: int64(i+8) * 1e9, Sum: -10,
		Model: &Model{Unit: "10.1.0.12", ID: "m1", Threshold: -40, SD: 2}}
	if conn != nil {
		w.Anomalous, w.Sum = true, -42
		w.Cause = Cause{Flow: i + 8, Conn: *conn, Start: w.End, State: 3, Surprise: 9}
	}
	return w
}

type step struct {
	w    *Window
	want []string // "change id-letter windows flows"
}

// TestTracker: windows whose causes share a connection, peer or port
// within the gap make one incident; another connection, apart, another;
// updates come as the windows or the root-cause flows double; incidents
// close once no window to come can join them; a tracker restored between
// any two windows gives the same events.
func TestTracker(t *testing.T) {
	const gap = 60e9
	steps := []step{
		{win(1, nil), nil},
		{win(6, &beaconC), []string{"open A 1 1"}},
		{win(7, &beaconC), []string{"update A 2 2"}},
		{win(8, &scanC), nil}, // the same peer: joins, 3 windows, 3 flows
		{win(9, &beaconC), []string{"update A 4 4"}},
		{win(10, &otherC), []string{"open B 1 1"}}, // another peer and port: its own
		{win(41, &beaconC), nil},                   // within the gap of its last cause
		{win(57, &freshC), []string{"open C 1 1"}},
		{win(121, nil), []string{"close A 5 5", "close B 1 1"}},
		{win(201, &beaconC), []string{"close C 1 1", "open D 1 1"}},
	}
	run := func(restoreAt int) []string {
		tr := NewTracker("10.1.0.12", gap)
		var got []string
		ids := map[string]string{}
		say := func(ev Event) {
			if ids[ev.Incident.ID] == "" {
				ids[ev.Incident.ID] = string(rune('A' + len(ids)))
			}
			got = append(got, strings.Join([]string{string(ev.Change), ids[ev.Incident.ID], itoa(ev.Incident.Windows.N), itoa(ev.Incident.Flows())}, " "))
		}
		for i, s := range steps {
			if i == restoreAt {
				b, _ := json.Marshal(tr.Incidents())
				var open []Incident
				json.Unmarshal(b, &open)
				tr = RestoreTracker("10.1.0.12", gap, open)
			}
			for _, ev := range tr.Window(s.w) {
				say(ev)
			}
		}
		for _, ev := range tr.End() {
			say(ev)
		}
		return got
	}
	var want []string
	for _, s := range steps {
		want = append(want, s.want...)
	}
	want = append(want, "close D 1 1")
	for restoreAt := -1; restoreAt <= len(steps); restoreAt++ {
		if got := run(restoreAt); !reflect.DeepEqual(got, want) {
			t.Errorf("restored at %d: events\n%v\nwant\n%v", restoreAt, got, want)
		}
	}
}

// TestAdvanceSafe: closing with any horizon no later than the causes to
// come gives the same incidents as closing only at the end, as run does.
func TestAdvanceSafe(t *testing.T) {
	conns := []*flows.Connection{nil, &beaconC, &scanC, nil, &otherC, &freshC, nil}
	var ws []*Window
	for i := 1; i <= 400; i++ {
		ws = append(ws, win(i, conns[(i*i/3)%len(conns)]))
	}
	closed := func(sweep bool) []string {
		tr := NewTracker("u", 5e9)
		var out []string
		keep := func(evs []Event) {
			for _, ev := range evs {
				if ev.Change == Close {
					b, _ := json.Marshal(ev.Incident.Windows)
					out = append(out, ev.Incident.ID+string(b)+ev.Incident.Kind)
				}
			}
		}
		for _, w := range ws {
			keep(tr.Window(w))
			if sweep {
				keep(tr.Advance(w.Start+1e9, w.First+1)) // the next window's first flow
			}
		}
		keep(tr.End())
		slices.Sort(out)
		return out
	}
	if a, b := closed(false), closed(true); !slices.Equal(a, b) || len(a) < 2 {
		t.Errorf("with sweeps %d incidents, without %d: they differ, or too few", len(b), len(a))
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestAlert: an alert carries the drafts' fields, a deterministic id, the
// incident's kind and words, window numbers from 1, the unit and window
// start as key, and end-time only on close.
func TestAlert(t *testing.T) {
	tr := NewTracker("10.1.0.12", 60e9)
	open := tr.Window(win(6, &beaconC))
	tr2 := NewTracker("10.1.0.12", 60e9)
	if again := tr2.Window(win(6, &beaconC)); again[0].Incident.ID != open[0].Incident.ID {
		t.Error("the same window gave another id")
	}
	a := AlertOf(&open[0])
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a.ID) {
		t.Errorf("id %q is not a version 5 UUID", a.ID)
	}
	if a.Event != Open || a.State != "open" || a.EndTime != "" || a.Revision != 1 || a.Key != "10.1.0.12/1970-01-01T00:00:05Z" ||
		a.ConfidenceScore != 82 || len(a.Symptoms) != 1 || a.Symptoms[0].Cause != "outbound 192.0.2.14 port 443" || a.Model.ID != "m1" ||
		a.Pattern != "connection" || a.Description != "to 192.0.2.14:443 (HTTPS)" || a.Peer != "192.0.2.14" || a.Port != "443" ||
		a.Windows.First != 6 || a.Windows.Rows != "6" {
		t.Errorf("open alert %+v", a)
	}
	for i := 7; i <= 10; i++ {
		w := win(i, &beaconC)
		w.Cause.Start = 14e9 + int64(i-6)*30e9
		tr.Window(w)
	}
	closed := tr.End()
	c := AlertOf(&closed[0])
	if c.Event != Close || c.State != "closed" || c.EndTime != "1970-01-01T00:00:18Z" || c.Identity() == a.Identity() ||
		c.Windows.Rows != "6-10" || c.Windows.Anomalous != 5 || c.Pattern != "beaconing" || c.Description != "beaconing to 192.0.2.14:443 (HTTPS) every 30s" {
		t.Errorf("close alert %+v", c)
	}
	line, err := c.MarshalLine()
	if err != nil || !strings.HasSuffix(string(line), "}\n") || strings.Count(string(line), "\n") != 1 {
		t.Errorf("line %q, %v", line, err)
	}
	for _, field := range []string{`"id"`, `"start-time"`, `"end-time"`, `"state"`, `"unit"`, `"symptoms"`, `"confidence-score"`, `"concern-score"`, `"annotator"`, `"model"`, `"pattern"`, `"first-seen"`} {
		if !strings.Contains(string(line), field) {
			t.Errorf("alert has no %s field", field)
		}
	}
}

// TestKinds: every kind has a name, and the table names an incident by
// the first kind that recognises its causes.
func TestKinds(t *testing.T) {
	names := map[string]bool{}
	for _, k := range Kinds() {
		if k.Name == "" || k.Describe == nil {
			t.Errorf("kind %+v", k)
		}
		names[k.Name] = true
	}
	for _, want := range []string{"port scan", "fan-out", "beaconing", "exfiltration", "unusual port", "new peer", "connection"} {
		if !names[want] {
			t.Errorf("no kind %q", want)
		}
	}
	c := &Incident{Model: Model{BytesOutP99: 1000}}
	for p := range 12 {
		c.Causes = append(c.Causes, Cause{Flow: p, Conn: flows.Connection{Direction: flows.Outbound, Peer: scanC.Peer, Port: uint16(100 + p)}, Surprise: 1, NewPort: p%2 == 0})
	}
	Describe(c)
	if c.Kind != "port scan" || c.Summary != "scan of 12 ports of 192.0.2.14" || c.PortText() != "*" || c.Detail != "6 of its 12 flows to ports never seen in training" {
		t.Errorf("scan: %+v", c.Description)
	}
	c = &Incident{Causes: []Cause{{Conn: freshC, Bytes: 5 << 20, NewPeer: true, Why: []string{"first SMTP of this host"}}}}
	Describe(c)
	if c.Kind != "exfiltration" || !strings.Contains(c.Detail, "first SMTP of this host") {
		t.Errorf("exfiltration: %+v", c.Description)
	}
}

// TestWindowList: windows print as runs of consecutive numbers; past
// MaxRuns runs the others are counted, and the list stays bounded.
func TestWindowList(t *testing.T) {
	tests := []struct {
		name string
		add  []int
		want string
	}{
		{"one", []int{7}, "7"},
		{"runs", []int{34, 35, 36, 37, 38, 41, 42, 131}, "34-38 41-42 131"},
		{"a run after gaps", []int{1, 3, 4, 5}, "1 3-5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l WindowList
			for _, i := range tc.add {
				l.Add(i)
			}
			if got := l.String(); got != tc.want || l.N != len(tc.add) || l.First() != tc.add[0] || l.Last != tc.add[len(tc.add)-1] {
				t.Errorf("%q (%d windows, first %d, last %d), want %q", got, l.N, l.First(), l.Last, tc.want)
			}
		})
	}
	var l WindowList
	for i := 1; i <= 3*MaxRuns; i++ {
		l.Add(2 * i) // every other window: a run each
	}
	l.Add(2*3*MaxRuns + 1) // continues the last run, which is not listed
	if len(l.Runs) != MaxRuns || l.Unlisted != 2*MaxRuns+1 || l.N != 3*MaxRuns+1 || l.Last != 6*MaxRuns+1 {
		t.Errorf("%d runs, %d unlisted, %d windows, last %d", len(l.Runs), l.Unlisted, l.N, l.Last)
	}
	if want := " 512 and 513 more windows up to 1537"; !strings.HasSuffix(l.String(), want) {
		t.Errorf("%q does not end with %q", l.String()[len(l.String())-60:], want)
	}
}

// TestTrackerBounds: traffic that opens an incident in every window (a
// new peer and port each time, all at one instant, so that none closes)
// keeps at most MaxOpen open, closing the stalest first; a scan that
// blames a new flow in every window keeps at most MaxCauses of them and
// counts the others; a flow blamed again by later windows is one flow,
// kept or counted.
func TestTrackerBounds(t *testing.T) {
	tr := NewTracker("10.1.0.12", 60e9)
	closed := 0
	for i := 1; i <= MaxOpen+10; i++ {
		c := flows.Connection{Direction: flows.Outbound, Peer: netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)}), Port: uint16(1000 + i)}
		w := win(i, &c)
		w.Start, w.End, w.Cause.Start = 0, 0, 0
		for _, ev := range tr.Window(w) {
			if ev.Change == Close {
				closed++
			}
		}
		if tr.Open() > MaxOpen {
			t.Fatalf("%d open after %d windows", tr.Open(), i)
		}
	}
	if closed != 10 || tr.Open() != MaxOpen {
		t.Errorf("%d closed early, %d open; want 10, %d", closed, tr.Open(), MaxOpen)
	}

	tr = NewTracker("10.1.0.12", 60e9)
	const windows = 2 * (MaxCauses + 500)
	for i := 1; i <= windows; i++ {
		c := flows.Connection{Direction: flows.Outbound, Peer: scanC.Peer, Port: uint16(i)}
		w := win(i, &c)
		if i%2 == 0 {
			w.Cause.Flow-- // the flow the window before blamed: blamed again
		}
		tr.Window(w)
	}
	evs := tr.End()
	in := evs[len(evs)-1].Incident
	if len(in.Causes) != MaxCauses || in.Flows() != (windows+1)/2 || in.Windows.N != windows || len(in.Recent) > 20 {
		t.Errorf("%d causes kept, %d flows, %d windows, %d recent; want %d kept, %d flows, %d windows", len(in.Causes), in.Flows(), in.Windows.N, len(in.Recent), MaxCauses, (windows+1)/2, windows)
	}
	if in.Kind != "port scan" {
		t.Errorf("kind %q", in.Kind)
	}
}

// TestExfiltrationEvidence: the evidence of an exfiltration says why it is
// one and never argues against its label: a transfer beyond ten times the
// host's usual is put against that usual; one to a new peer, within the
// usual sizes, is not compared with sizes it does not exceed.
func TestExfiltrationEvidence(t *testing.T) {
	for _, tc := range []struct {
		name      string
		p99       uint64
		bytes     uint64
		newPeer   bool
		want, not []string
	}{
		{"a new peer, usual sizes", 462_200_000, 33_200_000, true,
			[]string{"largest transfer 33.2 MB", "never seen in training"}, []string{"below", "99 %"}},
		{"far beyond the usual", 1_000_000, 80_000_000, false,
			[]string{"largest transfer 80.0 MB, 80 times the host's usual", "below 1.0 MB"}, nil},
	} {
		c := &Incident{Model: Model{BytesOutP99: tc.p99}, Causes: []Cause{{Conn: freshC, Bytes: tc.bytes, NewPeer: tc.newPeer, Surprise: 5}}}
		Describe(c)
		if c.Kind != "exfiltration" {
			t.Fatalf("%s: kind %q", tc.name, c.Kind)
		}
		for _, w := range tc.want {
			if !strings.Contains(c.Detail, w) {
				t.Errorf("%s: detail %q lacks %q", tc.name, c.Detail, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(c.Detail, w) {
				t.Errorf("%s: detail %q says %q", tc.name, c.Detail, w)
			}
		}
	}
}

// TestDetailBounded: a scan's detail quotes a few of its flows' novelties
// and counts the rest, rather than hundreds.
func TestDetailBounded(t *testing.T) {
	c := &Incident{}
	for p := range 300 {
		c.Causes = append(c.Causes, Cause{Flow: p, Conn: flows.Connection{Direction: flows.Outbound, Peer: scanC.Peer, Port: uint16(1000 + p)},
			Surprise: 1, NewPort: true, Why: []string{fmt.Sprintf("first outbound TCP flow to port %d", 1000+p)}})
	}
	Describe(c)
	if len(c.Detail) > 400 || !strings.Contains(c.Detail, "and 296 more") {
		t.Errorf("detail of %d characters: %.300s", len(c.Detail), c.Detail)
	}
}

// TestNextStep: every kind says what to do next, naming the host and the
// peer it is about.
func TestNextStep(t *testing.T) {
	s := Subject{Host: "10.1.0.12", Direction: "outbound", Peer: "192.0.2.14", Port: "443"}
	for _, k := range Kinds() {
		next := NextStep(k.Name, s)
		if next == "" || !strings.Contains(next, s.Host) {
			t.Errorf("%s: next step %q", k.Name, next)
		}
	}
	if NextStep("no such kind", s) != "" {
		t.Error("a next step for an unknown kind")
	}
}
