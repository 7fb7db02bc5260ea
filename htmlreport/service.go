package htmlreport

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/netflow-monitor/monitor/triage"
)

// plotFiles are the names a service's monitor plot may have, one per
// format; the most recently written one is shown.
var plotFiles = []string{outputs.MonitorPlotBase + plots.SVG.Ext(), outputs.MonitorPlotBase + plots.PNG.Ext()}

// portName names a well-known port ("HTTPS"), "" for others.
func portName(p uint16) string { return flows.PortName(p) }

// service is one host's section.
type service struct {
	ID, Name                            string // ID is the section's anchor
	Traces, Anomalies, Threshold, Model string // as summary.csv gives them
	TopState, TopIncident               string
	Error                               string // why the run has no results
	Reported                            bool   // the run has results: the folder is read
	traces, alarms                      int

	PlotSrc  template.HTMLAttr // the plot's src attribute, "" without a plot
	PlotName string
	Problems []string // files of the service that could not be used

	HasIncidents bool // the folder has an incidents.csv
	incidents    []*incidentRow

	Connections      []connRow // the first MaxConnections
	ConnectionsTotal int       // rows before the cut
	ConnectionsFile  bool      // the folder has root_cause_connections.csv

	Windows      []window // the first MaxWindows
	WindowsTotal int
	windowIDs    map[int]string // anchors of the listed windows by row number
	States       []rootcause.StateSummary
}

// TraceCount is how many windows it has.
func (s *service) TraceCount() int { return s.traces }

// Alarms is how many of its windows are alarms.
func (s *service) Alarms() int { return s.alarms }

// AnomaliesBad reports whether the host had alarms.
func (s *service) AnomaliesBad() bool { return s.alarms > 0 }

// AlarmsText says how many of its windows are alarms.
func (s *service) AlarmsText() string {
	return fmt.Sprintf("%s of %s windows", thousands(s.alarms), thousands(s.traces))
}

// Incidents returns the host's incidents, most evidence first.
func (s *service) Incidents() []*incidentRow { return s.incidents }

// SilencedCount counts its silenced incidents.
func (s *service) SilencedCount() int {
	n := 0
	for _, in := range s.incidents {
		if len(in.Silences) > 0 {
			n++
		}
	}
	return n
}

// Top is its first incident that no silence mutes, nil when none.
func (s *service) Top() *incidentRow {
	for _, in := range s.incidents {
		if len(in.Silences) == 0 {
			return in
		}
	}
	return nil
}

// window is an alarm window: a row of a root_cause_<state>_prediction_info
// file.
type window struct {
	ID                               string // its anchor
	Row                              int
	Time, State, Direction, IP, Port string
	Symbol                           string // the root-cause flow's symbol
	Sum                              string // its score
}

// Arrow is the window's direction as an arrow.
func (w window) Arrow() string {
	if w.Direction == "inbound" {
		return "←"
	}
	return "→"
}

// folderName reports whether a service's name from summary.csv names a
// folder directly inside the monitor folder.
func folderName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.IsLocal(name) && !strings.ContainsAny(name, `/\`)
}

// read fills the service's plot, connections, windows and incidents from
// its folder, noting each file it cannot use.
func (s *service) read(root string, o Options, st *triage.Store) {
	if !folderName(s.Name) {
		s.Problems = append(s.Problems, fmt.Sprintf("the service's name %q is not a folder's name", s.Name))
		return
	}
	s.readPlot(root)
	s.readWindows(root, o.MaxWindows)
	s.readIncidents(root, st, o.Now)
	s.readConnections(root, o.MaxConnections)
	if states, err := rootcause.ReadStates(filepath.Join(root, s.Name)); err == nil {
		s.States = states
	}
}

func (s *service) problem(err error) { s.Problems = append(s.Problems, err.Error()) }

// relative names a file of the run by its path in the monitor folder.
func relative(root string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		rel, rerr := filepath.Rel(root, pe.Path)
		if rerr != nil {
			rel = filepath.Base(pe.Path)
		}
		return fmt.Errorf("%s: %w", filepath.ToSlash(rel), pe.Err)
	}
	return errors.New(strings.ReplaceAll(err.Error(), root+string(filepath.Separator), ""))
}

// readPlot takes the most recently written of the service's plot files,
// the first of plotFiles on a tie.
func (s *service) readPlot(root string) {
	dir := filepath.Join(root, s.Name)
	var best string
	var bestTime time.Time
	for _, name := range plotFiles {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if best == "" || fi.ModTime().After(bestTime) {
			best, bestTime = name, fi.ModTime()
		}
	}
	if best == "" {
		s.Problems = append(s.Problems, "no plot ("+strings.Join(plotFiles, " or ")+")")
		return
	}
	b, err := os.ReadFile(filepath.Join(dir, best))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		s.problem(fmt.Errorf("%s/%s: %w", s.Name, best, err))
		return
	}
	mime := "image/png"
	if strings.HasSuffix(best, ".svg") {
		mime = "image/svg+xml"
	}
	// The whole attribute is built here, from a fixed type and base64
	// (letters, digits, +, / and =): safe in double quotes, and left as
	// it is rather than with each + escaped.
	s.PlotSrc = template.HTMLAttr(`src="data:` + mime + ";base64," + base64.StdEncoding.EncodeToString(b) + `"`)
	s.PlotName = best
}

// rootCauseFiles returns the service's root_cause_<state>_<kind>.csv files
// (relative to root) with their states.
func (s *service) rootCauseFiles(root, kind string) (names, states []string) {
	suffix := "_" + kind + ".csv"
	paths, _ := filepath.Glob(filepath.Join(root, s.Name, "root_cause_*"+suffix)) // the pattern is valid
	for _, p := range paths {
		base := filepath.Base(p)
		names = append(names, filepath.Join(s.Name, base))
		states = append(states, strings.TrimSuffix(strings.TrimPrefix(base, "root_cause_"), suffix))
	}
	return names, states
}

// readWindows lists the alarm windows of every root-cause state in time
// order (by row number), each with an anchor that incidents link to.
func (s *service) readWindows(root string, limit int) {
	paths, _ := s.rootCauseFiles(root, "prediction_info")
	var all []window
	for _, p := range paths {
		t, err := readTable(root, p)
		if err != nil {
			s.problem(err)
			continue
		}
		c, err := t.need("row nr", "root cause time", "root cause state", "direction", "ip", "port", "sum scores")
		if err != nil {
			s.problem(err)
			continue
		}
		idx, trace := t.col("root cause index"), t.col("abbadingo trace")
		for line, row := range t.rows {
			n, err := strconv.Atoi(get(row, c[0]))
			if err != nil {
				s.problem(fmt.Errorf("%s: line %d: row nr %q is not a number", t.name, line+2, get(row, c[0])))
				continue
			}
			w := window{
				Row: n, Time: shortTime(get(row, c[1])), State: get(row, c[2]),
				Direction: get(row, c[3]), IP: get(row, c[4]), Port: get(row, c[5]),
				Sum: get(row, c[6]),
			}
			if f, err := strconv.ParseFloat(w.Sum, 64); err == nil {
				w.Sum = strconv.FormatFloat(f, 'f', 2, 64)
			}
			// The trace is "label length symbol…": the root cause is the
			// symbol at its index.
			if i, err := strconv.Atoi(get(row, idx)); err == nil && i >= 0 {
				if syms := strings.Fields(get(row, trace)); 2+i < len(syms) {
					w.Symbol = syms[2+i]
				}
			}
			all = append(all, w)
		}
	}
	slices.SortStableFunc(all, func(a, b window) int { return cmp.Compare(a.Row, b.Row) })
	s.WindowsTotal = len(all)
	s.windowIDs = map[int]string{}
	for _, w := range all[:min(len(all), limit)] {
		w.ID = fmt.Sprintf("%s-w%d", s.ID, w.Row)
		s.windowIDs[w.Row] = w.ID
		s.Windows = append(s.Windows, w)
	}
}

// readIncidents reads the host's incidents.csv, when there is one.
func (s *service) readIncidents(root string, st *triage.Store, now time.Time) {
	rows, err := rootcause.ReadIncidents(filepath.Join(root, s.Name, IncidentsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	s.HasIncidents = true
	if err != nil {
		s.problem(relative(root, err))
		return
	}
	for i := range rows {
		r := newIncidentRow(s, &rows[i], st, now)
		r.WindowsHref = s.firstListed(rows[i].Rows)
		s.incidents = append(s.incidents, r)
	}
}

// firstListed returns the link to the first window of row ranges ("34-130
// 145") that the section lists, "" when none is.
func (s *service) firstListed(rows string) string {
	for _, tok := range strings.FieldsFunc(rows, func(r rune) bool { return r == ' ' || r == ',' }) {
		lo, hi, isRange := strings.Cut(tok, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for n := a; n <= b && n-a < 100000; n++ {
			if id, ok := s.windowIDs[n]; ok {
				return "#" + id
			}
		}
	}
	return ""
}

// groupOf returns the scan or fan-out incident of the host that a
// connection belongs to: the same direction and peer (a scan) or port (a
// fan-out), first flagged between the incident's first and last seen.
func (s *service) groupOf(r *rootcause.RankRow) *incidentRow {
	for _, in := range s.incidents {
		sub := &in.Subject
		if sub.Direction != r.Direction || r.FirstSeen < in.FirstISO || r.FirstSeen > in.LastISO {
			continue
		}
		if sub.Port == "*" && sub.Peer == r.IP || sub.Peer == "*" && sub.Port == strconv.Itoa(int(r.Port)) {
			return in
		}
	}
	return nil
}

// connRow is a row of a host's connections: one connection, or a scan (one
// peer on many ports) or a fan-out (one port to many peers) as one.
type connRow struct {
	Arrow, Peer string
	Ports       int // ports of a scan's row; 1 otherwise
	Peers       int // peers of a fan-out's row; 1 otherwise
	Flagged     int
	First       string
	Evidence    float64
	New         string // what is new, of its most surprising flow
	State       string // the root-cause state(s)
}

// EvidenceText prints the evidence as a whole number.
func (c connRow) EvidenceText() string { return thousands(int(c.Evidence + 0.5)) }

// readConnections reads root_cause_connections.csv (every connection
// behind the alarms, most evidence first) and folds the connections of a
// scan (one peer, many ports) or a fan-out (one port, many peers) into
// one row: those of the host's scan and fan-out incidents, by their peer
// or port and time.
func (s *service) readConnections(root string, limit int) {
	rows, err := rootcause.ReadRanking(filepath.Join(root, s.Name, rootcause.ConnectionsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	s.ConnectionsFile = true
	if err != nil {
		s.problem(relative(root, err))
		return
	}
	var out []*connRow
	groups := map[*incidentRow]*connRow{}
	for _, r := range rows {
		arrow := "→"
		if r.Direction == "inbound" {
			arrow = "←"
		}
		first := shortTime(r.FirstSeen)
		in := s.groupOf(&r)
		if in == nil {
			out = append(out, &connRow{Arrow: arrow, Peer: peerText(r.IP, strconv.Itoa(int(r.Port))), Ports: 1, Peers: 1,
				Flagged: r.Count, First: first, Evidence: r.Evidence, New: r.Why, State: strconv.Itoa(int(r.State))})
			continue
		}
		g := groups[in]
		if g == nil {
			g = &connRow{Arrow: arrow, First: first, New: r.Why, State: strconv.Itoa(int(r.State))}
			if in.Subject.Port == "*" {
				g.Peer, g.Peers = r.IP, 1
			} else {
				g.Peer, g.Ports = portText(strconv.Itoa(int(r.Port))), 1
			}
			groups[in] = g
			out = append(out, g)
		}
		if in.Subject.Port == "*" {
			g.Ports++
		} else {
			g.Peers++
		}
		g.Flagged += r.Count
		g.Evidence += r.Evidence
		g.First = min(g.First, first)
	}
	slices.SortStableFunc(out, func(a, b *connRow) int { return cmp.Compare(b.Evidence, a.Evidence) })
	s.ConnectionsTotal = len(out)
	for _, c := range out[:min(len(out), limit)] {
		switch {
		case c.Ports > 1:
			c.Peer = fmt.Sprintf("%s, %s ports", c.Peer, thousands(c.Ports))
		case c.Peers > 1:
			c.Peer = fmt.Sprintf("%s peers on %s", thousands(c.Peers), c.Peer)
		}
		s.Connections = append(s.Connections, *c)
	}
}
