// Package incident turns a unit's anomalous windows into incidents: the
// windows of one unit that share a root-cause connection, or overlap, within
// a gap of event time make one incident, which opens, is updated as it
// grows and closes once the gap has passed without another. It is a state
// machine with no I/O, fed the unit's windows in order: the same windows
// give the same incidents, with the same deterministic ids, whether they
// come from a file, a followed log or a Kafka partition, and whatever
// restarts were in between (its state is saved with the unit's).
//
// Alerts describe incidents in the fields of the IETF drafts on network
// anomaly semantics and lifecycle (draft-netana-nmop-network-anomaly-
// semantics, -lifecycle: a relevant state with its anomaly, symptoms,
// scores and annotator), as JSON lines.
package incident

import (
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/flows"
)

// Model identifies the model that judged a window.
type Model struct {
	Unit      string  `json:"unit"`
	ID        string  `json:"id"` // sha256: of the model file, hex
	Threshold float64 `json:"threshold"`
	Mean      float64 `json:"mean"`
	SD        float64 `json:"sd"`
	K         float64 `json:"k"`
}

// Window is what the tracker reads of a scored window.
type Window struct {
	Index int // the window's number in the unit's windows
	First int // position of its first flow in the unit's flows
	Flows int // its length in flows
	// Start and End are the start times of its first and last flows
	// (Unix nanoseconds): End is when the window completed.
	Start, End int64
	Sum        float64
	Anomalous  bool
	Cause      detector.Cause
	Model      *Model
}

// Confidence is how sure a verdict is, from 0 to 100: how far a window's
// log-likelihood lies below the model's threshold, in standard deviations
// of the training scores (z), as 50 + 50·(1 − e^−z). A window at the
// threshold gets 50, one σ below 82, three σ below 98; a window above the
// threshold (not anomalous) gets 0.
func Confidence(sum float64, m *Model) int {
	if !(sum < m.Threshold) {
		return 0
	}
	sd := m.SD
	if !(sd > 0) {
		sd = 1
	}
	z := (m.Threshold - sum) / sd
	c := 50 + 50*(1-math.Exp(-z))
	return int(math.Max(0, math.Min(100, math.Round(c))))
}

// Symptom is one root-cause connection of an incident.
type Symptom struct {
	Conn       flows.Connection
	State      int32 // the automaton state its first flow was read in
	Windows    int
	FirstSeen  int64 // start of its earliest root-cause flow
	LastSeen   int64
	Confidence int // the highest of its windows
}

// Incident is one incident of a unit.
type Incident struct {
	ID       string
	Unit     string
	Revision int // alerts sent about it so far
	Closed   bool
	// Start is the start of its first anomalous window's first flow, End
	// the start of its last anomalous window's last flow.
	Start, End int64
	// FirstWindow and LastWindow are window numbers; LastFirst,
	// LastFlows and LastStart place the last window among the flows.
	FirstWindow, LastWindow int
	LastFirst, LastFlows    int
	LastStart               int64
	Windows                 int // anomalous windows
	MinSum                  float64
	Confidence              int
	Symptoms                []Symptom
	// Others counts windows whose connection was not kept as a symptom
	// (past MaxSymptoms).
	Others int
	Model  Model
}

// MaxSymptoms bounds the connections an incident keeps (a port scan
// touches thousands): the others are counted.
const MaxSymptoms = 64

// Kind is what an event says of an incident.
type Kind string

// Event kinds: an incident opened, grew, or closed.
const (
	Open   Kind = "open"
	Update Kind = "update"
	Close  Kind = "close"
)

// Event is one alert's worth: what happened and the incident after it.
type Event struct {
	Kind     Kind
	Incident Incident // a copy: later changes do not show
	// WindowStart is the start of the window the event is about (the one
	// that opened or grew the incident, or its last), which keys alerts.
	WindowStart int64
}

// Tracker follows the incidents of one unit.
type Tracker struct {
	unit string
	gap  int64
	open []*Incident
}

// NewTracker returns a tracker of unit's incidents with the given gap
// (nanoseconds of event time).
func NewTracker(unit string, gap int64) *Tracker { return &Tracker{unit: unit, gap: gap} }

// Open returns the number of open incidents.
func (t *Tracker) Open() int { return len(t.open) }

// Window takes the unit's next window and returns the events it causes:
// incidents closed because the gap has passed, and the incident it opens or
// updates when it is anomalous.
func (t *Tracker) Window(w *Window) []Event {
	evs := t.Advance(w.End)
	if !w.Anomalous {
		return evs
	}
	conf := Confidence(w.Sum, w.Model)
	var inc *Incident
	for _, c := range t.open {
		overlaps := w.First < c.LastFirst+c.LastFlows
		if overlaps || c.symptom(w.Cause.Conn) >= 0 {
			inc = c
			break
		}
	}
	if inc == nil {
		inc = &Incident{ID: incidentID(t.unit, w), Unit: t.unit, Start: w.Start, FirstWindow: w.Index, MinSum: w.Sum}
		t.open = append(t.open, inc)
	}
	added := inc.add(w, conf)
	kind := Update
	switch {
	case inc.Windows == 1:
		kind = Open
	case !powerOfTwo(inc.Windows) && !(added && powerOfTwo(len(inc.Symptoms))):
		// Grown, but not enough to say so again: updates come as the
		// windows or the symptoms double, so that a long incident (a
		// port scan blames a new port in every window) sends few.
		return evs
	}
	return append(evs, inc.event(kind, w.Start))
}

// Advance closes the incidents whose last anomalous window ended more
// than the gap earlier than now, in event time (no later window can join
// them), and returns their events.
func (t *Tracker) Advance(now int64) []Event {
	var evs []Event
	keep := t.open[:0]
	for _, c := range t.open {
		if now-c.End > t.gap {
			c.Closed = true
			evs = append(evs, c.event(Close, c.LastStart))
			continue
		}
		keep = append(keep, c)
	}
	clear(t.open[len(keep):])
	t.open = keep
	return evs
}

// End closes every open incident: the unit's input has ended.
func (t *Tracker) End() []Event { return t.Advance(math.MaxInt64) }

// Incidents returns copies of the open incidents, for a checkpoint.
func (t *Tracker) Incidents() []Incident {
	out := make([]Incident, len(t.open))
	for i, c := range t.open {
		out[i] = c.clone()
	}
	return out
}

// RestoreTracker returns a tracker of unit's incidents that goes on from
// open, incidents a tracker's Incidents returned.
func RestoreTracker(unit string, gap int64, open []Incident) *Tracker {
	t := NewTracker(unit, gap)
	for _, c := range open {
		c := c.clone()
		t.open = append(t.open, &c)
	}
	return t
}

func (c *Incident) clone() Incident {
	d := *c
	d.Symptoms = slices.Clone(c.Symptoms)
	return d
}

func (c *Incident) event(k Kind, windowStart int64) Event {
	c.Revision++
	return Event{Kind: k, Incident: c.clone(), WindowStart: windowStart}
}

func (c *Incident) symptom(conn flows.Connection) int {
	return slices.IndexFunc(c.Symptoms, func(s Symptom) bool { return s.Conn == conn })
}

// add adds an anomalous window; it reports whether the window brought a
// new symptom.
func (c *Incident) add(w *Window, conf int) bool {
	c.Windows++
	c.End = max(c.End, w.End)
	c.LastWindow, c.LastFirst, c.LastFlows, c.LastStart = w.Index, w.First, w.Flows, w.Start
	c.MinSum = min(c.MinSum, w.Sum)
	c.Confidence = max(c.Confidence, conf)
	c.Model = *w.Model
	cause := w.Cause
	if i := c.symptom(cause.Conn); i >= 0 {
		s := &c.Symptoms[i]
		s.Windows++
		s.FirstSeen, s.LastSeen = min(s.FirstSeen, cause.Start), max(s.LastSeen, cause.Start)
		s.Confidence = max(s.Confidence, conf)
		return false
	}
	if len(c.Symptoms) >= MaxSymptoms {
		c.Others++
		return false
	}
	c.Symptoms = append(c.Symptoms, Symptom{Conn: cause.Conn, State: cause.State, Windows: 1, FirstSeen: cause.Start, LastSeen: cause.Start, Confidence: conf})
	return true
}

func powerOfTwo(n int) bool { return n > 0 && n&(n-1) == 0 }

// incidentID is the incident's id: a name-based UUID (version 5 layout,
// SHA-1) of the unit, and the start and number of its first window, so
// that the same windows give the same id wherever they are judged.
func incidentID(unit string, w *Window) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(w.Start))
	b = binary.BigEndian.AppendUint64(b, uint64(w.Index))
	return uuid5("incident", unit, string(b))
}

// uuid5 returns a name-based UUID of the parts.
func uuid5(parts ...string) string {
	h := sha1.New()
	h.Write([]byte("netflow-monitor"))
	for _, p := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// SortedSymptoms returns an incident's symptoms most windows first, then
// by connection.
func SortedSymptoms(c *Incident) []Symptom {
	s := slices.Clone(c.Symptoms)
	slices.SortStableFunc(s, func(a, b Symptom) int {
		if a.Windows != b.Windows {
			return cmp.Compare(b.Windows, a.Windows)
		}
		return a.Conn.Compare(b.Conn)
	})
	return s
}
