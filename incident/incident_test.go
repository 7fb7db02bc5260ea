package incident

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/detector"
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
	beacon = flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("192.0.2.14"), Port: 443}
	scan   = flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("198.51.100.7"), Port: 22}
	other  = flows.Connection{Direction: flows.Inbound, Peer: netip.MustParseAddr("203.0.113.5"), Port: 8443}
	fresh  = flows.Connection{Direction: flows.Outbound, Peer: netip.MustParseAddr("203.0.113.9"), Port: 25}
)

// win is window i of a unit with one flow a second (window of 10, stride
// 1), anomalous with the given cause, or normal when conn is nil.
func win(i int, conn *flows.Connection) *Window {
	w := &Window{Index: i, First: i, Flows: 10, Start: int64(i) * 1e9, End: int64(i+9) * 1e9, Sum: -10,
		Model: &Model{Unit: "10.1.0.12", ID: "m1", Threshold: -40, SD: 2}}
	if conn != nil {
		w.Anomalous, w.Sum = true, -42
		w.Cause = detector.Cause{Conn: *conn, Start: w.End, State: 3}
	}
	return w
}

type step struct {
	w    *Window
	want []string // "kind id-index windows symptoms"
}

// TestTracker: overlapping windows or a shared connection within the gap
// make one incident; another connection, apart, another; updates come
// with a new symptom or when the windows double; the gap closes them; a
// tracker restored between any two windows gives the same events.
func TestTracker(t *testing.T) {
	const gap = 60e9
	steps := []step{
		{win(0, nil), nil},
		{win(5, &beacon), []string{"open A 1 1"}},
		{win(6, &beacon), []string{"update A 2 1"}},
		{win(7, &scan), []string{"update A 3 2"}}, // overlaps: joins, a second symptom
		{win(8, &beacon), []string{"update A 4 2"}},
		{win(9, &beacon), nil},
		{win(40, &beacon), nil},                   // apart, but the same connection within the gap
		{win(45, &other), nil},                    // overlaps the last window: 7 windows, 3 symptoms
		{win(56, &fresh), []string{"open B 1 1"}}, // apart, and a connection A does not have
		{win(120, nil), []string{"close A 7 3", "close B 1 1"}},
		{win(200, &beacon), []string{"open C 1 1"}},
	}
	run := func(restoreAt int) []string {
		tr := NewTracker("10.1.0.12", gap)
		var got []string
		ids := map[string]string{}
		for i, s := range steps {
			if i == restoreAt {
				b, _ := json.Marshal(tr.Incidents())
				var open []Incident
				json.Unmarshal(b, &open)
				tr = RestoreTracker("10.1.0.12", gap, open)
			}
			for _, ev := range tr.Window(s.w) {
				if ids[ev.Incident.ID] == "" {
					ids[ev.Incident.ID] = string(rune('A' + len(ids)))
				}
				got = append(got, strings.Join([]string{string(ev.Kind), ids[ev.Incident.ID], itoa(ev.Incident.Windows), itoa(len(ev.Incident.Symptoms))}, " "))
			}
		}
		for _, ev := range tr.End() {
			got = append(got, string(ev.Kind)+" "+ids[ev.Incident.ID])
		}
		return got
	}
	var want []string
	for _, s := range steps {
		want = append(want, s.want...)
	}
	want = append(want, "close C")
	for restoreAt := -1; restoreAt <= len(steps); restoreAt++ {
		if got := run(restoreAt); !reflect.DeepEqual(got, want) {
			t.Errorf("restored at %d: events\n%v\nwant\n%v", restoreAt, got, want)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestAlert: an alert carries the drafts' fields, a deterministic id,
// the unit and window start as key, and end-time only on close.
func TestAlert(t *testing.T) {
	tr := NewTracker("10.1.0.12", 60e9)
	open := tr.Window(win(5, &beacon))
	tr2 := NewTracker("10.1.0.12", 60e9)
	if again := tr2.Window(win(5, &beacon)); again[0].Incident.ID != open[0].Incident.ID {
		t.Error("the same window gave another id")
	}
	a := AlertOf(&open[0])
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a.ID) {
		t.Errorf("id %q is not a version 5 UUID", a.ID)
	}
	if a.Event != Open || a.State != "open" || a.EndTime != "" || a.Revision != 1 || a.Key != "10.1.0.12/1970-01-01T00:00:05Z" ||
		a.ConfidenceScore != 82 || len(a.Symptoms) != 1 || a.Symptoms[0].Cause != "outbound 192.0.2.14 port 443" || a.Model.ID != "m1" {
		t.Errorf("open alert %+v", a)
	}
	closed := tr.End()
	c := AlertOf(&closed[0])
	if c.Event != Close || c.State != "closed" || c.EndTime != "1970-01-01T00:00:14Z" || c.Revision != 2 || c.Identity() == a.Identity() {
		t.Errorf("close alert %+v", c)
	}
	line, err := c.MarshalLine()
	if err != nil || !strings.HasSuffix(string(line), "}\n") || strings.Count(string(line), "\n") != 1 {
		t.Errorf("line %q, %v", line, err)
	}
	for _, field := range []string{`"id"`, `"start-time"`, `"end-time"`, `"state"`, `"unit"`, `"symptoms"`, `"confidence-score"`, `"concern-score"`, `"annotator"`, `"model"`} {
		if !strings.Contains(string(line), field) {
			t.Errorf("alert has no %s field", field)
		}
	}
}
