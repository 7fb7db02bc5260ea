// Package htmlreport writes a finished run's report for an operator: one
// self-contained HTML page (report.html in the monitor folder) with the
// run's summary, and for each service its score plot, its incidents, its
// top connections and its alarm windows, incidents linking to their
// windows.
//
// The page is made from the files a run leaves in the monitor folder
// (summary.csv, and in each service's folder the plot, the root-cause
// reports and incidents.csv when there is one), so it can be made for any
// finished run. Everything it shows is inline: plots as data: URIs, style
// in the page, no script, and a content security policy that forbids
// loading anything else. Text from the files is escaped (html/template),
// and the same folder gives the same page byte for byte.
package htmlreport

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/plots"
)

// Files the report reads and writes; the run's are named by package
// outputs.
const (
	// File is the report's name in the monitor folder.
	File = "report.html"
	// SummaryFile is the run's summary in the monitor folder.
	SummaryFile = outputs.SummaryFile
	// IncidentsFile is a service's incidents, in its folder, when the run
	// made them.
	IncidentsFile = "incidents.csv"
)

// pageText is the page's template.
//
//go:embed report.gohtml
var pageText string

var page = template.Must(template.New(File).Parse(pageText))

// plotFiles are the names a service's monitor plot may have, one per
// format; the most recently written one is shown.
var plotFiles = []string{outputs.MonitorPlotBase + plots.SVG.Ext(), outputs.MonitorPlotBase + plots.PNG.Ext()}

// Options are the report's options. The zero value is usable.
type Options struct {
	// Title of the page; default "Monitor report".
	Title string
	// MaxConnections is how many connections are listed per service,
	// most flagged first; default 25.
	MaxConnections int
	// MaxWindows is how many alarm windows are listed per service, in
	// time order; default 1000. The rest are in the root-cause files.
	MaxWindows int
}

// Validate refuses negative counts.
func (o Options) Validate() error {
	if o.MaxConnections < 0 || o.MaxWindows < 0 {
		return fmt.Errorf("report: negative MaxConnections or MaxWindows (%d, %d)", o.MaxConnections, o.MaxWindows)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = "Monitor report"
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = 25
	}
	if o.MaxWindows == 0 {
		o.MaxWindows = 1000
	}
	return o
}

// Write writes the report of the run in monitorRoot to
// monitorRoot/report.html, atomically. It fails when the folder has no
// summary.csv (no finished run) or the report cannot be written; a
// service's file that cannot be read is named on the page, in that
// service's section, and does not stop the report.
func Write(monitorRoot string, o Options) error {
	var buf bytes.Buffer
	if err := Render(&buf, monitorRoot, o); err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(monitorRoot, File), buf.Bytes())
}

// Render writes the report of the run in monitorRoot to w.
func Render(w io.Writer, monitorRoot string, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	p, err := build(monitorRoot, o.withDefaults())
	if err != nil {
		return err
	}
	if err := page.Execute(w, p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// report is what the page shows.
type report struct {
	Title    string
	Folder   string
	Header   []string
	Rows     [][]cell // the summary
	Services []*service
}

// cell is a table cell: text, or a link when Href is set, or several
// links; Class is one of the page's own classes.
type cell struct {
	Text  string
	Href  string
	Links []link
	Class string
}

type link struct{ Text, Href string }

// service is one service's section.
type service struct {
	ID, Name                            string // ID is the section's anchor
	Traces, Anomalies, Threshold, Model string // as summary.csv gives them
	Error                               string // why the run has no results
	AnomaliesBad                        bool   // some windows are alarms
	Reported                            bool   // the run has results: the folder is read

	PlotSrc  template.HTMLAttr // the plot's src attribute, "" without a plot
	PlotName string
	Problems []string // files of the service that could not be used

	HasIncidents   bool // the folder has an incidents.csv
	IncidentHeader []string
	Incidents      [][]cell

	HasConnections   bool
	Connections      []connection // the first MaxConnections
	ConnectionsTotal int

	Windows      []window // the first MaxWindows
	WindowsTotal int
	windowIDs    map[int]string // anchors of the listed windows by row number
}

// connection is a root-cause connection over all the service's states.
type connection struct {
	Direction, IP, Port string
	Count               int
	FirstSeen           string
	first               time.Time
	States              string // the states it was flagged in, in order
	states              []string
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

func build(root string, o Options) (*report, error) {
	sum, err := readTable(root, SummaryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("report: no %s in %s: the folder has no finished run", SummaryFile, root)
	}
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", root, err)
	}
	svcCol := sum.col("service")
	if svcCol < 0 {
		return nil, fmt.Errorf("report: %s in %s has no column \"service\"", SummaryFile, root)
	}
	folder := root
	if abs, err := filepath.Abs(root); err == nil {
		folder = abs
	}
	r := &report{Title: o.Title, Folder: filepath.Base(folder), Header: sum.header}
	col := func(row []string, name string) string { return get(row, sum.col(name)) }
	for i, row := range sum.rows {
		s := &service{
			ID:        fmt.Sprintf("s%d", i+1),
			Name:      get(row, svcCol),
			Traces:    col(row, "traces"),
			Anomalies: col(row, "anomalies"),
			Threshold: col(row, "threshold"),
			Model:     col(row, "model"),
			Error:     col(row, "error"),
		}
		s.AnomaliesBad = s.Anomalies != "" && s.Anomalies != "0"
		cells := cellsOf(sum.header, row)
		cells[svcCol].Href = "#" + s.ID
		if c := sum.col("error"); c >= 0 {
			cells[c].Class = "wrap"
			if s.Error != "" {
				cells[c].Class = "bad wrap"
			}
		}
		if c := sum.col("anomalies"); c >= 0 && s.AnomaliesBad {
			cells[c].Class = "bad"
		}
		r.Rows = append(r.Rows, cells)
		if s.Error == "" {
			s.Reported = true
			s.read(root, o)
		}
		r.Services = append(r.Services, s)
	}
	return r, nil
}

// cellsOf returns a row's cells; a time ("first seen", "root cause time")
// is kept on one line.
func cellsOf(header, row []string) []cell {
	cells := make([]cell, len(header))
	for j, h := range header {
		cells[j] = cell{Text: get(row, j)}
		if h := strings.ToLower(h); strings.Contains(h, "seen") || strings.Contains(h, "time") {
			cells[j].Class = "time"
		}
	}
	return cells
}

// folderName reports whether a service's name from summary.csv names a
// folder directly inside the monitor folder.
func folderName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.IsLocal(name) && !strings.ContainsAny(name, `/\`)
}

// read fills the service's plot, connections, windows and incidents from
// its folder, noting each file it cannot use.
func (s *service) read(root string, o Options) {
	if !folderName(s.Name) {
		s.Problems = append(s.Problems, fmt.Sprintf("the service's name %q is not a folder's name", s.Name))
		return
	}
	s.readPlot(root)
	s.readConnections(root, o.MaxConnections)
	s.readWindows(root, o.MaxWindows)
	s.readIncidents(root)
}

func (s *service) problem(err error) { s.Problems = append(s.Problems, err.Error()) }

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

// compareStates orders state names as numbers, others after them.
func compareStates(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// readConnections merges the connections of every root-cause state: a
// connection flagged in several states is one, with its counts added and
// its earliest first sighting. The most flagged come first, then the
// earliest, as in the connection files.
func (s *service) readConnections(root string, limit int) {
	paths, states := s.rootCauseFiles(root, "connection_info")
	byKey := map[[3]string]*connection{}
	var all []*connection
	for i, p := range paths {
		t, err := readTable(root, p)
		if err != nil {
			s.problem(err)
			continue
		}
		c, err := t.need("direction", "ip", "port", "number of times flagged as root cause", "first time seen")
		if err != nil {
			s.problem(err)
			continue
		}
		for line, row := range t.rows {
			key := [3]string{get(row, c[0]), get(row, c[1]), get(row, c[2])}
			n, err := strconv.Atoi(get(row, c[3]))
			if err != nil {
				s.problem(fmt.Errorf("%s: line %d: count %q is not a number", t.name, line+2, get(row, c[3])))
				continue
			}
			seen := get(row, c[4])
			first, terr := time.Parse(time.RFC3339Nano, seen)
			k, ok := byKey[key]
			if !ok {
				k = &connection{Direction: key[0], IP: key[1], Port: key[2], FirstSeen: seen, first: first}
				byKey[key] = k
				all = append(all, k)
			} else if terr == nil && (k.first.IsZero() || first.Before(k.first)) {
				k.FirstSeen, k.first = seen, first
			}
			k.Count += n
			if !slices.Contains(k.states, states[i]) {
				k.states = append(k.states, states[i])
			}
		}
	}
	slices.SortFunc(all, func(a, b *connection) int {
		return cmp.Or(
			cmp.Compare(b.Count, a.Count),
			a.first.Compare(b.first),
			strings.Compare(a.Direction, b.Direction),
			strings.Compare(a.IP, b.IP),
			compareStates(a.Port, b.Port),
		)
	})
	s.ConnectionsTotal = len(all)
	for _, k := range all[:min(len(all), limit)] {
		slices.SortFunc(k.states, compareStates)
		k.States = strings.Join(k.states, ", ")
		s.Connections = append(s.Connections, *k)
	}
	s.HasConnections = len(all) > 0
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
				Row: n, Time: get(row, c[1]), State: get(row, c[2]),
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

// rowsColumns are the names an incidents.csv column of window row numbers
// may have.
var rowsColumns = []string{"rows", "window rows"}

// readIncidents shows the service's incidents.csv, when there is one,
// with all its columns in its order; row numbers ("34-130 145") link to
// the listed windows.
func (s *service) readIncidents(root string) {
	t, err := readTable(root, filepath.Join(s.Name, IncidentsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	s.HasIncidents = true
	if err != nil {
		s.problem(err)
		return
	}
	s.IncidentHeader = t.header
	rows := -1
	for _, name := range rowsColumns {
		if rows = t.col(name); rows >= 0 {
			break
		}
	}
	for _, row := range t.rows {
		cells := cellsOf(t.header, row)
		if rows >= 0 {
			cells[rows] = cell{Links: s.rowLinks(get(row, rows))}
		}
		s.Incidents = append(s.Incidents, cells)
	}
}

// rowLinks turns row numbers and ranges ("34-130 145", or separated by
// commas) into links to the first window of each, where it is listed.
func (s *service) rowLinks(text string) []link {
	var links []link
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' }) {
		l := link{Text: tok}
		first, _, _ := strings.Cut(tok, "-")
		if n, err := strconv.Atoi(first); err == nil {
			if id, ok := s.windowIDs[n]; ok {
				l.Href = "#" + id
			}
		}
		links = append(links, l)
	}
	return links
}
