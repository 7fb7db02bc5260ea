// Package incident is the monitor's one model of an incident: what some
// of a unit's anomalous windows add up to, of a kind an analyst names (a
// port scan, a fan-out, beaconing, exfiltration, an unusual port, a new
// peer, a connection), in plain words, with its lifecycle (it opens, is
// updated as it grows, and closes once no later window can join it).
//
// A Tracker is fed a unit's windows in order and groups the anomalous
// ones: a window joins an open incident when its root cause shares the
// connection, the peer (a scan) or the port (a fan-out) of one of the
// incident's root causes, and it came within the gap (event time) of the
// incident's latest root cause or its flows overlap or follow on those
// of the incident's last window (a slow host's windows span more than
// the gap). It is
// a state machine with no I/O: run feeds it a host's windows from a file
// and writes the incidents to incidents.csv, watch feeds it windows as
// they come and sends an alert at each event, so that the same windows
// make the same incidents, with the same ids, kinds and words, in both.
// What kind an incident is, is decided by a table of classifiers (see
// Kinds): one file and one line to add a kind.
//
// Alerts describe incidents in the fields of the IETF drafts on network
// anomaly semantics and lifecycle (draft-netana-nmop-network-anomaly-
// semantics, -lifecycle: a relevant state with its anomaly, symptoms,
// scores and annotator), as JSON lines.
package incident

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/netflow-monitor/monitor/flows"
)

// DefaultGap is the default gap of event time within which anomalous
// windows join an incident (run's and watch's --incident-gap).
const DefaultGap = 10 * time.Minute

// Model identifies the model that judged a window.
type Model struct {
	Unit      string  `json:"unit"`
	ID        string  `json:"id"` // sha256: of the model file, hex
	Threshold float64 `json:"threshold"`
	Mean      float64 `json:"mean"`
	SD        float64 `json:"sd"`
	K         float64 `json:"k"`
	// BytesOutP99 is the 99th percentile of the unit's outbound
	// transfers in training (0: unknown): what exfiltration is beyond.
	BytesOutP99 uint64 `json:"-"`
}

// Cause is one distinct root-cause flow of an incident: the least likely
// flow of one or more of its windows, and what it is.
type Cause struct {
	Flow  int // its position in the unit's flows
	Conn  flows.Connection
	Start int64 // Unix nanoseconds
	State int32 // the automaton state it was read in
	Bytes uint64
	// Surprise is −score of the flow: the evidence it brings.
	Surprise float64
	// NewPort and NewPeer say what of the connection training never
	// saw.
	NewPort, NewPeer bool
	// Why are words saying why the flow is unlikely, as the scoring
	// knows them (a novelty, a rare size); empty when it says nothing.
	// They reach the incident's words and the alerts' symptoms.
	Why []string `json:",omitempty"`
	// Windows is how many of the incident's windows it is the cause of;
	// Confidence the highest of theirs.
	Windows    int
	Confidence int
}

// Window is what a tracker reads of a scored window.
type Window struct {
	Index int // the window's number in the unit's windows, from 1 (its row in the predictions file)
	First int // position of its first flow in the unit's flows
	Flows int // its length in flows
	// Start and End are the start times of its first and last flows
	// (Unix nanoseconds): End is when the window completed.
	Start, End int64
	Sum        float64
	Anomalous  bool
	Cause      Cause // of an anomalous window
	Model      *Model
	// Explain, when set, gives the root cause's words (Cause.Why) when
	// the incident keeps a new one: a flood's or a scan's windows need
	// them for the few root causes kept only.
	Explain func() []string
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
	// LastStart is the start of its last anomalous window, LastFirst and
	// LastFlows place that window among the unit's flows.
	LastStart            int64
	LastFirst, LastFlows int
	// FirstSeen and LastSeen are the starts of its earliest and latest
	// root-cause flows.
	FirstSeen, LastSeen int64
	// Windows are its anomalous windows' numbers (from 1), ascending.
	Windows    WindowList
	MinSum     float64
	Confidence int
	Evidence   float64 // the sum of the surprise of its distinct root-cause flows
	// Causes are its distinct root-cause flows, in the order they came;
	// past MaxCauses (or the tracker's MaxKept) they are counted in
	// Others only.
	Causes []Cause
	Others int
	// Recent are the root-cause flows of its latest windows (see
	// recentFlow): a flow blamed again by a later window is found there,
	// not counted twice, whether it is in Causes or counted in Others.
	Recent []RecentFlow `json:",omitempty"`
	Model  Model
	// Description is what it is, from its causes (see Kinds); set at
	// each event and at the end.
	Description
	seq int // its place among the tracker's open incidents, in the order they opened
}

// RecentFlow is a root-cause flow of one of an incident's latest windows:
// its position in the unit's flows, and its index in Causes (-1 when it
// was counted in Others).
type RecentFlow struct {
	Flow, Cause int
}

// Bounds on what a tracker keeps, so that its memory (and a checkpoint of
// it) is bounded whatever the windows: a long scan blames a new flow in
// every window, and traffic of random peers and ports opens an incident
// in every one.
const (
	// MaxCauses bounds the root-cause flows an incident keeps: the others
	// are counted.
	MaxCauses = 1 << 12
	// MaxKept bounds the root-cause flows the open incidents of a unit
	// keep together, past which an incident keeps its first MinKept.
	MaxKept = 1 << 12
	// MinKept is how many root-cause flows an incident keeps whatever
	// the others keep, so that each says what it is (a scan its ports).
	MinKept = 64
	// MaxOpen bounds a unit's open incidents: a window that would open
	// one more closes first the one whose latest root cause is the
	// earliest.
	MaxOpen = 256
)

// Flows returns the number of its distinct root-cause flows.
func (c *Incident) Flows() int { return len(c.Causes) + c.Others }

// Change is what an event says happened to an incident.
type Change string

// Changes: an incident opened, grew, or closed.
const (
	Open   Change = "open"
	Update Change = "update"
	Close  Change = "close"
)

// Event is one alert's worth: what happened and the incident after it.
type Event struct {
	Change   Change
	Incident Incident // a copy: later changes do not show
	// WindowStart is the start of the window the event is about (the one
	// that opened or grew the incident, or its last), which keys alerts.
	WindowStart int64
}

// Tracker follows the incidents of one unit. Each window costs it a few
// map lookups, whatever the number of incidents and root causes: open
// incidents are found by the peers and ports of their root causes.
type Tracker struct {
	unit string
	gap  int64
	open []*Incident
	seq  int
	kept int // root-cause flows kept by the open incidents
	// peers and ports index the open incidents by the peers and ports
	// (each with its direction) of the root causes they keep, in the
	// order the incidents opened.
	peers map[dirPeer][]*Incident
	ports map[dirPort][]*Incident
}

type dirPeer struct {
	d flows.Direction
	p netip.Addr
}

type dirPort struct {
	d flows.Direction
	p uint16
}

// NewTracker returns a tracker of unit's incidents with the given gap
// (nanoseconds of event time).
func NewTracker(unit string, gap int64) *Tracker {
	return &Tracker{unit: unit, gap: gap, peers: map[dirPeer][]*Incident{}, ports: map[dirPort][]*Incident{}}
}

// Open returns the number of open incidents.
func (t *Tracker) Open() int { return len(t.open) }

// Window takes the unit's next window and returns the events it causes:
// incidents that no window from this one on can join close, and the
// window opens or grows an incident when it is anomalous.
func (t *Tracker) Window(w *Window) []Event {
	// Windows come in time order and blame one of their own flows: no
	// window from this one on blames a flow that starts before w.Start,
	// or holds a flow before w.First.
	evs := t.Advance(w.Start, w.First)
	if !w.Anomalous {
		return evs
	}
	conf := Confidence(w.Sum, w.Model)
	inc := t.joined(w)
	if inc == nil {
		if len(t.open) >= MaxOpen {
			evs = append(evs, t.closeStalest())
		}
		t.seq++
		inc = &Incident{ID: incidentID(t.unit, w), Unit: t.unit, Start: w.Start, MinSum: w.Sum,
			FirstSeen: math.MaxInt64, LastSeen: math.MinInt64, seq: t.seq}
		t.open = append(t.open, inc)
	}
	newCause := t.add(inc, w, conf)
	change := Update
	switch {
	case inc.Windows.N == 1:
		change = Open
	case !powerOfTwo(inc.Windows.N) && !(newCause && powerOfTwo(inc.Flows())):
		// Grown, but not enough to say so again: updates come as the
		// windows or the root-cause flows double, so that a long
		// incident (a scan blames a new port in every window) sends
		// few, and is described (its kind and words, from all its
		// causes) as often.
		return evs
	}
	return append(evs, inc.event(change, w.Start))
}

// joined returns the open incident w joins, the first opened of those
// whose root causes share its root cause's connection, peer or port (each
// in its direction) and that it comes near (see near); nil for none.
func (t *Tracker) joined(w *Window) *Incident {
	c := &w.Cause.Conn
	var best *Incident
	for _, cands := range [2][]*Incident{t.peers[dirPeer{c.Direction, c.Peer}], t.ports[dirPort{c.Direction, c.Port}]} {
		for _, inc := range cands {
			if (best == nil || inc.seq < best.seq) && inc.near(w, t.gap) {
				best = inc
			}
		}
	}
	return best
}

// closeStalest closes the open incident whose latest root cause is the
// earliest (the first opened on a tie), to make room for one more.
func (t *Tracker) closeStalest() Event {
	at := 0
	for i, c := range t.open {
		if c.LastSeen < t.open[at].LastSeen {
			at = i
		}
	}
	c := t.open[at]
	t.open = slices.Delete(t.open, at, at+1)
	t.forget(c)
	c.Closed = true
	return c.event(Close, c.LastStart)
}

// Advance closes the incidents that no window can join any more, now
// that none to come blames a flow that starts before horizon (event time)
// or holds a flow before position next in the unit's flows: those whose
// latest root-cause flow is more than the gap before horizon and whose
// last window ends before next. Any horizon and next no later than those
// of the windows to come give the same incidents; later ones (a unit gone
// quiet past the idle timeout) close them early.
func (t *Tracker) Advance(horizon int64, next int) []Event {
	var evs []Event
	keep := t.open[:0]
	for _, c := range t.open {
		if horizon > c.LastSeen && horizon-c.LastSeen > t.gap && next > c.LastFirst+c.LastFlows {
			t.forget(c)
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
func (t *Tracker) End() []Event { return t.Advance(math.MaxInt64, math.MaxInt) }

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
		t.seq++
		c.seq = t.seq
		t.open = append(t.open, &c)
		t.kept += len(c.Causes)
		for i := range c.Causes {
			t.index(&c, &c.Causes[i].Conn)
		}
	}
	return t
}

// index records that c has a root cause of connection k.
func (t *Tracker) index(c *Incident, k *flows.Connection) {
	p, q := dirPeer{k.Direction, k.Peer}, dirPort{k.Direction, k.Port}
	if l := t.peers[p]; !slices.Contains(l, c) {
		t.peers[p] = append(l, c)
	}
	if l := t.ports[q]; !slices.Contains(l, c) {
		t.ports[q] = append(l, c)
	}
}

// forget takes a closing incident out of the index.
func (t *Tracker) forget(c *Incident) {
	t.kept -= len(c.Causes)
	drop := func(l []*Incident) []*Incident {
		if i := slices.Index(l, c); i >= 0 {
			l = slices.Delete(l, i, i+1)
		}
		return l
	}
	for i := range c.Causes {
		k := &c.Causes[i].Conn
		p, q := dirPeer{k.Direction, k.Peer}, dirPort{k.Direction, k.Port}
		if l := drop(t.peers[p]); len(l) > 0 {
			t.peers[p] = l
		} else {
			delete(t.peers, p)
		}
		if l := drop(t.ports[q]); len(l) > 0 {
			t.ports[q] = l
		} else {
			delete(t.ports, q)
		}
	}
}

func (c *Incident) clone() Incident {
	d := *c
	d.Windows = c.Windows.clone()
	d.Causes = slices.Clone(c.Causes)
	d.Recent = slices.Clone(c.Recent)
	return d
}

func (c *Incident) event(ch Change, windowStart int64) Event {
	c.Revision++
	c.describe()
	return Event{Change: ch, Incident: c.clone(), WindowStart: windowStart}
}

// near reports whether w comes near c: its root cause within gap of c's
// latest one, or its flows overlapping or following on those of c's last
// window.
func (c *Incident) near(w *Window, gap int64) bool {
	return !(w.Cause.Start-c.LastSeen > gap && w.First > c.LastFirst+c.LastFlows)
}

// add adds an anomalous window to c; it reports whether its root cause is
// a flow the incident did not have.
func (t *Tracker) add(c *Incident, w *Window, conf int) bool {
	c.Windows.Add(w.Index)
	c.End = max(c.End, w.End)
	c.LastStart, c.LastFirst, c.LastFlows = w.Start, w.First, w.Flows
	c.MinSum = min(c.MinSum, w.Sum)
	c.Confidence = max(c.Confidence, conf)
	c.Model = *w.Model
	cause := w.Cause
	c.FirstSeen, c.LastSeen = min(c.FirstSeen, cause.Start), max(c.LastSeen, cause.Start)
	if i, ok := c.recentFlow(cause.Flow, w.First); ok {
		if i >= 0 {
			k := &c.Causes[i]
			k.Windows++
			k.Confidence = max(k.Confidence, conf)
		}
		return false
	}
	c.Evidence += cause.Surprise
	i := -1
	if len(c.Causes) < MinKept || len(c.Causes) < MaxCauses && t.kept < MaxKept {
		i = len(c.Causes)
		cause.Windows, cause.Confidence = 1, conf
		if cause.Why == nil && w.Explain != nil {
			cause.Why = w.Explain()
		}
		c.Causes = append(c.Causes, cause)
		t.kept++
		t.index(c, &cause.Conn)
	} else {
		c.Others++
	}
	c.Recent = append(c.Recent, RecentFlow{Flow: cause.Flow, Cause: i})
	return true
}

// recentFlow looks for flow among the root causes of c's latest windows,
// first dropping those that start before first (the first flow of the
// window being added): no window from it on holds them. It returns the
// flow's index in Causes (-1 when it was counted in Others).
func (c *Incident) recentFlow(flow, first int) (int, bool) {
	drop := 0
	for drop < len(c.Recent) && c.Recent[drop].Flow < first {
		drop++
	}
	if drop > 0 {
		c.Recent = append(c.Recent[:0], c.Recent[drop:]...)
	}
	for _, r := range c.Recent {
		if r.Flow == flow {
			return r.Cause, true
		}
	}
	return 0, false
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
