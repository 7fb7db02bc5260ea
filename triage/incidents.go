package triage

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/rootcause"
)

// Incident is an incident of a finished run (a row of a host's
// incidents.csv) with the analyst's judgement of it: what GET
// /api/incidents lists.
type Incident struct {
	ID        string  `json:"id"`
	Unit      string  `json:"unit"`
	Kind      string  `json:"kind"`
	Summary   string  `json:"summary"`
	Direction string  `json:"direction"`
	Peer      string  `json:"peer"`
	Port      string  `json:"port"`
	FirstSeen string  `json:"first-seen"`
	LastSeen  string  `json:"last-seen"`
	Flows     int     `json:"flows"`
	Windows   int     `json:"windows"`
	Rows      string  `json:"rows"`
	Evidence  float64 `json:"evidence"`
	Detail    string  `json:"detail"`
	New       string  `json:"what-is-new"`
	NextStep  string  `json:"next-step"`
	// Tag is the analyst's verdict, nil when none.
	Tag *TagJSON `json:"tag,omitempty"`
	// SilencedBy are the ids of the active silences that match it.
	SilencedBy []string `json:"silenced-by"`
	Stage
}

// TagJSON is a tag as the API and alerts give it.
type TagJSON struct {
	Label   Label  `json:"tag"`
	Comment string `json:"comment,omitempty"`
	By      string `json:"by"`
	At      string `json:"at"`
}

// JSON returns the tag as the API and alerts give it.
func (t *Tag) JSON() *TagJSON {
	if t == nil {
		return nil
	}
	return &TagJSON{Label: t.Label, Comment: t.Comment, By: t.By, At: t.At.UTC().Format(timeLayout)}
}

// Subject returns what tags and silences say of the incident.
func (in *Incident) Subject() Subject {
	return Subject{Unit: in.Unit, Kind: in.Kind, Direction: in.Direction, Peer: in.Peer, Port: in.Port}
}

// ReadIncidents reads the incidents of every host folder of the monitor
// folder root, most evidence first, each with its tag and the silences of
// st active at now that match it. A host's incidents.csv that cannot be
// read is reported in problems and left out; a host without one has no
// incidents.
func ReadIncidents(root string, st *Store, now time.Time) (out []Incident, problems []error, err error) {
	hosts, _, err := layout.Discover(root)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range hosts {
		if h.IsGroup() {
			continue
		}
		rows, err := rootcause.ReadIncidents(filepath.Join(layout.Dir(root, h), rootcause.IncidentsFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			problems = append(problems, err)
			continue
		}
		for _, r := range rows {
			in := Incident{ID: r.ID, Unit: h.Name, Kind: r.Kind, Summary: r.Summary, Direction: r.Direction, Peer: r.Peer, Port: r.Port,
				FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Flows: r.Flows, Windows: r.Windows, Rows: r.Rows, Evidence: r.Evidence,
				Detail: r.Detail, New: r.Why, SilencedBy: []string{}}
			in.NextStep = incident.NextStep(r.Kind, incident.Subject{Host: h.Name, Direction: r.Direction, Peer: r.Peer, Port: r.Port})
			tag, _ := st.TagOf(r.ID)
			in.Tag = tag.JSON()
			for _, s := range st.SilencedBy(in.Subject(), now) {
				in.SilencedBy = append(in.SilencedBy, s.ID)
			}
			in.Stage = Lifecycle(tag)
			out = append(out, in)
		}
	}
	slices.SortStableFunc(out, func(a, b Incident) int {
		return cmp.Or(cmp.Compare(b.Evidence, a.Evidence), strings.Compare(a.FirstSeen, b.FirstSeen), strings.Compare(a.Unit, b.Unit))
	})
	return out, problems, nil
}

// ErrNoIncident is the error of an id that names no incident.
var ErrNoIncident = errors.New("no such incident")

// Find returns the incident of the monitor folder root whose id is id, or
// starts with id (at least 8 characters, as the report shows them), and
// its tag's subject.
func Find(root, id string) (Incident, error) {
	ins, problems, err := ReadIncidents(root, nil, time.Time{})
	if err != nil {
		return Incident{}, err
	}
	id = strings.ToLower(id)
	var found []Incident
	for _, in := range ins {
		if in.ID == id || len(id) >= 8 && strings.HasPrefix(in.ID, id) {
			found = append(found, in)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return Incident{}, fmt.Errorf("%s names %d incidents: give more of the id", id, len(found))
	case len(id) < 8 && !IsID(id):
		return Incident{}, fmt.Errorf("%q: give an incident's id (the id column of incidents.csv, or its first 8 characters or more)", id)
	}
	return Incident{}, fmt.Errorf("incident %s: %w in %s%s", id, ErrNoIncident, root, problemsNote(problems))
}

func problemsNote(problems []error) string {
	if len(problems) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d host files could not be read: %v)", len(problems), errors.Join(problems...))
}

// TagOf returns a tag of the incident with the given label, comment, who
// and when.
func (in *Incident) TagOf(label Label, comment, by string, at time.Time) (Tag, error) {
	first, err := parseTime(in.FirstSeen, seenLayout)
	if err != nil {
		return Tag{}, fmt.Errorf("incident %s: first seen: %w", in.ID, err)
	}
	last, err := parseTime(in.LastSeen, seenLayout)
	if err != nil {
		return Tag{}, fmt.Errorf("incident %s: last seen: %w", in.ID, err)
	}
	return Tag{ID: in.ID, Subject: in.Subject(), FirstSeen: first, LastSeen: last, Label: label, Comment: comment, By: by, At: at}, nil
}
