package incident

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Alert is one JSON line about an incident: a relevant-state notification
// in the terms of draft-netana-nmop-network-anomaly-semantics and
// -lifecycle, with the incident's lifecycle event. Times are RFC 3339 UTC
// with nanoseconds; scores are 0 to 100.
type Alert struct {
	// Event is what happened: open, update or close.
	Event Kind `json:"event"`
	// ID is the incident's (deterministic) id; Revision counts its alerts,
	// from 1. An alert is the incident's state at (ID, Revision).
	ID       string `json:"id"`
	Revision int    `json:"revision"`
	// State is the incident's: open, or closed after a close event.
	State string `json:"state"`
	// Phase is the anomaly's lifecycle state in the drafts' terms: a
	// detection not yet validated by anyone.
	Phase string `json:"phase"`
	Unit  string `json:"unit"`
	// StartTime is when the incident's first anomalous window began;
	// EndTime, on close only, when its last one ended. LastTime is the
	// latest so far.
	StartTime   string `json:"start-time"`
	EndTime     string `json:"end-time,omitempty"`
	LastTime    string `json:"last-time"`
	Description string `json:"description"`
	// ConfidenceScore is the highest confidence of its windows (see
	// Confidence); ConcernScore the same, as the drafts want one.
	ConfidenceScore int       `json:"confidence-score"`
	ConcernScore    int       `json:"concern-score"`
	Pattern         string    `json:"pattern"`
	Windows         Windows   `json:"windows"`
	Symptoms        []Symp    `json:"symptoms"`
	Annotator       Annotator `json:"annotator"`
	Model           Model     `json:"model"`
	// Key keys the alert in a topic: the unit and the start of the window
	// it is about.
	Key string `json:"key"`
}

// Windows says which of the unit's windows make the incident.
type Windows struct {
	Anomalous int     `json:"anomalous"`
	First     int     `json:"first"`
	Last      int     `json:"last"`
	MinScore  float64 `json:"min-score"` // the lowest log-likelihood
	// OtherConnections counts anomalous windows blamed on connections
	// beyond the symptoms listed (see MaxListed and MaxSymptoms).
	OtherConnections int `json:"other-connections,omitempty"`
}

// Symp is a symptom: one root-cause connection, most windows first.
type Symp struct {
	ID              string `json:"id"`
	ConcernScore    int    `json:"concern-score"`
	ConfidenceScore int    `json:"confidence-score"`
	Action          string `json:"action"`
	Reason          string `json:"reason"`
	Cause           string `json:"cause"`
	Direction       string `json:"direction"`
	Peer            string `json:"peer"`
	Port            uint16 `json:"port"`
	State           int32  `json:"state"`
	Windows         int    `json:"windows"`
	FirstSeen       string `json:"first-seen"`
	LastSeen        string `json:"last-seen"`
}

// Annotator names what made the annotation: an algorithm.
type Annotator struct {
	Name          string `json:"name"`
	AnnotatorType string `json:"annotator-type"`
	Version       string `json:"version"`
}

func isoNano(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

// AlertOf returns the alert of an event.
func AlertOf(ev *Event) Alert {
	c := &ev.Incident
	a := Alert{
		Event: ev.Kind, ID: c.ID, Revision: c.Revision, State: "open", Phase: "problem-potential", Unit: c.Unit,
		StartTime: isoNano(c.Start), LastTime: isoNano(c.End),
		ConfidenceScore: c.Confidence, ConcernScore: c.Confidence, Pattern: "other",
		Windows:   Windows{Anomalous: c.Windows, First: c.FirstWindow, Last: c.LastWindow, MinScore: c.MinSum, OtherConnections: c.Others},
		Annotator: Annotator{Name: "netflow-monitor watch", AnnotatorType: "algorithm", Version: c.Model.ID},
		Model:     c.Model,
		Key:       AlertKey(c.Unit, ev.WindowStart),
	}
	if ev.Kind == Close {
		a.State, a.EndTime = "closed", isoNano(c.End)
	}
	var causes []string
	syms := SortedSymptoms(c)
	listed := syms[:min(len(syms), MaxListed)]
	for _, s := range syms[len(listed):] {
		a.Windows.OtherConnections += s.Windows
	}
	for _, s := range listed {
		cause := fmt.Sprintf("%s %s port %d", s.Conn.Direction, s.Conn.Peer, s.Conn.Port)
		a.Symptoms = append(a.Symptoms, Symp{
			ID:           uuid5("symptom", c.ID, cause),
			ConcernScore: 100 * s.Windows / c.Windows, ConfidenceScore: s.Confidence,
			Action: s.Conn.Direction.String() + " connection", Reason: "least likely flow of " + windows(s.Windows),
			Cause: cause, Direction: s.Conn.Direction.String(), Peer: s.Conn.Peer.String(), Port: s.Conn.Port, State: s.State,
			Windows: s.Windows, FirstSeen: isoNano(s.FirstSeen), LastSeen: isoNano(s.LastSeen),
		})
		if len(causes) < 3 {
			causes = append(causes, cause)
		}
	}
	more := ""
	if n := len(c.Symptoms) + min(c.Others, 1) - len(causes); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	a.Description = fmt.Sprintf("%s: %s, least likely flows: %s%s", c.Unit, windows(c.Windows), strings.Join(causes, ", "), more)
	return a
}

// windows says how many anomalous windows: "1 anomalous window", "3
// anomalous windows".
func windows(n int) string {
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
