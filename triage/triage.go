// Package triage keeps an analyst's judgement of incidents in the monitor
// folder, so that the next run, watch and training remember it:
//
//   - tags: an incident (by its id, the name-based UUID of incidents.csv)
//     is confirmed, expected or a false positive, with a comment, who said
//     so and when. The tag row also copies what the incident was (unit,
//     kind, connection, first and last seen), so that it reads alone and
//     training can find the incident's flows (see Learned).
//   - silences: matchers on an incident's unit, kind, direction, peer and
//     port (=, !=, =~, !~, as Alertmanager's), active from a start to an
//     end; an incident an active silence matches is shown as silenced, and
//     counted, never left out.
//
// Each lives in one file of the monitor folder (TagsFile, SilencesFile),
// ';'-separated with a header like the run's reports, human-readable and
// editable by hand. Files are read strictly: a bad value is an
// *input.Error naming the file, the line and the field. They are replaced
// atomically (package atomicfile) under a short lock of their own
// (LockFile), which run and watch, holding the folder's lock for long, do
// not take: serve and tag write while watch runs.
//
// States follow the IETF network anomaly lifecycle draft
// (draft-ietf-nmop-network-anomaly-lifecycle): an incident nobody has
// judged is a problem-potential of the detection stage; confirmed is
// problem-confirmed, expected and false-positive are discarded (the
// validation stage). See Lifecycle.
package triage

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/rootcause"
)

// Files of the monitor folder.
const (
	TagsFile     = "tags.csv"
	SilencesFile = "silences.csv"
	// LockFile is the lock writers of the two files take.
	LockFile = ".triage.lock"
)

// Label is an analyst's verdict on an incident.
type Label string

// Labels.
const (
	// Confirmed: a real problem, to act on.
	Confirmed Label = "confirmed"
	// Expected: what happened is normal here (a backup, a deploy); the
	// next training learns it.
	Expected Label = "expected"
	// FalsePositive: the detection was wrong; the next training learns
	// the incident's traffic as normal.
	FalsePositive Label = "false-positive"
)

// Labels returns the labels, in the order a form offers them.
func Labels() []Label { return []Label{Confirmed, Expected, FalsePositive} }

// ParseLabel checks a label's name.
func ParseLabel(s string) (Label, error) {
	for _, l := range Labels() {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("%q is not a tag: use confirmed, expected or false-positive", s)
}

// Learned reports whether training learns an incident with this label as
// normal.
func (l Label) Learned() bool { return l == Expected || l == FalsePositive }

// Subject is what tags and silences say of an incident: its unit (the
// monitored host), kind, direction, peer ("*" for a fan-out's many) and
// port ("*" for a scan's many), as incidents.csv writes them.
type Subject struct {
	Unit, Kind, Direction, Peer, Port string
}

// Tag is an analyst's verdict on one incident.
type Tag struct {
	ID string // the incident's id
	Subject
	// FirstSeen and LastSeen are the incident's earliest and latest
	// root-cause flows.
	FirstSeen, LastSeen time.Time
	Label               Label
	Comment             string
	By                  string
	At                  time.Time
}

// Stage and Phase are where an incident is in the lifecycle draft's state
// machine: its stage (detection, validation, refinement) and the state's
// identity in ietf-relevant-state.
type Stage struct {
	Stage string `json:"stage"`
	Phase string `json:"phase"`
}

// Lifecycle returns an incident's lifecycle state given its tag (nil for
// none). The refinement stage (the detection adjusted to the validation)
// is not told apart: a model that learned an expected incident no longer
// finds it, so it has no incident to be in that state.
func Lifecycle(t *Tag) Stage {
	switch {
	case t == nil:
		return Stage{"detection", "problem-potential"}
	case t.Label == Confirmed:
		return Stage{"validation", "problem-confirmed"}
	}
	return Stage{"validation", "discarded"}
}

// Silence mutes the incidents its matchers all match while it is active.
type Silence struct {
	ID       string
	Matchers []Matcher // at least one; on distinct fields
	Starts   time.Time
	Ends     time.Time
	By       string
	Comment  string
}

// Active reports whether the silence mutes at time now.
func (s *Silence) Active(now time.Time) bool { return !now.Before(s.Starts) && now.Before(s.Ends) }

// State is "pending", "active" or "expired" at time now, as Alertmanager
// says.
func (s *Silence) State(now time.Time) string {
	switch {
	case now.Before(s.Starts):
		return "pending"
	case now.Before(s.Ends):
		return "active"
	}
	return "expired"
}

// Matches reports whether every matcher matches the subject.
func (s *Silence) Matches(sub Subject) bool {
	for _, m := range s.Matchers {
		if !m.Matches(sub) {
			return false
		}
	}
	return len(s.Matchers) > 0
}

// MatcherText prints the matchers as the command line takes them:
// `unit=10.1.0.12 kind="port scan"`.
func (s *Silence) MatcherText() string {
	parts := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		parts[i] = m.String()
	}
	return strings.Join(parts, " ")
}

// Fields are the names a matcher can match, in the files' column order.
func Fields() []string { return []string{"unit", "kind", "direction", "peer", "port"} }

// Matcher matches one field of a subject: equal (=), not equal (!=),
// matching a regular expression (=~, anchored at both ends, as
// Alertmanager's) or not matching one (!~).
type Matcher struct {
	Name  string // one of Fields
	Op    string // "=", "!=", "=~", "!~"
	Value string
	re    *regexp.Regexp
}

// NewMatcher checks a matcher: its field, operator and value (a regular
// expression that compiles, for =~ and !~; an address or a port where
// those are compared for equality).
func NewMatcher(name, op, value string) (Matcher, error) {
	m := Matcher{Name: name, Op: op, Value: value}
	if !slices.Contains(Fields(), name) {
		return m, fmt.Errorf("%q is not a field a silence matches: use %s", name, strings.Join(Fields(), ", "))
	}
	switch op {
	case "=", "!=":
		if err := checkSubjectField(name, value); err != nil {
			return m, err
		}
	case "=~", "!~":
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return m, fmt.Errorf("%s%s%s: not a regular expression: %w", name, op, value, err)
		}
		m.re = re
	default:
		return m, fmt.Errorf("%q is not a matcher's operator: use =, !=, =~ or !~", op)
	}
	return m, nil
}

// checkValue checks a value compared for equality with a field.
func checkValue(name, v string) error {
	switch name {
	case "unit":
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Errorf("unit %q is not an IP address", v)
		}
	case "peer":
		if _, err := netip.ParseAddr(v); err != nil && v != "*" {
			return fmt.Errorf("peer %q is not an IP address (or * for a fan-out's many)", v)
		}
	case "port":
		if n, err := strconv.Atoi(v); (err != nil || n < 0 || n > 65535) && v != "*" {
			return fmt.Errorf("port %q is not a port number (or * for a scan's many)", v)
		}
	case "direction":
		if v != "outbound" && v != "inbound" {
			return fmt.Errorf("direction %q is not outbound or inbound", v)
		}
	case "kind":
		if v == "" {
			return fmt.Errorf("an empty kind")
		}
	}
	return nil
}

// ParseMatcher reads a matcher as the command line and the files write
// it: name=value, name!=value, name=~regexp, name!~regexp; the value may
// be in double quotes ("port scan").
func ParseMatcher(s string) (Matcher, error) {
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf("%q is not a matcher: write field=value (or !=, =~, !~), e.g. unit=10.1.0.12", s)
	}
	name, rest := s[:i], s[i:]
	op := "="
	for _, o := range []string{"!=", "=~", "!~"} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	value := rest[len(op):]
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		v, err := strconv.Unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("%q: %w", s, err)
		}
		value = v
	}
	m, err := NewMatcher(name, op, value)
	if err != nil {
		return m, fmt.Errorf("matcher %s: %w", s, err)
	}
	return m, nil
}

// Matches reports whether the matcher matches the subject's field.
func (m *Matcher) Matches(sub Subject) bool {
	v := sub.field(m.Name)
	switch m.Op {
	case "=":
		return v == m.Value
	case "!=":
		return v != m.Value
	case "=~":
		return m.re.MatchString(v)
	case "!~":
		return !m.re.MatchString(v)
	}
	return false
}

// String prints the matcher as ParseMatcher reads it.
func (m Matcher) String() string {
	v := m.Value
	if v == "" || strings.ContainsAny(v, " \t\"\\;") {
		v = strconv.Quote(v)
	}
	return m.Name + m.Op + v
}

func (s Subject) field(name string) string {
	switch name {
	case "unit":
		return s.Unit
	case "kind":
		return s.Kind
	case "direction":
		return s.Direction
	case "peer":
		return s.Peer
	case "port":
		return s.Port
	}
	return ""
}

// NewID returns a random (version 4) UUID for a silence.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var uuidForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// IsID reports whether s has the form of an incident's or a silence's id:
// a UUID in lower-case hexadecimal.
func IsID(s string) bool { return uuidForm.MatchString(s) }

// SubjectOf returns what tags and silences say of an incident of unit as
// a run's report keeps it, in the words of its row in incidents.csv.
func SubjectOf(unit string, in *rootcause.IncidentSummary) Subject {
	return Subject{Unit: unit, Kind: in.Kind, Direction: in.Direction, Peer: in.Peer, Port: in.Port}
}
