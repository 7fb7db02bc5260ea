package incident

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/netflow-monitor/monitor/flows"
)

// Alert is one JSON line about an incident: a relevant-state notification
// in the terms of draft-netana-nmop-network-anomaly-semantics and
// -lifecycle, with the incident's lifecycle event. Times are RFC 3339 UTC
// with nanoseconds; scores are 0 to 100. Its kind, summary, detail,
// connection and first and last seen are those of the incident's row in
// the unit's incidents.csv.
type Alert struct {
	// Event is what happened: open, update or close.
	Event Change `json:"event"`
	// ID is the incident's (deterministic) id; Revision counts its alerts,
	// from 1. An alert is the incident's state at (ID, Revision).
	ID       string `json:"id"`
	Revision int    `json:"revision"`
	// State is the incident's: open, or closed after a close event.
	State string `json:"state"`
	// Stage and Phase are the anomaly's lifecycle state in the terms of
	// the lifecycle draft (ietf-relevant-state): the detection stage's
	// problem-potential until an analyst validates it (package triage
	// sets the others: problem-confirmed and discarded in the validation
	// stage).
	Stage string `json:"stage"`
	Phase string `json:"phase"`
	// Validation is the analyst's tag of the incident, when there is one.
	Validation *Validation `json:"validation,omitempty"`
	// Status is "active", or "suppressed" while a silence mutes the
	// incident (SilencedBy names them), as Alertmanager says: a silenced
	// incident's alerts are still sent, marked, never dropped.
	Status     string   `json:"status"`
	SilencedBy []string `json:"silenced-by,omitempty"`
	Unit       string   `json:"unit"`
	// StartTime is when the incident's first anomalous window began;
	// EndTime, on close only, when its last one ended. LastTime is the
	// latest so far.
	StartTime string `json:"start-time"`
	EndTime   string `json:"end-time,omitempty"`
	LastTime  string `json:"last-time"`
	// Description is the incident's summary, in the words of
	// incidents.csv.
	Description string `json:"description"`
	// ConfidenceScore is the highest confidence of its windows (see
	// Confidence); ConcernScore the same, as the drafts want one.
	ConfidenceScore int `json:"confidence-score"`
	ConcernScore    int `json:"concern-score"`
	// Pattern is the incident's kind (see Kinds).
	Pattern string `json:"pattern"`
	Detail  string `json:"detail"`
	// Direction, Peer and Port are the connection it is about ("*" for a
	// scan's port or a fan-out's peer); FirstSeen and LastSeen its
	// earliest and latest root-cause flows.
	Direction string    `json:"direction"`
	Peer      string    `json:"peer"`
	Port      string    `json:"port"`
	FirstSeen string    `json:"first-seen"`
	LastSeen  string    `json:"last-seen"`
	Flows     int       `json:"flows"`
	Evidence  float64   `json:"evidence"`
	Windows   Windows   `json:"windows"`
	Symptoms  []Symp    `json:"symptoms"`
	Annotator Annotator `json:"annotator"`
	Model     Model     `json:"model"`
	// Key keys the alert in a topic: the unit and the start of the window
	// it is about.
	Key string `json:"key"`
}

// Windows says which of the unit's windows make the incident, by their
// numbers (from 1, the rows of the predictions file).
type Windows struct {
	Anomalous int     `json:"anomalous"`
	First     int     `json:"first"`
	Last      int     `json:"last"`
	Rows      string  `json:"rows"`      // as incidents.csv prints them: "27-28 35-55"
	MinScore  float64 `json:"min-score"` // the lowest log-likelihood
	// OtherConnections counts anomalous windows blamed on connections
	// beyond the symptoms listed (see MaxListed).
	OtherConnections int `json:"other-connections,omitempty"`
}

// Symp is a symptom: one root-cause connection, most windows first.
type Symp struct {
	ID              string   `json:"id"`
	ConcernScore    int      `json:"concern-score"`
	ConfidenceScore int      `json:"confidence-score"`
	Action          string   `json:"action"`
	Reason          string   `json:"reason"`
	Cause           string   `json:"cause"`
	Why             []string `json:"why,omitempty"`
	Direction       string   `json:"direction"`
	Peer            string   `json:"peer"`
	Port            uint16   `json:"port"`
	State           int32    `json:"state"`
	Windows         int      `json:"windows"`
	FirstSeen       string   `json:"first-seen"`
	LastSeen        string   `json:"last-seen"`
}

// Validation is a human annotation of an incident: the tag an analyst
// gave it (confirmed, expected, false-positive), why, who and when.
type Validation struct {
	Tag           string `json:"tag"`
	Comment       string `json:"comment,omitempty"`
	By            string `json:"by"`
	At            string `json:"at"`
	AnnotatorType string `json:"annotator-type"` // "human"
}

// Annotator names what made the annotation: an algorithm.
type Annotator struct {
	Name          string `json:"name"`
	AnnotatorType string `json:"annotator-type"`
	Version       string `json:"version"`
}

func isoNano(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// TimeLayout is how incidents.csv prints times, which alerts' first-seen
// and last-seen share: ISO 8601 UTC with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// ISOTime prints Unix nanoseconds as TimeLayout does.
func ISOTime(ns int64) string { return time.Unix(0, ns).UTC().Format(TimeLayout) }

// PeerText and PortText print an incident's peer and port as
// incidents.csv does: "*" for a fan-out's peers and a scan's ports.
func (d *Description) PeerText() string {
	if d.Peer.IsValid() {
		return d.Peer.String()
	}
	return "*"
}

// PortText prints the port, or "*" for a scan's many.
func (d *Description) PortText() string {
	if d.Ports <= 1 {
		return fmt.Sprint(d.Port)
	}
	return "*"
}

// symptom is one root-cause connection of an incident.
type symptom struct {
	conn                flows.Connection
	state               int32
	windows, confidence int
	first, last         int64
	why                 []string
}

// symptoms returns an incident's root-cause connections, most windows
// first, then by connection.
func symptoms(c *Incident) []symptom {
	var out []symptom
	at := map[flows.Connection]int{}
	for i := range c.Causes {
		k := &c.Causes[i]
		j, ok := at[k.Conn]
		if !ok {
			j = len(out)
			at[k.Conn] = j
			out = append(out, symptom{conn: k.Conn, state: k.State, first: k.Start, last: k.Start})
		}
		s := &out[j]
		s.windows += k.Windows
		s.confidence = max(s.confidence, k.Confidence)
		s.first, s.last = min(s.first, k.Start), max(s.last, k.Start)
		for _, w := range k.Why {
			if !slices.Contains(s.why, w) {
				s.why = append(s.why, w)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b symptom) int {
		return cmp.Or(cmp.Compare(b.windows, a.windows), a.conn.Compare(b.conn))
	})
	return out
}

// AlertOf returns the alert of an event.
func AlertOf(ev *Event) Alert {
	c := &ev.Incident
	d := &c.Description
	a := Alert{
		Event: ev.Change, ID: c.ID, Revision: c.Revision, State: "open", Stage: "detection", Phase: "problem-potential", Status: "active", Unit: c.Unit,
		StartTime: isoNano(c.Start), LastTime: isoNano(c.End), Description: d.Summary,
		ConfidenceScore: c.Confidence, ConcernScore: c.Confidence, Pattern: d.Kind, Detail: d.Detail,
		Direction: d.Direction.String(), Peer: d.PeerText(), Port: d.PortText(), FirstSeen: ISOTime(c.FirstSeen), LastSeen: ISOTime(c.LastSeen),
		Flows: c.Flows(), Evidence: roundEvidence(c.Evidence),
		Windows:   Windows{Anomalous: c.Windows.N, First: c.Windows.First(), Last: c.Windows.Last, MinScore: c.MinSum, Rows: c.Windows.String()},
		Annotator: Annotator{Name: "netflow-monitor watch", AnnotatorType: "algorithm", Version: c.Model.ID},
		Model:     c.Model,
		Key:       AlertKey(c.Unit, ev.WindowStart),
	}
	if ev.Change == Close {
		a.State, a.EndTime = "closed", isoNano(c.End)
	}
	syms := symptoms(c)
	listed := syms[:min(len(syms), MaxListed)]
	for _, s := range syms[len(listed):] {
		a.Windows.OtherConnections += s.windows
	}
	for _, s := range listed {
		cause := fmt.Sprintf("%s %s port %d", s.conn.Direction, s.conn.Peer, s.conn.Port)
		a.Symptoms = append(a.Symptoms, Symp{
			ID:           uuid5("symptom", c.ID, cause),
			ConcernScore: 100 * s.windows / max(1, c.Windows.N), ConfidenceScore: s.confidence,
			Action: s.conn.Direction.String() + " connection", Reason: "least likely flow of " + windowCount(s.windows),
			Cause: cause, Why: s.why, Direction: s.conn.Direction.String(), Peer: s.conn.Peer.String(), Port: s.conn.Port, State: s.state,
			Windows: s.windows, FirstSeen: isoNano(s.first), LastSeen: isoNano(s.last),
		})
	}
	return a
}

// roundEvidence rounds evidence as incidents.csv prints it.
func roundEvidence(e float64) float64 { return math.Round(e*1000) / 1000 }

// windowCount says how many anomalous windows: "1 anomalous window", "3
// anomalous windows".
func windowCount(n int) string {
	if n == 1 {
		return "1 anomalous window"
	}
	return fmt.Sprintf("%d anomalous windows", n)
}

// MaxListed bounds the symptoms an alert lists, most windows first; the
// windows of the others are counted in Windows.OtherConnections.
const MaxListed = 10

// AlertKey is an alert's key: the unit and the start of the window it is
// about.
func AlertKey(unit string, windowStart int64) string { return unit + "/" + isoNano(windowStart) }

// Identity is what tells one alert from another however often it was
// sent: the incident and the revision.
func (a *Alert) Identity() string { return fmt.Sprintf("%s#%d", a.ID, a.Revision) }

// MarshalLine returns the alert as one JSON line (with its newline).
func (a *Alert) MarshalLine() ([]byte, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w", a.Identity(), err)
	}
	return append(b, '\n'), nil
}
