package htmlreport

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/netflow-monitor/monitor/triage"
)

// incidentRow is an incident as the page shows it.
type incidentRow struct {
	ID, Short   string // its id, and the first 8 characters the CLI takes
	Anchor      string // the row's anchor in its host's section
	Host        string
	HostID      string // the host section's anchor
	Kind        string
	Summary     string
	Arrow       string // → outbound, ← inbound
	Peer        string // "192.0.2.14:443", "10.1.0.11, every port"
	First, Last string // first and last seen, "2024-01-06 02:15:06"
	FirstISO    string
	LastISO     string
	Flows       int
	Windows     int
	Rows        string // the alarm windows' row numbers, "27-28 35-55"
	WindowsHref string // the first of its windows listed in the host's section
	Evidence    float64
	Why         string // what is new, in one line
	Detail      string
	Next        string
	Tag         *triage.Tag
	Silences    []*triage.Silence
	Stage       triage.Stage
	Subject     triage.Subject
	Live        bool // served: the row has a form to tag it
}

// Labels are the tags a form offers.
func (r *incidentRow) Labels() []triage.Label { return triage.Labels() }

// EvidenceText prints the evidence as a whole number of nats.
func (r *incidentRow) EvidenceText() string { return thousands(int(r.Evidence + 0.5)) }

// TagClass is the CSS class of the row's tag.
func (r *incidentRow) TagClass() string {
	if r.Tag == nil {
		return ""
	}
	return "tag-" + string(r.Tag.Label)
}

// TagAt prints when the row was tagged.
func (r *incidentRow) TagAt() string { return r.Tag.At.UTC().Format("2006-01-02 15:04") }

// Until prints when a silence ends.
func Until(s *triage.Silence) string { return s.Ends.UTC().Format("2006-01-02 15:04") }

// Matchers prints a silence's matchers.
func Matchers(s *triage.Silence) string { return s.MatcherText() }

// newIncidentRow makes the row of a host's incident.
func newIncidentRow(s *service, in *rootcause.IncidentRow, st *triage.Store, now time.Time) *incidentRow {
	r := &incidentRow{
		ID: in.ID, Short: in.ID[:min(8, len(in.ID))], Host: s.Name, HostID: s.ID, Kind: in.Kind, Summary: in.Summary,
		FirstISO: in.FirstSeen, LastISO: in.LastSeen, First: shortTime(in.FirstSeen), Last: shortTime(in.LastSeen),
		Flows: in.Flows, Windows: in.Windows, Rows: in.Rows, Evidence: in.Evidence, Detail: in.Detail,
	}
	r.Anchor = fmt.Sprintf("%s-i%d", s.ID, len(s.incidents)+1)
	r.Arrow = "→"
	if in.Direction == "inbound" {
		r.Arrow = "←"
	}
	r.Peer = peerText(in.Peer, in.Port)
	r.Why = in.Why
	if r.Why == "" {
		r.Why = in.Detail
	}
	r.Next = incident.NextStep(in.Kind, incident.Subject{Host: s.Name, Direction: in.Direction, Peer: in.Peer, Port: in.Port})
	r.Subject = triage.Subject{Unit: s.Name, Kind: in.Kind, Direction: in.Direction, Peer: in.Peer, Port: in.Port}
	r.Tag, _ = st.TagOf(in.ID)
	r.Silences = st.SilencedBy(r.Subject, now)
	r.Stage = triage.Lifecycle(r.Tag)
	return r
}

// peerText prints an incident's peer and port: "192.0.2.14:443",
// "10.1.0.11, many ports" for a scan, "many peers on 25 (SMTP)" for a
// fan-out.
func peerText(peer, port string) string {
	switch {
	case peer == "*" && port == "*":
		return "many peers and ports"
	case port == "*":
		return peer + ", many ports"
	case peer == "*":
		return "many peers on " + portText(port)
	}
	if a, err := netip.ParseAddr(peer); err == nil {
		if p, err := strconv.Atoi(port); err == nil {
			return netip.AddrPortFrom(a, uint16(p)).String()
		}
	}
	return peer + ":" + port
}

func portText(port string) string {
	if p, err := strconv.Atoi(port); err == nil {
		if n := portName(uint16(p)); n != "" {
			return port + " (" + n + ")"
		}
	}
	return port
}

// shortTime prints an ISO time of the reports without its T, Z and
// milliseconds: the page says its times are UTC.
func shortTime(iso string) string {
	t, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		return iso
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// rank orders the incidents of every host by evidence (then first seen,
// then host) into the first table, its overflow and the silenced ones.
func (r *report) rank(all []*incidentRow, max int) {
	slices.SortStableFunc(all, func(a, b *incidentRow) int {
		return cmp.Or(cmp.Compare(b.Evidence, a.Evidence), strings.Compare(a.FirstISO, b.FirstISO), strings.Compare(a.Host, b.Host))
	})
	for _, in := range all {
		switch {
		case len(in.Silences) > 0:
			r.Silenced = append(r.Silenced, in)
		case len(r.Incidents) < max:
			r.Incidents = append(r.Incidents, in)
		default:
			r.MoreIncidents = append(r.MoreIncidents, in)
		}
		if r.From == "" || in.FirstISO < r.From {
			r.From = in.FirstISO
		}
		if in.LastISO > r.Until {
			r.Until = in.LastISO
		}
	}
	r.From, r.Until = shortTime(r.From), shortTime(r.Until)
}
